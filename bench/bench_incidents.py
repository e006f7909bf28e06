"""`alerts backtest --incidents` against the plain backtest, side by side.

    nice -n -15 .venv/bin/python bench/bench_incidents.py [--events 1000000] [--repeat 3]

Target (issue 15): over a month evaluated every 15 minutes (2,881 evaluation times) on a
store of 1,000,000 events (a deployment's year, `bench/synth.py`), the incidents backtest
takes at most 2x the plain one. Both run in one process on the same open store, alternating
(one warm-up run each first), so a busy moment of the machine hits both alike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import results_file  # noqa: E402  (bench/ is on sys.path when a script there runs)
from bench_alerts import side_by_side, small_store  # noqa: E402
from synth import END  # noqa: E402

from installer.analytics.alerts.backtest import backtest, backtest_incidents  # noqa: E402
from installer.analytics.alerts.rules import default_rules  # noqa: E402
from installer.analytics.timeutil import DAY, format_moment  # noqa: E402
from installer.store.event_store import EventStore  # noqa: E402

TARGET_RATIO = 2.0
EVERY = 15 * 60
MONTH = 30 * DAY


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = small_store(args.events)
    rules = default_rules()
    start, end = END - MONTH, END
    with EventStore(path) as store:
        counts: dict[str, int] = {}

        def plain() -> None:
            counts["firings"] = len(backtest(store, rules, start, end, EVERY))

        def incidents() -> None:
            result = backtest_incidents(store, rules, start, end, EVERY)
            counts["incidents"] = len(result.incidents)
            counts["notifications"] = len(result.notices)

        timed = side_by_side({"plain": plain, "incidents": incidents}, args.repeat)
    ratio = timed["incidents"][0] / timed["plain"][0]
    evaluations = (end - start) // EVERY + 1
    print(
        f"{args.events:,} events, {format_moment(start)} .. {format_moment(end)} every 15 min "
        f"({evaluations} evaluations)"
    )
    for name, (median, low) in timed.items():
        print(f"backtest {name:10} median {median:.3f} s (min {low:.3f} s)")
    print(f"{counts}; incidents / plain: {ratio:.2f}x (target at most {TARGET_RATIO}x)")
    results_file.write(
        "bench_incidents",
        {
            "events": args.events,
            "from": format_moment(start),
            "to": format_moment(end),
            "every_seconds": EVERY,
            "evaluations": evaluations,
            "seconds_median_min": timed,
            "found": counts,
            "ratio_incidents_plain": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
