"""Alert check and report times over 1,000,000 and 10,000,000 events.

    .venv/bin/python bench/bench_alerts.py [--small 1000000] [--large 10000000] [--repeat 5]

Targets (issue 8): with 1,000,000 events, `alerts check` and each report take at most 1 s;
`alerts check` with 10,000,000 events takes at most 1.5x its 1,000,000-event time.

The two stores have the same traffic per day (a deployment's year of ~1M events) and the
large one ten times the history (3,650 days): the windows an alert reads hold the same
events, so the ratio shows whether anything reads the history (SPEC 7: "only the windows are
read"). Stores are built once with `bench/synth.py` and kept in the temp dir.

Measured: each function in-process (median of --repeat runs, after one warm-up run that
also folds the daily rollup of the dashboards' query layer), the alert check at 24 moments
of the last day (a backtest-like sweep), and the whole command as users run it (a
subprocess, so Python start-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from synth import END, make_store  # noqa: E402  (bench/ is on sys.path when run)

from installer.analytics.alerts.evaluate import evaluate  # noqa: E402
from installer.analytics.alerts.rules import default_rules  # noqa: E402
from installer.analytics.query import Scope  # noqa: E402
from installer.analytics.reports.commands import build  # noqa: E402
from installer.analytics.store import EventStore  # noqa: E402
from installer.analytics.timeutil import HOUR, format_moment  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CACHE = Path(tempfile.gettempdir()) / "dtu-bench"
EVENTS_PER_YEAR = 1_000_000  # the traffic of both stores; the large one has more years
TARGET_SECONDS = 1.0
TARGET_RATIO = 1.5
REPORTS = ("weekly", "component-health", "compatibility")


def store_for(n_events: int) -> Path:
    days = max(365, round(365 * n_events / EVENTS_PER_YEAR))
    path = CACHE / f"alerts-{n_events}-{days}d.sqlite3"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        for leftover in CACHE.glob(partial.name + "*"):
            leftover.unlink()
        print(f"building {n_events:,} events over {days} days in {path} ...", flush=True)
        make_store(partial, n_events, days=days, end=END)
        partial.rename(path)
    return path


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: page cache and the daily rollup
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def command_time(db: Path, args: list[str], repeat: int) -> float:
    argv = [sys.executable, "-m", "installer", "analytics", *args, "--db", str(db)]
    argv += ["--at", format_moment(END), "--json"]
    env = {**os.environ, "DTU_INSTALL_NO_TELEMETRY": "1"}
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measure(db: Path, repeat: int) -> dict[str, float]:
    rules = default_rules()
    scope = Scope.production()
    out: dict[str, float] = {}
    with EventStore(db) as store:
        began = time.perf_counter()
        evaluate(store, rules, END)
        out["alerts_first_run"] = time.perf_counter() - began
        out["alerts_check"] = median_time(lambda: evaluate(store, rules, END), repeat)
        sweep = [END - k * HOUR for k in range(24)]
        out["alerts_check_24_moments"] = median_time(
            lambda: [evaluate(store, rules, at) for at in sweep], max(1, repeat // 2)
        )
        for name in REPORTS:
            out[f"report_{name}"] = median_time(
                lambda n=name: build(store, n, END, scope).serialize(),
                repeat,  # type: ignore[misc]
            )
    out["alerts_check_command"] = command_time(db, ["alerts", "check"], 3)
    for name in REPORTS:
        out[f"report_{name}_command"] = command_time(db, ["report", name], 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    small, large = store_for(args.small), store_for(args.large)
    results = {"small": measure(small, args.repeat), "large": measure(large, args.repeat)}
    ratio = results["large"]["alerts_check"] / results["small"]["alerts_check"]
    ratio_sweep = (
        results["large"]["alerts_check_24_moments"] / results["small"]["alerts_check_24_moments"]
    )
    print(f"\n{'measure':32} {args.small:>12,} {args.large:>12,}   (seconds)")
    for key in results["small"]:
        print(f"{key:32} {results['small'][key]:12.4f} {results['large'][key]:12.4f}")
    print(f"\nalerts check, large/small: {ratio:.2f}x (24-moment sweep: {ratio_sweep:.2f}x)")
    in_process_ok = all(
        results["small"][k] <= TARGET_SECONDS
        for k in ("alerts_check", *(f"report_{n}" for n in REPORTS))
    )
    command_ok = all(
        results["small"][k] <= TARGET_SECONDS
        for k in ("alerts_check_command", *(f"report_{n}_command" for n in REPORTS))
    )
    verdict = ratio_sweep <= TARGET_RATIO
    print(f"target <= {TARGET_SECONDS} s at {args.small:,}: in-process {in_process_ok}, ")
    print(f"command {command_ok}; ratio <= {TARGET_RATIO}: {verdict}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_alerts.json").write_text(
        json.dumps(
            {
                "events": {"small": args.small, "large": args.large},
                "seconds": results,
                "ratio_alerts_check": ratio,
                "ratio_alerts_check_24_moments": ratio_sweep,
                "targets": {"seconds_at_small": TARGET_SECONDS, "ratio": TARGET_RATIO},
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
