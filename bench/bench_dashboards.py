"""How fast every dashboard answers `--json`, at 1 and 10 million events, next to DuckDB.

For each size: a synthetic year of events (bench/synth.py) in an event store; then each
dashboard as users run it, `dtu-install analytics dashboard NAME --json` in a fresh process
(median of RUNS), and the same dashboard computed in-process; side by side, DuckDB SQL
computing the same numbers (the same GROUP BYs over the same window, from the same events
loaded into a DuckDB table) and a check that both give the same numbers.

    .venv/bin/python bench/bench_dashboards.py            # 1M and 10M (builds the stores)
    .venv/bin/python bench/bench_dashboards.py --sizes 1000000

Stores are kept in $DTU_BENCH_DIR (default /tmp/dtu-bench) and reused. The daily rollup is
brought up to date once after the bulk load (reported as "fold"), as the first dashboard
after any import does; the timings after that are the steady state.
Targets (issue 7): <= 1 s per dashboard at 1M events, <= 3 s at 10M.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import results_file  # noqa: E402  (bench/ is on sys.path when a script there runs)
from synth import END, make_store  # noqa: E402  (bench/ on sys.path first)

from installer.analytics.dashboards import DASHBOARDS, DashboardQuery, compute  # noqa: E402
from installer.analytics.dashboards.serialize import to_json  # noqa: E402
from installer.analytics.query import ROLLUP_POSITION, refresh_rollup  # noqa: E402
from installer.analytics.timeutil import DAY, format_moment  # noqa: E402
from installer.store.event_store import EventStore  # noqa: E402

RUNS = 3
DAYS = 30
TARGETS = {1_000_000: 1.0, 10_000_000: 3.0}  # seconds per dashboard --json
COLUMNS = ("ts", "category", "component", "success", "os", "arch", "sha")


def bench_dir() -> Path:
    path = Path(os.environ.get("DTU_BENCH_DIR", "/tmp/dtu-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ensure_store(n: int) -> tuple[Path, float | None]:
    path = bench_dir() / f"events-{n}.sqlite3"
    if path.exists():
        with EventStore(path) as store:
            if store.get_meta("bench.synth") == f"{n}:{END}":
                return path, None
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    began = time.perf_counter()
    make_store(path, n, end=END)
    with EventStore(path) as store:
        store.set_meta("bench.synth", f"{n}:{END}")
    return path, time.perf_counter() - began


def fold(path: Path, refold: bool) -> float:
    """Bring the daily rollup up to date; with `refold`, rebuild it from nothing first (what
    the first dashboard after a bulk load of all these events pays, once)."""
    with EventStore(path) as store:
        if refold:
            store.conn.execute("DELETE FROM daily")
            store.conn.execute("DELETE FROM meta WHERE key = ?", (ROLLUP_POSITION,))
        began = time.perf_counter()
        refresh_rollup(store)
        return time.perf_counter() - began


def cli_cpu(path: Path, name: str) -> float:
    """CPU seconds (user + system) of one CLI run: less sensitive to a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cli_json(path, name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def median_time(fn: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def in_process(store: EventStore, name: str, query: DashboardQuery) -> dict[str, Any]:
    return to_json(name, compute(name, store, query))


def cli_json(path: Path, name: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "installer",
            "analytics",
            "dashboard",
            name,
            "--json",
            "--db",
            str(path),
            "--at",
            format_moment(END),
            "--days",
            str(DAYS),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(out.stdout))


# --- DuckDB: the same numbers by plain SQL --------------------------------------------------
def ensure_duckdb(path: Path, n: int) -> tuple[Any, float | None]:
    import duckdb

    target = path.with_suffix(".duckdb")
    if target.exists():
        con = duckdb.connect(str(target))
        try:
            (count,) = con.execute("SELECT COUNT(*) FROM events").fetchone()
            if count == n:
                return con, None
        except duckdb.Error:
            pass
        con.close()
        target.unlink()
    began = time.perf_counter()
    csv_path = path.with_suffix(".csv")
    with EventStore(path) as store, csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(store.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events"))
    con = duckdb.connect(str(target))
    con.execute(
        "CREATE TABLE events AS SELECT * FROM read_csv(?, header = true, columns = {"
        "'ts': 'BIGINT', 'category': 'VARCHAR', 'component': 'VARCHAR', 'success': 'INTEGER',"
        "'os': 'VARCHAR', 'arch': 'VARCHAR', 'sha': 'VARCHAR'})",
        [str(csv_path)],
    )
    csv_path.unlink()
    return con, time.perf_counter() - began


def duck_groups(con: Any, columns: str, start: int, end: int) -> list[tuple[Any, ...]]:
    day = f"(ts // {DAY}) * {DAY} AS day"
    select = columns.replace("day", day)
    sql = (
        f"SELECT {select}, COUNT(*) AS events, SUM(success) AS ok FROM events "
        f"WHERE ts >= ? AND ts < ? GROUP BY ALL"
    )
    return [tuple(r) for r in con.execute(sql, [start, end]).fetchall()]


def duck_dashboard(con: Any, name: str) -> dict[str, Any]:
    """The dashboard's key numbers from DuckDB, shaped to compare with our JSON."""
    start, end = END - DAYS * DAY, END
    totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    if name == "overview":
        for _day, category, events, ok in duck_groups(con, "day, category", start, end):
            totals[category][0] += events
            totals[category][1] += ok
        return {
            "events_by_category": {k: v[0] for k, v in totals.items()},
            "successes": sum(v[1] for v in totals.values()),
        }
    if name == "compatibility":
        for arch, _os, _day, events, ok in duck_groups(con, "arch, os, day", start, end):
            totals[arch][0] += events
            totals[arch][1] += ok
        return {"per_architecture": {k: tuple(v) for k, v in totals.items()}}
    if name == "components":
        for component, _arch, _day, events, ok in duck_groups(
            con, "component, arch, day", start, end
        ):
            totals[component][0] += events
            totals[component][1] += ok
        return {"failures": {k: v[0] - v[1] for k, v in totals.items()}}
    for sha, _c, _cat, _day, events, ok in duck_groups(
        con, "sha, component, category, day", start, end
    ):
        totals[sha][0] += events
        totals[sha][1] += ok
    extents = {
        sha: (first, last)
        for sha, first, last in con.execute(
            "SELECT sha, MIN(ts), MAX(ts) FROM events WHERE ts < ? AND sha IN "
            "(SELECT DISTINCT sha FROM events WHERE ts >= ? AND ts < ?) GROUP BY sha",
            [end, start, end],
        ).fetchall()
    }
    week = dict(
        con.execute(
            "SELECT category, COUNT(*) FROM events WHERE ts >= ? AND ts < ? GROUP BY 1",
            [end - 7 * DAY, end],
        ).fetchall()
    )
    return {"per_sha": {k: (v[0], *extents[k]) for k, v in totals.items()}, "week": week}


def ours_comparable(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The same key numbers from our JSON."""
    w = doc["widgets"]
    if name == "overview":
        return {
            "events_by_category": {r["category"]: r["events"] for r in w["events_by_category"]},
            "successes": w["success_rate"]["successes"],
        }
    if name == "compatibility":
        return {
            "per_architecture": {
                r["arch"]: (r["events"], round(r["events"] * (r["success_rate"] or 0) / 100))
                for r in w["per_architecture"]
            }
        }
    if name == "components":
        return {"failures": {r["component"]: r["failures"] for r in w["per_component"]}}

    def unix(text: str) -> int:
        return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))

    return {
        "per_sha": {
            r["sha"]: (r["events"], unix(r["first_seen"]), unix(r["last_seen"]))
            for r in w["per_sha"]
        },
        "week": {r["category"]: r["events"] for r in w["events_by_category_7d"]["categories"]},
    }


def agree(name: str, ours: dict[str, Any], duck: dict[str, Any]) -> bool:
    if name == "compatibility":
        # Our JSON has rounded rates; compare events exactly and successes to within rounding.
        a, b = ours["per_architecture"], duck["per_architecture"]
        return a.keys() == b.keys() and all(
            a[k][0] == b[k][0] and abs(a[k][1] - b[k][1]) <= max(1, b[k][0] // 10_000) for k in a
        )
    return ours == duck


def run(sizes: Sequence[int], refold: bool) -> dict[str, Any]:
    results: dict[str, Any] = {"at": format_moment(END), "days": DAYS, "runs": RUNS, "sizes": []}
    for n in sizes:
        path, built = ensure_store(n)
        folded = fold(path, refold)
        con, loaded = ensure_duckdb(path, n)
        query = DashboardQuery(at=END, days=DAYS)
        rows = []
        with EventStore(path) as store:
            for name in DASHBOARDS:
                cli = median_time(partial(cli_json, path, name))
                cpu = statistics.median(cli_cpu(path, name) for _ in range(RUNS))
                inproc = median_time(partial(in_process, store, name, query))
                duck = median_time(partial(duck_dashboard, con, name))
                same = agree(
                    name, ours_comparable(name, cli_json(path, name)), duck_dashboard(con, name)
                )
                rows.append(
                    {
                        "dashboard": name,
                        "cli_json_s": round(cli, 3),
                        "cli_cpu_s": round(cpu, 3),
                        "in_process_s": round(inproc, 4),
                        "duckdb_s": round(duck, 4),
                        "ratio_in_process_to_duckdb": round(inproc / duck, 2),
                        "ratio_cli_to_duckdb": round(cli / duck, 2),
                        "same_numbers": same,
                        "target_s": TARGETS.get(n),
                        "meets_target": None if n not in TARGETS else cli <= TARGETS[n],
                    }
                )
        con.close()
        results["sizes"].append(
            {
                "events": n,
                "store_build_s": None if built is None else round(built, 1),
                "rollup_fold_s": round(folded, 2),
                "rollup_rebuilt": refold,
                "duckdb_load_s": None if loaded is None else round(loaded, 1),
                "store_bytes": path.stat().st_size,
                "dashboards": rows,
            }
        )
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dashboard --json timings vs DuckDB")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--refold", action="store_true", help="rebuild the daily rollup first and time it"
    )
    args = parser.parse_args(argv)
    results = run(args.sizes, args.refold)
    print(
        f"{'events':>10} {'dashboard':<14} {'CLI --json':>10} {'CLI CPU':>8} {'in-proc':>9} "
        f"{'DuckDB':>8} {'ratio':>6} {'same':>5} {'target':>7}"
    )
    for size in results["sizes"]:
        for r in size["dashboards"]:
            target = "" if r["target_s"] is None else ("ok" if r["meets_target"] else "MISSED")
            print(
                f"{size['events']:>10} {r['dashboard']:<14} {r['cli_json_s']:>9.3f}s "
                f"{r['cli_cpu_s']:>7.3f}s {r['in_process_s']:>8.4f}s {r['duckdb_s']:>7.4f}s "
                f"{r['ratio_in_process_to_duckdb']:>6.2f} {'yes' if r['same_numbers'] else 'NO':>5}"
                f" {target:>7}"
            )
        what = "rebuilt" if size["rollup_rebuilt"] else "brought up to date"
        print(f"{size['events']:>10} daily rollup {what} in {size['rollup_fold_s']} s")
    out = results_file.write("bench_dashboards", results)
    print(f"load average after the run: {os.getloadavg()}; wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
