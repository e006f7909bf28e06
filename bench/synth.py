"""Synthetic installer events, written straight into an `EventStore` file.

A year of a large deployment in a few seconds per million events, realistic enough that
every dashboard, report and alert has something to show:

- runs of ~10 events (one per step, in order; a failure ends the run; re-runs skip the
  steps already done with `Skipped`, e_v = 1);
- categories: mostly `Installer`, some `Installer_CI` (daily matrix) and `Installer_TEST`;
- OS versions whose shares move over the year (a new macOS appears in the autumn), two
  architectures (arm64 growing);
- commit SHAs deployed every one to three weeks, with one bad SHA that is rolled back to its
  predecessor for a few days (a SHA that comes back after a newer one was seen);
- failures with the SPEC 3 error suffixes, more of them on old systems, on x86_64 for a few
  steps, and under the bad SHA;
- seasonality: semester starts, weekdays, office hours.

Use it from another bench script (`bench/` is on `sys.path` when a script there runs):

    from synth import make_store
    make_store("/tmp/events.sqlite3", 1_000_000)

or from the shell: `.venv/bin/python bench/synth.py PATH N_EVENTS [--days D] [--seed S]`.
Identities are synthetic (a counter under a fixed prefix), so they never collide with real
hits; the rows are otherwise exactly what `normalise_hit` would store.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from installer.analytics.timeutil import DAY, HOUR, parse_moment  # noqa: E402
from installer.store.event_store import EventStore  # noqa: E402  (after the sys.path fix)

END = parse_moment("2026-11-23T07:00:00Z")  # a Monday morning: the weekly report's moment

# (component, typical duration in seconds, base failure probability, error categories)
STEPS: Sequence[tuple[str, float, float, Sequence[str]]] = (
    ("xcode_clt", 240.0, 0.010, ("timeout_error", "network_error", "unknown_error")),
    ("homebrew_install", 180.0, 0.030, ("network_error", "permission_error", "timeout_error")),
    ("miniforge_download", 25.0, 0.025, ("network_error", "checksum_error", "timeout_error")),
    ("miniforge_install", 60.0, 0.012, ("disk_error", "permission_error", "unknown_error")),
    ("conda_init", 3.0, 0.006, ("permission_error", "unknown_error")),
    ("python_env", 90.0, 0.015, ("network_error", "missing_dependency", "disk_error")),
    ("course_packages", 150.0, 0.040, ("network_error", "missing_dependency", "timeout_error")),
    ("vscode_download", 20.0, 0.020, ("network_error", "checksum_error")),
    ("vscode_install", 8.0, 0.008, ("permission_error", "disk_error")),
    ("vscode_extensions", 30.0, 0.018, ("network_error", "timeout_error", "unknown_error")),
    ("shell_profile", 0.5, 0.003, ("permission_error",)),
)
# Steps that fail more often on Intel Macs (Rosetta-era packages, older hardware).
X86_FRAGILE = {"homebrew_install": 2.0, "course_packages": 1.6, "xcode_clt": 1.5}
# The bad SHA breaks this step until it is rolled back.
BAD_SHA_STEP, BAD_SHA_FACTOR = "conda_init", 25.0

# (os, share at the start of the period, share at its end, fraction of the period when it
# first appears); shares are relative weights, interpolated linearly over the period.
OS_VERSIONS: Sequence[tuple[str, float, float, float]] = (
    ("Darwin12.7.6", 6.0, 1.0, 0.0),
    ("Darwin13.7.2", 14.0, 4.0, 0.0),
    ("Darwin14.7.1", 35.0, 12.0, 0.0),
    ("Darwin15.1.1", 40.0, 25.0, 0.0),
    ("Darwin15.6", 5.0, 20.0, 0.0),
    ("Darwin26.0.1", 0.0, 30.0, 0.15),
    ("Darwin26.1", 0.0, 15.0, 0.78),
)
OLD_OS_FACTOR = {"Darwin12.7.6": 2.5, "Darwin13.7.2": 1.4}
ARM64_SHARE = (0.62, 0.82)  # at the start, at the end of the period

CATEGORY_SHARES = (("Installer", 0.88), ("Installer_TEST", 0.04), ("Installer_CI", 0.08))
CI_MATRIX = (("Darwin14.7.1", "arm64"), ("Darwin15.1.1", "arm64"), ("Darwin13.7.2", "x86_64"))
CI_FAILURE_FACTOR = 0.4  # CI machines are clean: fewer failures than students' Macs
RERUN_SHARE = 0.15  # runs that find some steps already done (Skipped)

# Day weights: teaching calendar (DTU: semester starts late August and early February).
SEMESTER_STARTS = ((8, 20, 25), (1, 27, 14))  # (month, day, length in days)
SEMESTER_FACTOR, WEEKEND_FACTOR = 5.0, 0.35
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 14, 14, 12, 10, 8, 6, 5, 4, 3, 2, 1)

SHA_INTERVAL_DAYS = (7, 21)  # a new SHA every one to three weeks
ROLLBACK_AT, BAD_DAYS, ROLLBACK_DAYS = 0.6, 2, 4  # where, how long bad, how long rolled back

_INSERT = (
    "INSERT OR IGNORE INTO events (ident, ts, category, action, name, component, value, "
    "success, os, arch, sha, duration, error, run) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_IDENT_PREFIX = b"synth"
Row = tuple[object, ...]


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(28):07x}"


def deployments(rng: random.Random, start: int, end: int) -> list[tuple[int, str]]:
    """(from ts, SHA) in time order, including one bad SHA rolled back to its predecessor."""
    plan: list[tuple[int, str]] = []
    t = start - DAY * rng.randint(*SHA_INTERVAL_DAYS)  # the first SHA predates the period
    rollback_at = start + int((end - start) * ROLLBACK_AT)
    rolled_back = False
    while t < end:
        plan.append((t, _sha(rng)))
        t += DAY * rng.randint(*SHA_INTERVAL_DAYS) + rng.randint(0, DAY)
        if not rolled_back and t >= rollback_at and len(plan) >= 2:
            good = plan[-1][1]
            bad = _sha(rng)
            plan.append((t, bad))
            t += BAD_DAYS * DAY
            plan.append((t, good))  # rollback: the good SHA comes back after the bad one
            t += ROLLBACK_DAYS * DAY
            rolled_back = True
    return plan


def bad_shas(plan: Sequence[tuple[int, str]]) -> set[str]:
    seen: list[str] = [sha for _, sha in plan]
    return {seen[i - 1] for i in range(2, len(seen)) if seen[i] == seen[i - 2]}


def _day_weight(day_start: int) -> float:
    tm = time.gmtime(day_start)
    weight = WEEKEND_FACTOR if tm.tm_wday >= 5 else 1.0
    for month, mday, length in SEMESTER_STARTS:
        first = calendar.timegm((tm.tm_year, month, mday, 0, 0, 0, 0, 0, 0))
        for year_shift in (0, -1):
            begin = first + year_shift * 365 * DAY
            if begin <= day_start < begin + length * DAY:
                weight *= SEMESTER_FACTOR
    return weight


def _os_table(fraction: float) -> tuple[list[str], list[float]]:
    names, cum, acc = [], [], 0.0
    for name, w0, w1, appears in OS_VERSIONS:
        if fraction < appears:
            continue
        span = max(1e-9, 1.0 - appears)
        local = (fraction - appears) / span if appears else fraction
        acc += max(0.0, w0 + (w1 - w0) * local) + (1.0 if appears else 0.0)
        names.append(name)
        cum.append(acc)
    return names, cum


class _Generator:
    def __init__(self, seed: int, start: int, end: int) -> None:
        self.rng = random.Random(seed)
        self.start, self.end = start, end
        self.plan = deployments(self.rng, start, end)
        self.plan_starts = [t for t, _ in self.plan]
        self.bad = bad_shas(self.plan)
        self.hour_cum = list(_cumulative(HOUR_WEIGHTS))
        self.cat_names = [c for c, _ in CATEGORY_SHARES]
        self.cat_cum = list(_cumulative([w for _, w in CATEGORY_SHARES]))
        self.counter = 0

    def sha_at(self, ts: int) -> str:
        return self.plan[max(0, bisect.bisect_right(self.plan_starts, ts) - 1)][1]

    def run(self, ts: int, fraction: float, os_table: tuple[list[str], list[float]]) -> list[Row]:
        rng = self.rng
        category = rng.choices(self.cat_names, cum_weights=self.cat_cum)[0]
        if category == "Installer_CI":
            os_name, arch = rng.choice(CI_MATRIX)
            factor = CI_FAILURE_FACTOR
        else:
            os_name = rng.choices(os_table[0], cum_weights=os_table[1])[0]
            arm = ARM64_SHARE[0] + (ARM64_SHARE[1] - ARM64_SHARE[0]) * fraction
            arch = "arm64" if rng.random() < arm else "x86_64"
            factor = OLD_OS_FACTOR.get(os_name, 1.0)
        sha = self.sha_at(ts)
        run_id = f"{rng.getrandbits(64):016x}"
        skipped = rng.randrange(len(STEPS)) if rng.random() < RERUN_SHARE else 0
        rows: list[Row] = []
        t = float(ts)
        for index, (component, typical, p_fail, errors) in enumerate(STEPS):
            if index < skipped:
                duration = round(rng.uniform(0.05, 1.5), 3)
                action, name, value, success, error = "Skipped", component, 1.0, 1, None
            else:
                duration = round(typical * rng.lognormvariate(0.0, 0.5), 3)
                p = p_fail * factor
                if arch == "x86_64":
                    p *= X86_FRAGILE.get(component, 1.0)
                if sha in self.bad and component == BAD_SHA_STEP:
                    p *= BAD_SHA_FACTOR
                if rng.random() < p:
                    error = rng.choice(errors)
                    action, name, value, success = "Event", f"{component}_{error}", 0.0, 0
                else:
                    action, name, value, success, error = "Event", component, 1.0, 1, None
            t += duration
            self.counter += 1
            ident = _IDENT_PREFIX + self.counter.to_bytes(11, "big")
            rows.append(
                (
                    ident,
                    int(t),
                    category,
                    action,
                    name,
                    component,
                    value,
                    success,
                    os_name,
                    arch,
                    sha,
                    duration,
                    error,
                    run_id,
                )
            )
            if not success:
                break  # a failed step ends the run (the runner aborts)
        return rows


def _cumulative(weights: Sequence[float]) -> Iterator[float]:
    acc = 0.0
    for w in weights:
        acc += w
        yield acc


def _mean_run_length(seed: int, start: int, end: int) -> float:
    pilot = _Generator(seed + 7919, start, end)
    table = _os_table(0.5)
    lengths = [len(pilot.run(start, 0.5, table)) for _ in range(4000)]
    return sum(lengths) / len(lengths)


def rows(n_events: int, days: int = 365, seed: int = 0, end: int = END) -> Iterator[Row]:
    """Exactly `n_events` rows in roughly time order, all in `[end - days, end)`."""
    start = end - days * DAY
    gen = _Generator(seed, start, end)
    day_starts = [start + d * DAY for d in range(days)]
    weights = [_day_weight(d) for d in day_starts]
    runs_total = n_events / _mean_run_length(seed, start, end) * 0.995  # top-up covers the rest
    scale = runs_total / sum(weights)
    emitted, carry = 0, 0.0
    for day_start, weight in zip(day_starts, weights):
        fraction = (day_start - start) / (end - start)
        table = _os_table(fraction)
        carry += weight * scale
        n_runs = int(carry)
        carry -= n_runs
        hours = gen.rng.choices(range(24), cum_weights=gen.hour_cum, k=n_runs)
        starts = sorted(day_start + h * HOUR + gen.rng.randrange(HOUR) for h in hours)
        for ts in starts:
            for row in gen.run(ts, fraction, table):
                if emitted == n_events:
                    return
                if row[1] >= end:  # type: ignore[operator]  # ts is an int
                    continue  # a run that started just before `end` is cut at `end`
                yield row
                emitted += 1
    while emitted < n_events:  # top up at random moments of the period
        ts = gen.rng.randrange(start, end - DAY)
        fraction = (ts - start) / (end - start)
        for row in gen.run(ts, fraction, _os_table(fraction)):
            if emitted == n_events:
                return
            yield row
            emitted += 1


def make_store(
    path: str | Path, n_events: int, days: int = 365, seed: int = 0, end: int = END
) -> Path:
    """Create (or add to) the store at `path` with `n_events` synthetic events."""
    path = Path(path)
    with EventStore(path) as store:
        conn = store.conn
        conn.execute("PRAGMA synchronous=OFF")  # a benchmark fixture: rebuilt if interrupted
        batch: list[Row] = []
        conn.execute("BEGIN IMMEDIATE")
        for row in rows(n_events, days, seed, end):
            batch.append(row)
            if len(batch) >= 200_000:
                conn.executemany(_INSERT, batch)
                batch.clear()
        conn.executemany(_INSERT, batch)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("n_events", type=int)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    make_store(args.path, args.n_events, args.days, args.seed)
    elapsed = time.perf_counter() - began
    print(f"{args.n_events} events in {args.path} ({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
