"""Collector throughput: single-hit requests/s and hits/s in bulk requests of 95.

The real `dtu-install collector` runs in its own process; the load comes from separate
client processes over loopback, each with a few keep-alive connections sending as fast as
the answers come back (every answer means "committed"). At the end, the number of stored
events is compared with the number of acknowledged hits.

    .venv/bin/python bench/bench_collector.py [--seconds 5] [--connections 8]

Targets (issue 6): >= 3,000 single-hit requests/s, >= 30,000 hits/s in bulk requests of 95.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import results_file  # bench/results_file.py (bench/ is on sys.path when a script there runs)

ROOT = Path(__file__).resolve().parent.parent
BULK_SIZE = 95
TARGETS = {"single": 3000.0, "bulk": 30000.0}  # requests/s, hits/s
KINDS = ["single", "bulk"]


# One hit as the telemetry client sends it; run id and time vary (every hit is a new event).
# A %-template, not an f-string per hit: the client shares the collector's 2 cores, so the
# less CPU it spends building requests, the less it takes from what is measured.
_HIT = (
    "idsite=0bc7bce7-fb4d-4159-a809-e6bab2b3a431&rec=1&e_c=Installer&e_a=Event"
    "&e_n=homebrew_install&e_v=1&dimension1=Darwin24.1&dimension2=arm64"
    "&dimension3=abc1234&dimension4=1.234&dimension6=run%dx%d"
    "&_id=0123456789abcdef&cdt=%d"
    "&url=app%%3A%%2F%%2Fdtu-install%%2Fhomebrew_install"
)
_BULK_ENTRY = json.dumps("?" + _HIT)  # the hit needs no JSON escaping: quotes added only


def hit_query(worker: int, n: int) -> str:
    return _HIT % (worker, n, 1_700_000_000 + n % 86400)


def bulk_body(worker: int, first: int) -> bytes:
    """`json.dumps({"requests": ["?" + hit_query(worker, n), ...]})` for BULK_SIZE hits from
    `first`, byte for byte, built from the template."""
    entry = _BULK_ENTRY
    hits = range(first, first + BULK_SIZE)
    entries = [entry % (worker, n, 1_700_000_000 + n % 86400) for n in hits]
    return ('{"requests": [' + ", ".join(entries) + "]}").encode()


def _request(kind: str, worker: int, n: int, host: str) -> tuple[bytes, int]:
    """(raw HTTP request, hits in it)."""
    if kind == "single":
        target = "/ppms.php?" + hit_query(worker, n)
        return (f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(), 1)
    body = bulk_body(worker, n * BULK_SIZE)
    head = (
        f"POST /ppms.php HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body, BULK_SIZE


def _read_response(sock: socket.socket, buffer: bytearray) -> int:
    """Reads one response from a keep-alive connection; returns its status."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("collector closed the connection")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    length_match = re.search(rb"Content-Length: (\d+)", head)
    length = int(length_match.group(1)) if length_match else 0
    while len(buffer) < end + length:
        buffer += sock.recv(65536)
    del buffer[: end + length]
    return int(head.split(b" ", 2)[1])


def _connection(
    kind: str, url: str, worker: int, seconds: float, out: list[tuple[int, int, int]]
) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray()
    requests = hits = errors = n = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        raw, count = _request(kind, worker, n, f"{host}:{port}")
        n += 1
        sock.sendall(raw)
        status = _read_response(sock, buffer)
        if status in (200, 202, 204):
            requests += 1
            hits += count
        else:
            errors += 1
    sock.close()
    out.append((requests, hits, errors))


def client_process(
    kind: str, url: str, first_worker: int, connections: int, seconds: float, queue: object
) -> None:
    results: list[tuple[int, int, int]] = []
    threads = [
        threading.Thread(target=_connection, args=(kind, url, first_worker + i, seconds, results))
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)  # type: ignore[attr-defined]


def start_collector(db: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "installer", "collector", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"(http://\S+/)", line)
    if not match:
        process.kill()
        raise SystemExit(f"collector did not start: {line!r}")
    return process, match.group(1)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live children, from /proc (Linux):
    what the collector itself spent, whatever else the machine was doing."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run(kind: str, seconds: float, processes: int, connections: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        collector, url = start_collector(db)
        try:
            queue: multiprocessing.Queue[list[tuple[int, int, int]]] = multiprocessing.Queue()
            clients = [
                multiprocessing.Process(
                    target=client_process,
                    args=(kind, url, p * connections, connections, seconds, queue),
                )
                for p in range(processes)
            ]
            # Warm-up (not measured): the first bulk request starts the parse workers.
            _connection(kind, url, 10_000, 0.5, [])
            cpu_before = cpu_seconds(collector.pid)
            started = time.perf_counter()
            for client in clients:
                client.start()
            results = [r for _ in clients for r in queue.get()]
            for client in clients:
                client.join()
            elapsed = time.perf_counter() - started
            collector_cpu = cpu_seconds(collector.pid) - cpu_before
        finally:
            collector.terminate()
            collector.wait(timeout=30)
        with sqlite3.connect(db) as conn:
            (stored,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
            (warm_up,) = conn.execute(
                "SELECT COUNT(*) FROM events WHERE run LIKE 'run10000x%'"
            ).fetchone()
        stored -= warm_up
    requests = sum(r[0] for r in results)
    hits = sum(r[1] for r in results)
    return {
        "requests": requests,
        "hits": hits,
        "errors": sum(r[2] for r in results),
        "stored": stored,
        "seconds": elapsed,
        "requests_per_s": requests / elapsed,
        "hits_per_s": hits / elapsed,
        "collector_cpu_s": collector_cpu,
        "collector_cpu_us_per_hit": collector_cpu / max(hits, 1) * 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    parser.add_argument("--connections", type=int, default=8, help="connections per process")
    parser.add_argument("--kinds", nargs="+", choices=("single", "bulk"), default=KINDS)
    args = parser.parse_args()
    rows = {}
    for kind in args.kinds:
        rows[kind] = run(kind, args.seconds, args.processes, args.connections)
    print(
        f"{'load':<8} {'requests/s':>11} {'hits/s':>9} {'target':>9} {'errors':>7} "
        f"{'acked':>8} {'stored':>8} {'CPU us/hit':>10}"
    )
    for kind, row in rows.items():
        measured = row["requests_per_s"] if kind == "single" else row["hits_per_s"]
        ok = "ok" if measured >= TARGETS[kind] else "MISSED"
        print(
            f"{kind:<8} {row['requests_per_s']:>11.0f} {row['hits_per_s']:>9.0f} "
            f"{TARGETS[kind]:>8.0f} {ok:<3}{row['errors']:>4.0f} {row['hits']:>8.0f} "
            f"{row['stored']:>8.0f} {row['collector_cpu_us_per_hit']:>10.0f}"
        )
    result = {
        "bench": "collector",
        "settings": vars(args) | {"bulk_size": BULK_SIZE},
        "targets": TARGETS,
        "results": rows,
    }
    results_file.write("bench_collector", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
