"""Run every benchmark, one after another (`make bench`), each in its own process.

Each script prints its own table and writes `bench/results/<name>.json`; this only runs them
in turn and says which failed. The 10M-event ones build their stores once (cached under the
system's temp dir), so the first `make bench` takes a long time.

    .venv/bin/python bench/run_all.py [NAME ...]    # e.g. cli_startup bench_runner
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Cheapest first, so a quick look needs only Ctrl-C after the first few.
BENCHMARKS: tuple[str, ...] = (
    "cli_startup",
    "zipapp_startup",
    "bench_runner",
    "bench_download",
    "bench_telemetry",
    "bench_collector",
    "bench_import",
    "bench_dashboards",
    "bench_serve",
    "bench_alerts",
    "bench_incidents",
)


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    failed: list[str] = []
    for name in names or BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py")])
        print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f} s ===", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
