"""How fast `analytics serve` answers each page through HTTP, at 1 and 10 million events.

For each size: the synthetic store of bench_dashboards.py (bench/synth.py, reused from
$DTU_BENCH_DIR), brought up to date (migrations, daily rollup) once; then the real server
(`dtu-install analytics serve --port 0`, waitress) and, for every page, one warm-up request
and the median of RUNS timed requests (urllib, until the whole body is read). The pages are
fixed-range (`at` = the store's end), so every run answers the same question: the default
30 days, and the dashboards and the runs list also over 365 days.

    nice -n -15 .venv/bin/python bench/bench_serve.py            # 1M and 10M
    .venv/bin/python bench/bench_serve.py --sizes 1000000

Targets (issue 17): each page <= 300 ms at 1M events, <= 1 s at 10M. Not a test.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import results_file  # noqa: E402  (bench/ is on sys.path when a script there runs)
from bench_dashboards import ensure_store  # noqa: E402
from synth import END  # noqa: E402

from installer.analytics.query import refresh_rollup  # noqa: E402
from installer.analytics.timeutil import DAY, format_moment  # noqa: E402
from installer.store.event_store import EventStore  # noqa: E402

RUNS = 5
TARGETS = {1_000_000: 0.3, 10_000_000: 1.0}  # seconds per page


def pages(path: Path) -> list[tuple[str, str]]:
    """(name, URL path) of every page, with a real component, OS/arch, error and run."""
    at = f"at={quote(format_moment(END))}"
    with EventStore(path) as store:
        component, os_name, arch, error, run = store.conn.execute(
            "SELECT component, os, arch, error, run FROM events WHERE ts >= ? AND ts < ? "
            "AND success = 0 AND error IS NOT NULL AND run IS NOT NULL "
            "AND os IS NOT NULL AND arch IS NOT NULL ORDER BY ts DESC LIMIT 1",
            (END - DAY, END),
        ).fetchone()
    drill = f"{at}&component={quote(component)}"
    system = f"{drill}&os={quote(os_name)}&arch={quote(arch)}"
    year = f"{at}&days=365"
    return [
        ("overview (30 days)", f"/overview?{at}"),
        ("overview (7 days, hourly)", f"/overview?{at}&days=7"),
        ("compatibility", f"/compatibility?{at}"),
        ("components", f"/components?{at}"),
        ("development", f"/development?{at}"),
        ("overview, production + arm64", f"/overview?{at}&category=Installer&arch=arm64"),
        ("component drill-down", f"/component?{drill}"),
        ("error categories", f"/errors?{system}"),
        ("runs", f"/runs?{system}&error={quote(error)}"),
        ("run timeline", f"/run/{quote(run)}?{at}"),
        ("overview JSON", f"/api/overview?{at}"),
        # The same pages over a year (the range a term review asks for): the rollup's
        # whole days are ~12x as many rows, and the runs list reads a year of events.
        ("overview (365 days)", f"/overview?{year}"),
        ("compatibility (365 days)", f"/compatibility?{year}"),
        ("components (365 days)", f"/components?{year}"),
        ("development (365 days)", f"/development?{year}"),
        ("runs (365 days)", f"/runs?{system}&days=365&error={quote(error)}"),
    ]


def fetch(url: str) -> float:
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{url}: {answer.status}")
    return time.perf_counter() - began


def prepare(n: int) -> Path:
    path, built = ensure_store(n)
    began = time.perf_counter()
    with EventStore(path) as store:  # migrations, then the daily rollup, once
        refresh_rollup(store)
    print(
        f"{n} events: store {'built' if built else 'reused'}, "
        f"up to date in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    return path


def measure(path: Path, n: int) -> dict[str, Any]:
    server = subprocess.Popen(
        [sys.executable, "-m", "installer", "analytics", "serve", "--db", str(path), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        match = re.search(r"at (http://\S+)/", server.stdout.readline())
        if not match:
            raise RuntimeError("the server did not start")
        base = match.group(1)
        fetch(f"{base}/static/plotly.min.js")
        rows = []
        for name, page in pages(path):
            url = base + page
            fetch(url)  # warm-up: imports, SQLite page cache
            times = [fetch(url) for _ in range(RUNS)]
            median = statistics.median(times)
            rows.append(
                {
                    "page": name,
                    "path": page,
                    "median_s": round(median, 4),
                    "max_s": round(max(times), 4),
                    "target_s": TARGETS.get(n),
                    "meets_target": median <= TARGETS.get(n, float("inf")),
                }
            )
            print(
                f"  {name:32} median {median * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms",
                flush=True,
            )
        return {"events": n, "pages": rows}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=sorted(TARGETS))
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        results.append(measure(prepare(n), n))
    target = results_file.write(
        "bench_serve",
        {"at": format_moment(END), "runs": RUNS, "sizes": results, "pid": os.getpid()},
    )
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
