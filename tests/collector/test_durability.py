"""The collector when its store cannot write, and when it is stopped or its workers die:
the real `dtu-install collector` in a subprocess, real limits and signals."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import resource  # POSIX; the collector tests run on Linux and macOS
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

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
    # The operator is told, once when commits start failing and once when they work again.
    lines = collector.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("collector: the event store could not commit: ")
    assert lines[0].endswith("; answering 503 until it can")
    assert lines[1] == "collector: the event store commits again"


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


def _spawned_children(pid: int) -> list[int]:
    """The collector's parse workers (spawned: `spawn_main` in their command line)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            if b"spawn_main" in (stat.parent / "cmdline").read_bytes():
                found.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue  # ended meanwhile
    return found


def _sigint_handled(pid: int) -> bool:
    """Whether SIGINT is caught (Python's KeyboardInterrupt) or ignored in `pid`."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    masks = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    bit = 1 << (signal.SIGINT - 1)
    return bool((int(masks["SigCgt"], 16) | int(masks["SigIgn"], 16)) & bit)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_ctrl_c_while_the_parse_workers_start_stops_quietly(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group) while the parse workers are still
    starting, right after the first big body: exit 130 and nothing on stderr. A worker
    still importing was killed by it with a KeyboardInterrupt traceback."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", HOME=str(tmp_path / "home"))
    command = [sys.executable, "-m", "installer", "collector", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--db", str(tmp_path / "events.sqlite3")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        assert process.stdout is not None
        match = re.search(r":(\d+)/", process.stdout.readline())
        assert match, "the collector did not start"
        body = json.dumps(_bulk("ctrl-c")).encode()  # big: the workers start for it
        client = socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=30)
        head = f"POST /ppms.php HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        client.sendall(head.encode() + body)
        # The first worker, as soon as Python runs in it (it catches or ignores SIGINT):
        # then it imports for a while before it can ignore SIGINT itself.
        give_up = time.monotonic() + 30  # only against a hang; no timing is asserted
        while not any(map(_sigint_handled, _spawned_children(process.pid))):
            assert process.poll() is None
            assert time.monotonic() < give_up, "no parse worker started"
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=30)
        client.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert err == ""


def test_sigterm_refuses_what_comes_after_it_once_per_connection(
    collector: RunningCollector,
) -> None:
    """A keep-alive client that goes on sending after SIGTERM: what was answered 2xx is
    stored, and once the collector stops taking hits its answer (the last 202, or a 503
    with Retry-After) says `Connection: close` and the connection ends there. It kept
    answering 503 on the same connection for a second, then reset it."""
    parts = urlsplit(collector.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("GET", "/ppms.php?" + query(dimension6="before"))
    response = conn.getresponse()
    response.read()
    assert response.status == 202
    acknowledged = ["before"]
    collector.process.send_signal(signal.SIGTERM)
    for n in range(100_000):  # answered 202 until the signal is handled
        conn.request("GET", "/ppms.php?" + query(dimension6=f"after-{n}"))
        response = conn.getresponse()
        body = response.read()
        if response.status == 202:  # committed in time (the last one may say close)
            acknowledged.append(f"after-{n}")
        else:
            assert response.status == 503
            assert body == b"the collector is shutting down\n"
            assert response.headers["Retry-After"] == "5"
        if response.will_close:
            break
    assert response.headers["Connection"] == "close"
    conn.close()
    assert collector.stop() == 0
    assert collector.stderr == ""
    stored = [run for (run,) in collector.rows("run")]
    assert stored == acknowledged  # each acknowledged hit, once, and nothing else
