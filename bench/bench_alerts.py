"""Alert check and report times over 1,000,000 and 10,000,000 events.

    .venv/bin/python bench/bench_alerts.py [--small 1000000] [--large 10000000] [--repeat 5]

Targets (issue 8): with 1,000,000 events, `alerts check` and each report take at most 1 s;
`alerts check` with 10,000,000 events takes at most 1.5x its 1,000,000-event time.

The large store is the small one (a deployment's year, ~1M events) plus nine million events
in the nine years before it: every window of the last year holds exactly the same events
in both, so the ratio shows whether anything reads the history (SPEC 7: "only the windows
are read"). Stores are built once with `bench/synth.py` and kept in the temp dir.

Measured: each function in-process (median of --repeat runs, after one warm-up run that
also folds the daily rollup of the dashboards' query layer), the alert check at 24 moments
of the last day (a backtest-like sweep), and the whole command as users run it (a
subprocess, so Python start-up included).
"""

from __future__ import annotations

import argparse
import os
import shutil
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

import results_file  # noqa: E402  (bench/ is on sys.path when a script there runs)
from synth import _INSERT as SYNTH_INSERT  # noqa: E402  (bench/ is on sys.path when run)
from synth import END, make_store  # noqa: E402
from synth import rows as synth_rows  # noqa: E402

from installer.analytics.alerts.evaluate import evaluate  # noqa: E402
from installer.analytics.alerts.rules import default_rules  # noqa: E402
from installer.analytics.query import Scope  # noqa: E402
from installer.analytics.reports.commands import build  # noqa: E402
from installer.analytics.timeutil import DAY, HOUR, format_moment  # noqa: E402
from installer.store.event_store import EventStore  # noqa: E402

CACHE = Path(tempfile.gettempdir()) / "dtu-bench"
HISTORY_PREFIX = b"hist:"  # identities of the added history rows (synth uses b"synth")
TARGET_SECONDS = 1.0
TARGET_RATIO = 1.5
REPORTS = ("weekly", "component-health", "compatibility")


def small_store(n_events: int) -> Path:
    path = CACHE / f"alerts-{n_events}-365d.sqlite3"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        _remove(partial)
        print(f"building {n_events:,} events over 365 days in {path} ...", flush=True)
        make_store(partial, n_events, days=365, end=END)
        partial.rename(path)
    return path


def large_store(small: Path, n_small: int, n_large: int) -> Path:
    """The small store plus `n_large - n_small` events in the years before it: every window
    of the last year holds exactly the same events in both stores; only history differs."""
    extra = n_large - n_small
    years = max(1, round(extra / n_small))
    path = CACHE / f"alerts-{n_small}+{extra}-{years}y-history.sqlite3"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        _remove(partial)
        print(
            f"building {small.name} + {extra:,} events over {years} earlier years ...", flush=True
        )
        shutil.copyfile(small, partial)
        with EventStore(partial) as store:
            conn = store.conn
            conn.execute("PRAGMA synchronous=OFF")  # a fixture: rebuilt if interrupted
            conn.execute("BEGIN IMMEDIATE")
            batch = []
            # synth numbers identities from 0 on every call: give these their own prefix.
            for row in synth_rows(extra, days=365 * years, seed=1, end=END - 365 * DAY):
                batch.append((HISTORY_PREFIX + bytes(row[0])[len(HISTORY_PREFIX) :], *row[1:]))
                if len(batch) >= 200_000:
                    conn.executemany(SYNTH_INSERT, batch)
                    batch.clear()
            conn.executemany(SYNTH_INSERT, batch)
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial.rename(path)
    return path


def _remove(partial: Path) -> None:
    for leftover in partial.parent.glob(partial.name + "*"):
        leftover.unlink()


def side_by_side(
    fns: dict[str, Callable[[], object]], repeat: int
) -> dict[str, tuple[float, float]]:
    """Run each callable `repeat` times, alternating between them (so that a busy moment of
    the machine hits both alike); (median, min) seconds of each, after one warm-up run that
    also folds the daily rollup of the query layer."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            began = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - began)
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


def command(db: Path, args: list[str]) -> Callable[[], object]:
    argv = [sys.executable, "-m", "installer", "analytics", *args, "--db", str(db)]
    argv += ["--at", format_moment(END), "--json"]
    env = {**os.environ, "DTU_INSTALL_NO_TELEMETRY": "1"}
    return lambda: subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)


def measure(stores: dict[str, Path], repeat: int) -> dict[str, dict[str, tuple[float, float]]]:
    """measure -> store label -> (median, min)."""
    rules = default_rules()
    scope = Scope.production()
    sweep = [END - k * HOUR for k in range(24)]
    opened = {label: EventStore(path) for label, path in stores.items()}

    def report_task(name: str) -> Callable[[EventStore, Path], Callable[[], object]]:
        return lambda st, _: lambda: build(st, name, END, scope).serialize()

    def command_task(args: list[str]) -> Callable[[EventStore, Path], Callable[[], object]]:
        return lambda _, db: command(db, args)

    tasks: dict[str, Callable[[EventStore, Path], Callable[[], object]]] = {
        "alerts_check": lambda st, _: lambda: evaluate(st, rules, END),
        "alerts_check_24_moments": lambda st, _: lambda: [evaluate(st, rules, t) for t in sweep],
        **{f"report_{name}": report_task(name) for name in REPORTS},
        "alerts_check_command": command_task(["alerts", "check"]),
        **{f"report_{name}_command": command_task(["report", name]) for name in REPORTS},
    }
    out: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        for task, make in tasks.items():
            reps = 3 if task.endswith("_command") else repeat
            fns = {label: make(opened[label], stores[label]) for label in stores}
            out[task] = side_by_side(fns, reps)
    finally:
        for st in opened.values():
            st.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000_000)
    parser.add_argument("--large", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    small = small_store(args.small)
    stores = {"small": small, "large": large_store(small, args.small, args.large)}
    results = measure(stores, args.repeat)
    print(f"\n{'median (min) seconds':32} {args.small:>18,} {args.large:>18,}")
    for task, by_store in results.items():
        cells = [f"{by_store[k][0]:.4f} ({by_store[k][1]:.4f})" for k in ("small", "large")]
        print(f"{task:32} {cells[0]:>18} {cells[1]:>18}")
    ratios = {
        task: results[task]["large"][0] / results[task]["small"][0]
        for task in ("alerts_check", "alerts_check_24_moments", "alerts_check_command")
    }
    print("\nlarge / small (medians): " + ", ".join(f"{k} {v:.2f}x" for k, v in ratios.items()))
    in_process = [
        results[k]["small"][0] for k in ("alerts_check", *(f"report_{n}" for n in REPORTS))
    ]
    commands = [
        results[k]["small"][0]
        for k in ("alerts_check_command", *(f"report_{n}_command" for n in REPORTS))
    ]
    print(
        f"at {args.small:,}: slowest in-process {max(in_process):.3f} s, slowest command "
        f"{max(commands):.3f} s (target {TARGET_SECONDS} s); alerts check ratio "
        f"{ratios['alerts_check_24_moments']:.2f}x (target {TARGET_RATIO}x)"
    )
    results_file.write(
        "bench_alerts",
        {
            "events": {"small": args.small, "large": args.large},
            "seconds_median_min": results,
            "ratios_large_small": ratios,
            "targets": {"seconds_at_small": TARGET_SECONDS, "ratio": TARGET_RATIO},
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
