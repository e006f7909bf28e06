"""The running collector (`dtu-install collector` in a subprocess) over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.collector.hits import params, query
from tests.collector.rawhttp import send_raw
from tests.helpers.collector import RunningCollector, collector, start_collector

__all__ = ["collector"]  # the fixture, imported for pytest

COLUMNS = (
    "ts, category, action, name, component, value, success, os, arch, sha, duration, error, run"
)


def test_single_get_is_stored_with_every_field(collector: RunningCollector) -> None:
    hit = params(e_n="homebrew_install_network_error", e_v="0", dimension5="network_error")
    response = requests.get(collector.tracking_url, params=hit, timeout=10)
    assert response.status_code == 202
    identity = ("Installer", "Event", "homebrew_install_network_error", "homebrew_install")
    dimensions = ("Darwin24.1", "arm64", "abc1234", 1.25, "network_error", "run-1")
    assert collector.rows(COLUMNS) == [(1700000000, *identity, 0.0, 0, *dimensions)]


@pytest.mark.parametrize("endpoint", ["ppms.php", "matomo.php"])
def test_both_endpoints_get_and_post(collector: RunningCollector, endpoint: str) -> None:
    url = collector.url + endpoint
    assert requests.get(url, params=params(dimension6="get"), timeout=10).status_code == 202
    assert requests.post(url, data=params(dimension6="form"), timeout=10).status_code == 202
    # a POST with the hit in the URL and an empty body, as some trackers send it
    assert requests.post(url + "?" + query(dimension6="url"), timeout=10).status_code == 202
    no_image = requests.get(url, params=params(dimension6="204", send_image="0"), timeout=10)
    assert no_image.status_code == 204
    assert sorted(r[0] for r in collector.rows("run")) == ["204", "form", "get", "url"]


def test_bulk_strings_urls_and_objects(collector: RunningCollector) -> None:
    entries: list[object] = [
        "?" + query(dimension6="a"),
        query(dimension6="b"),  # without the leading "?"
        "https://example.piwik.pro/ppms.php?" + query(dimension6="c"),
        {**params(dimension6="d"), "e_v": 1, "cdt": 1700000000, "rec": 1},  # Matomo style
    ]
    response = requests.post(collector.tracking_url, json={"requests": entries}, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "success", "tracked": 4, "invalid": 0}
    assert [r[0] for r in collector.rows("run")] == ["a", "b", "c", "d"]


def test_big_bulk_parsed_in_worker_processes(collector: RunningCollector) -> None:
    entries: list[object] = ["?" + query(dimension6=f"big-{i}") for i in range(95)]
    entries[10] = "?e_c=Installer"
    entries[50] = {**params(), "cdt": "2023-02-30 00:00:00"}
    body = json.dumps({"requests": entries}).encode()
    assert len(body) > 8 * 1024  # limits.POOL_MIN_BODY_BYTES: parsed in a worker process
    response = requests.post(collector.tracking_url, data=body, timeout=30)
    assert response.status_code == 400
    answer = response.json()
    assert (answer["tracked"], answer["invalid"], answer["invalid_indices"]) == (93, 2, [10, 50])
    assert "not a valid date" in answer["errors"][1]["reason"]
    assert collector.count() == 93
    ok = requests.post(collector.tracking_url, json={"requests": entries[:10] * 10}, timeout=30)
    assert ok.json() == {"status": "success", "tracked": 100, "invalid": 0}
    assert collector.count() == 93  # all ten were already stored


def test_cdt_both_forms_and_receipt_time(collector: RunningCollector) -> None:
    hits = [
        params(dimension6="unix", cdt="1700000000"),
        params(dimension6="datetime", cdt="2023-11-14 22:13:20"),
        params(dimension6="fraction", cdt="1700000000.75"),
        params(dimension6="none", cdt=None),  # type: ignore[arg-type]
    ]
    before = int(time.time())
    for hit in hits:
        assert requests.get(collector.tracking_url, params=hit, timeout=10).status_code == 202
    after = int(time.time())
    stored = dict(collector.rows("run, ts"))
    assert stored["unix"] == stored["datetime"] == stored["fraction"] == 1700000000
    assert before <= int(stored["none"]) <= after  # type: ignore[call-overload]


def test_same_hit_twice_is_stored_once_cache_busters_ignored(collector: RunningCollector) -> None:
    for buster in ({"r": "1"}, {"r": "2"}, {"rand": "3"}, {}):
        response = requests.get(collector.tracking_url, params=params(**buster), timeout=10)
        assert response.status_code == 202
    bulk = {"requests": ["?" + query(), "?" + query(r="9")]}
    assert requests.post(collector.tracking_url, json=bulk, timeout=10).json()["tracked"] == 2
    assert collector.count() == 1


def test_raw_utf8_in_the_url_is_read_as_utf8(collector: RunningCollector) -> None:
    # A client that does not escape its URL: the raw UTF-8 bytes of "café" are that text,
    # and the same hit as when escaped (or imported from a UTF-8 file), so stored once.
    raw = f"GET /ppms.php?{query(e_n=None)}&e_n=café HTTP/1.1\r\nConnection: close\r\n\r\n"
    assert send_raw(collector.url, raw.encode("utf-8"))[0] == 202
    escaped = requests.get(collector.tracking_url, params=params(e_n="café"), timeout=10)
    assert escaped.status_code == 202
    assert collector.rows("name") == [("café",)]


def test_keep_alive_many_requests_on_one_connection(collector: RunningCollector) -> None:
    parts = urlsplit(collector.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    sockets = set()
    for i in range(20):
        conn.request("GET", "/ppms.php?" + query(dimension6=f"ka-{i}"))
        response = conn.getresponse()
        response.read()
        assert response.status == 202
        assert conn.sock is not None
        sockets.add(conn.sock.getsockname())
    conn.close()
    assert len(sockets) == 1  # the same connection throughout
    assert collector.count() == 20


def test_too_large_body_is_refused_and_collector_goes_on(collector: RunningCollector) -> None:
    body = b'{"requests": ["' + b"a" * (2 * 1024 * 1024) + b'"]}'
    try:
        response = requests.post(collector.tracking_url, data=body, timeout=10)
        assert response.status_code == 413
        assert "at most" in response.text
    except requests.ConnectionError:
        # The collector answers 413 without reading the body and closes; a client still
        # writing may see the reset instead of the answer. Either way nothing is stored.
        pass
    assert collector.count() == 0
    assert requests.get(collector.tracking_url, params=params(), timeout=10).status_code == 202


def test_every_acknowledged_hit_survives_sigkill(tmp_path: Path) -> None:
    """Durability: SIGKILL while a client sends; each hit it saw acknowledged is stored."""
    running = start_collector(tmp_path / "events.sqlite3")
    parts = urlsplit(running.url)
    acknowledged: list[str] = []
    sent = 0
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    deadline = time.monotonic() + 0.7
    killed = False
    while True:
        if not killed and time.monotonic() > deadline:
            running.process.kill()  # SIGKILL: no shutdown code runs
            killed = True
        run_id = f"k-{sent}"
        sent += 1
        try:
            if sent % 3 == 0:
                pair = [f"?{query(dimension6=run_id)}", f"?{query(dimension6=run_id + 'b')}"]
                body = json.dumps({"requests": pair})
                conn.request("POST", "/ppms.php", body, {"Content-Type": "application/json"})
                ids = [run_id, run_id + "b"]
            else:
                conn.request("GET", "/ppms.php?" + query(dimension6=run_id))
                ids = [run_id]
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            if killed:
                break
            raise
        if response.status in (200, 202):
            acknowledged.extend(ids)
    running.stop()
    assert running.process.returncode == -9
    stored = {row[0] for row in running.rows("run")}
    assert len(acknowledged) > 20  # the client did get answers before the kill
    assert set(acknowledged) <= stored
    restarted = start_collector(tmp_path / "events.sqlite3")  # the store opens again after it
    assert restarted.count() == len(stored)
    assert restarted.stop() == 0


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_parse_workers_end_when_the_collector_is_killed(collector: RunningCollector) -> None:
    entries = ["?" + query(dimension6=f"w-{i}") for i in range(95)]  # big: a worker parses it
    response = requests.post(collector.tracking_url, json={"requests": entries}, timeout=30)
    assert response.status_code == 200
    workers = _children(collector.process.pid)
    assert workers  # the parse pool (and multiprocessing's resource tracker)
    collector.stop(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_running, workers)):
        time.sleep(0.1)
    assert not [p for p in workers if _running(p)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_big_bulks_still_stored_after_the_parse_workers_died(collector: RunningCollector) -> None:
    def big(tag: str) -> dict[str, object]:
        return {"requests": ["?" + query(dimension6=f"{tag}-{i}") for i in range(95)]}

    assert requests.post(collector.tracking_url, json=big("a"), timeout=30).status_code == 200
    parsers = [
        pid
        for pid in _children(collector.process.pid)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert parsers  # the first big body started them
    for pid in parsers:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_running, parsers)):
        time.sleep(0.05)
    for tag in ("b", "c"):  # the first finds a dead worker, the next no live one
        response = requests.post(collector.tracking_url, json=big(tag), timeout=30)
        assert response.json() == {"status": "success", "tracked": 95, "invalid": 0}
    assert collector.count() == 3 * 95
    assert collector.stop() == 0
    assert collector.stderr == ""


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="CPU affinity needs Linux and 2 CPUs",
)
def test_parse_workers_leave_a_cpu_to_the_collector(collector: RunningCollector) -> None:
    body = {"requests": ["?" + query(dimension6=f"cpu-{i}") for i in range(95)]}
    assert requests.post(collector.tracking_url, json=body, timeout=30).status_code == 200
    parsers = [
        pid
        for pid in _children(collector.process.pid)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]
    assert parsers
    allowed = os.sched_getaffinity(collector.process.pid)
    for pid in parsers:  # one CPU fewer (parse_workers.RESERVED_CPUS) for every worker
        assert os.sched_getaffinity(pid) < allowed
        assert len(os.sched_getaffinity(pid)) == len(allowed) - 1


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent (now init) has yet to reap it


def test_sigterm_ends_cleanly(collector: RunningCollector) -> None:
    assert requests.get(collector.tracking_url, params=params(), timeout=10).status_code == 202
    assert collector.stop() == 0
    assert collector.stderr == ""


def test_listening_beyond_loopback_warns(tmp_path: Path) -> None:
    running = start_collector(tmp_path / "e.sqlite3", "--host", "0.0.0.0")
    assert running.url.startswith("http://0.0.0.0:")
    port = urlsplit(running.url).port
    response = requests.get(f"http://127.0.0.1:{port}/ppms.php", params=params(), timeout=10)
    assert response.status_code == 202
    assert running.stop() == 0
    assert "warning" in running.stderr and "no authentication" in running.stderr


def test_loopback_by_default_has_no_warning(collector: RunningCollector) -> None:
    assert collector.url.startswith("http://127.0.0.1:")
    collector.stop()
    assert "warning" not in collector.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _cli("collector", "--db", str(tmp_path / "e.db"), "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_host_is_a_usage_error(tmp_path: Path) -> None:
    # Issue 14 item 19: `--host ''` listened on every interface, and the warning named a
    # blank host ("listens on , reachable from other machines").
    db = tmp_path / "e.db"
    result = _cli("collector", "--db", str(db), "--host", "", "--port", "0")
    assert result.returncode == 2, result.stderr
    assert "--host is empty; give an address" in result.stderr
    assert "listens on ," not in result.stderr and not db.exists()


def test_unusable_db_is_a_clear_error(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are not events\n" * 100)
    result = _cli("collector", "--db", str(not_a_db), "--port", "0")
    assert result.returncode == 2
    assert "is not a usable event store" in result.stderr
    assert "Traceback" not in result.stderr


def test_db_from_environment_then_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    from installer.store.event_store import resolve_db_path

    assert resolve_db_path(None) == isolated_home / ".local/share/dtu-install/events.sqlite3"
    monkeypatch.setenv("DTU_INSTALL_DB", str(tmp_path / "from-env.sqlite3"))
    assert resolve_db_path(None) == tmp_path / "from-env.sqlite3"
    assert resolve_db_path(str(tmp_path / "flag.sqlite3")) == tmp_path / "flag.sqlite3"
    process = subprocess.Popen(
        [sys.executable, "-m", "installer", "collector", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    process.terminate()
    process.communicate(timeout=10)
    assert f"(events in {tmp_path / 'from-env.sqlite3'})" in line
    assert (tmp_path / "from-env.sqlite3").exists()
