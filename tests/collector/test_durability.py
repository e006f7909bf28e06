"""The collector when its store cannot write, and when it is stopped or its workers die:
the real `dtu-install collector` in a subprocess, real limits and signals."""

from __future__ import annotations

import json
import multiprocessing
import resource  # POSIX; the collector tests run on Linux and macOS
import socket

import pytest
import requests

from installer.collector import parse_workers
from tests.collector.hits import query
from tests.helpers.collector import RunningCollector, collector

__all__ = ["collector"]  # the fixture, imported for pytest

_FILE_LIMIT = 256 * 1024  # bytes: the WAL outgrows it within a few bulk requests


def _bulk(tag: str) -> dict[str, object]:
    return {"requests": ["?" + query(dimension6=f"{tag}-{i}") for i in range(95)]}


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="prlimit(2) is Linux only")
def test_a_store_that_cannot_write_gets_503_with_the_real_reason_then_recovers(
    collector: RunningCollector,
) -> None:
    """A full disk, as the collector sees it: writes to the WAL fail (here RLIMIT_FSIZE,
    set on the running collector: EFBIG; Python ignores SIGXFSZ). Each client gets 503 +
    Retry-After and the store's own reason, nothing unacknowledged is stored as if it were,
    and once writes work again the collector stores again without a restart."""
    assert requests.get(f"{collector.tracking_url}?{query()}", timeout=10).status_code == 202
    pid = collector.process.pid
    _, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (_FILE_LIMIT, hard))
    acknowledged = 1
    refused = None
    for n in range(200):  # each bulk adds ~25 KiB to the WAL: refused long before the end
        response = requests.post(collector.tracking_url, json=_bulk(f"b{n}"), timeout=30)
        if response.status_code != 200:
            refused = response
            break
        acknowledged += 95
    assert refused is not None
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    # SQLite had already rolled the transaction back; the ROLLBACK after it used to fail
    # and its error ("cannot rollback - no transaction is active") replaced the real one.
    assert "cannot rollback" not in refused.text
    assert "disk I/O error" in refused.text or "full" in refused.text
    assert collector.alive()
    assert collector.count() == acknowledged

    resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard, hard))  # space is back
    response = requests.post(collector.tracking_url, json=_bulk("again"), timeout=30)
    assert response.json() == {"status": "success", "tracked": 95, "invalid": 0}
    assert collector.count() == acknowledged + 95
    assert collector.stop() == 0


def test_a_parse_worker_whose_collector_stops_mid_parse_ends_quietly() -> None:
    """The collector closes a worker's socket while the worker parses a body (SIGTERM
    during a bulk request): the worker's answer has nowhere to go, and it must end with
    exit code 0 and no traceback (it printed BrokenPipeError on the collector's stderr)."""
    ours, theirs = socket.socketpair()
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=parse_workers.serve, args=(theirs,))
    worker.start()
    theirs.close()
    body = json.dumps(_bulk("gone")).encode()
    # Nothing more will be read from this end: the worker's answer fails with EPIPE, as
    # when the collector has closed the socket (shut down before sending, so no race).
    ours.shutdown(socket.SHUT_RD)
    ours.sendall(parse_workers._REQUEST.pack(len(body), 1700000000) + body)
    ours.shutdown(socket.SHUT_WR)
    worker.join(30)
    ours.close()
    assert worker.exitcode == 0
