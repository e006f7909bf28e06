"""The one way analytics read the store: counts over a half-open window, grouped.

Dashboards, reports and alerts are pure functions over these `Counts`; the SQL stays here,
so every number in the product is computed the same way (SPEC 6, "Definitions").
Only the rows of the window are read (index on `ts`), never the whole history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from installer.analytics.timeutil import DAY, Window, exact_rate, rate
from installer.events.schema import PRODUCTION
from installer.store.event_store import ROLLUP_POSITION, EventStore
from installer.store.sqlite_tx import rollback

# Group-by names -> SQL expressions. Only these names are accepted (no SQL from outside).
GROUPS: Mapping[str, str] = {
    "category": "category",
    "action": "action",
    "name": "name",
    "component": "component",
    "os": "os",
    "arch": "arch",
    "sha": "sha",
    "error": "error",
    "run": "run",
    "success": "success",
    "day": f"(ts / {DAY}) * {DAY}",  # UTC midnight of the event's day, unix seconds
    "hour": "(ts / 3600) * 3600",
}


@dataclass(frozen=True)
class Scope:
    """Which events count. `categories=None` means all (dashboards); reports and alerts
    use production only (`Scope.production()`)."""

    categories: tuple[str, ...] | None = None
    arch: str | None = None
    os: str | None = None
    component: str | None = None  # the live dashboard's drill-down narrows to one component
    error: str | None = None  # ... and to one error category

    @property
    def narrowed(self) -> bool:
        """True when anything but the categories restricts the events."""
        return any(v is not None for v in (self.arch, self.os, self.component, self.error))

    @classmethod
    def production(cls, arch: str | None = None, os: str | None = None) -> Scope:
        return cls((PRODUCTION,), arch, os)

    def describe(self) -> str:
        """The scope in words, shown next to every number a page or JSON gives (issue 17:
        "success rate" over all categories and over production alone differ)."""
        cats = self.categories
        parts = [
            "all categories"
            if cats is None
            else ("category " if len(cats) == 1 else "categories ") + ", ".join(cats)
        ]
        for name, value in (
            ("arch", self.arch),
            ("OS", self.os),
            ("component", self.component),
            ("error", self.error),
        ):
            if value is not None:
                parts.append(f"{name} {value}")
        return "; ".join(parts)

    def as_json(self) -> dict[str, object]:
        return {
            "categories": None if self.categories is None else list(self.categories),
            "arch": self.arch,
            "os": self.os,
            "component": self.component,
            "error": self.error,
            "description": self.describe(),
        }

    def where(self) -> tuple[str, list[object]]:
        clauses: list[str] = []
        args: list[object] = []
        if self.categories is not None:
            clauses.append(f"category IN ({','.join('?' * len(self.categories))})")
            args.extend(self.categories)
        if self.arch is not None:
            clauses.append("arch = ?")
            args.append(self.arch)
        if self.os is not None:
            clauses.append("os = ?")
            args.append(self.os)
        if self.component is not None:
            clauses.append("component = ?")
            args.append(self.component)
        if self.error is not None:
            clauses.append("error = ?")
            args.append(self.error)
        return "".join(f" AND {c}" for c in clauses), args


ALL = Scope()


@dataclass(frozen=True)
class Counts:
    events: int = 0
    successes: int = 0
    installations: int = 0  # distinct run ids (only when asked for)

    @property
    def failures(self) -> int:
        return self.events - self.successes

    @property
    def success_rate(self) -> float | None:
        return rate(self.successes, self.events)

    @property
    def exact_success_rate(self) -> Fraction | None:
        """For comparing differences of rates with a threshold (`timeutil.exact_rate`)."""
        return exact_rate(self.successes, self.events)

    @property
    def failure_rate(self) -> float | None:
        ok = self.success_rate
        return None if ok is None else 100.0 - ok


GroupKey = tuple[object, ...]


def counts(
    store: EventStore,
    window: Window,
    scope: Scope = ALL,
    by: Sequence[str] = (),
    *,
    installations: bool = False,
) -> dict[GroupKey, Counts]:
    """Events, successes (and distinct runs) in `[window.start, window.end)` per group.

    With `by=()` the result has one key, `()`, present even when the window is empty.
    Whole days come from the daily rollup when the grouping allows it (same numbers,
    a fraction of the rows); the rest is counted from the events themselves.
    """
    _refuse_unknown_groups(by)
    first_day, last_day = _whole_days(window)
    if not installations and _rollup_answers(store, by, first_day, last_day):
        parts = (
            _scan(store, Window(window.start, first_day), scope, by, installations=False),
            _scan_daily(store, Window(first_day, last_day), scope, by),
            _scan(store, Window(last_day, window.end), scope, by, installations=False),
        )
        result: dict[GroupKey, Counts] = {}
        for part in parts:
            for key, value in part.items():
                old = result.get(key)
                result[key] = (
                    value
                    if old is None
                    else Counts(old.events + value.events, old.successes + value.successes)
                )
    else:
        result = _scan(store, window, scope, by, installations=installations)
    if not by and () not in result:
        result[()] = Counts()
    return result


def _refuse_unknown_groups(by: Sequence[str]) -> None:
    unknown = [name for name in by if name not in GROUPS]
    if unknown:
        raise ValueError(f"unknown group {unknown[0]!r}; known: {sorted(GROUPS)}")


def _whole_days(window: Window) -> tuple[int, int]:
    """The first midnight at or after the start and the last at or before the end: the
    whole days between them can come from the daily rollup."""
    return -(-window.start // DAY) * DAY, (window.end // DAY) * DAY


def _rollup_answers(store: EventStore, by: Sequence[str], first_day: int, last_day: int) -> bool:
    """The rollup can give these groups for at least one whole day (and is up to date)."""
    return ROLLUP_GROUPS.issuperset(by) and last_day - first_day >= DAY and refresh_rollup(store)


def present(store: EventStore, window: Window, scope: Scope, by: Sequence[str]) -> set[GroupKey]:
    """The groups with at least one event in `[window.start, window.end)`: the keys of
    `counts(store, window, scope, by)` without counting. SQLite answers a GROUP BY by
    sorting every row it reads, a DISTINCT with a small index of the groups seen, so over
    a year of rollup rows this is several times cheaper (the live pages' filter suggestions,
    the SHAs whose deployment may fall in a window)."""
    if not by:
        raise ValueError("present() needs at least one group")
    _refuse_unknown_groups(by)
    first_day, last_day = _whole_days(window)
    if _rollup_answers(store, by, first_day, last_day):
        return (
            _distinct(store, "events", GROUPS, "ts", Window(window.start, first_day), scope, by)
            | _distinct(store, "daily", _DAILY_EXPRS, "day", Window(first_day, last_day), scope, by)
            | _distinct(store, "events", GROUPS, "ts", Window(last_day, window.end), scope, by)
        )
    return _distinct(store, "events", GROUPS, "ts", window, scope, by)


def _distinct(
    store: EventStore,
    table: str,
    exprs: Mapping[str, str],
    column: str,
    window: Window,
    scope: Scope,
    by: Sequence[str],
) -> set[GroupKey]:
    if window.end <= window.start:
        return set()
    where, args = scope.where()  # the same column names in `events` and `daily`
    select = ", ".join(exprs[name] for name in by)
    if table == "daily":
        where += " AND events > 0"  # as `counts`, which leaves out groups of no events
    sql = f"SELECT DISTINCT {select} FROM {table} WHERE {column} >= ? AND {column} < ?{where}"
    return {tuple(row) for row in store.conn.execute(sql, [window.start, window.end, *args])}


def _scan(
    store: EventStore, window: Window, scope: Scope, by: Sequence[str], *, installations: bool
) -> dict[GroupKey, Counts]:
    if window.end <= window.start:
        return {}
    exprs = [GROUPS[name] for name in by]
    where, args = scope.where()
    select = [*exprs, "COUNT(*)", "SUM(success)"]
    if installations:
        select.append("COUNT(DISTINCT run)")
    sql = f"SELECT {', '.join(select)} FROM events WHERE ts >= ? AND ts < ?{where}"
    if exprs:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(exprs)))
    result: dict[GroupKey, Counts] = {}
    n = len(exprs)
    for row in store.conn.execute(sql, [window.start, window.end, *args]):
        events = int(row[n] or 0)
        if events == 0:
            continue  # the single row of an ungrouped query over no events
        result[tuple(row[:n])] = Counts(
            events=events,
            successes=int(row[n + 1] or 0),
            installations=int(row[n + 2] or 0) if installations else 0,
        )
    return result


# --- The daily rollup (store migration 3) -------------------------------------------------
# Whole days are read from `daily` (one row per day and distinct combination of these
# columns) instead of from every event: at ten million events a 30-day window is ~15,000
# rollup rows instead of ~560,000 events. Groupings it cannot answer (run, name, action,
# hour, distinct installations) are always counted from the events.
ROLLUP_GROUPS = frozenset({"day", "category", "component", "os", "arch", "sha", "error", "success"})
_DAILY_EXPRS: Mapping[str, str] = {
    "day": "day",
    "category": "category",
    "component": "component",
    "os": "NULLIF(os, '')",
    "arch": "NULLIF(arch, '')",
    "sha": "NULLIF(sha, '')",
    "error": "NULLIF(error, '')",
    "success": "success",
}
_FOLD = (
    "INSERT INTO daily (day, category, component, os, arch, sha, error, success, events) "
    f"SELECT (ts / {DAY}) * {DAY}, category, component, IFNULL(os, ''), IFNULL(arch, ''), "
    "IFNULL(sha, ''), IFNULL(error, ''), success, COUNT(*) FROM events "
    "WHERE id > ? AND id <= ? GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 "
    "ON CONFLICT (day, category, component, os, arch, sha, error, success) "
    "DO UPDATE SET events = events + excluded.events"
)


def refresh_rollup(store: EventStore) -> bool:
    """Fold the events added since the last fold into `daily`; False if it cannot be used
    (a read-only file, a store too busy): callers then count from the events."""
    conn = store.conn
    try:
        (top,) = conn.execute("SELECT MAX(id) FROM events").fetchone()
        done = int(store.get_meta(ROLLUP_POSITION) or 0)
        if top is None or top <= done:
            return True
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again under the write lock: no writer can be mid-transaction now, so
            # every id up to `top` is committed (ids only grow: events are never deleted;
            # the one migration that deleted some, `store._identify_by_run`, reset the rollup).
            (top,) = conn.execute("SELECT MAX(id) FROM events").fetchone()
            done = int(store.get_meta(ROLLUP_POSITION) or 0)
            if top > done:
                conn.execute(_FOLD, (done, top))
                store.set_meta(ROLLUP_POSITION, str(top))
            conn.execute("COMMIT")
        except BaseException:
            rollback(conn)  # not the "cannot rollback" that would hide the real error
            raise
    except sqlite3.OperationalError:
        return False
    return True


def _scan_daily(
    store: EventStore, days: Window, scope: Scope, by: Sequence[str]
) -> dict[GroupKey, Counts]:
    exprs = [_DAILY_EXPRS[name] for name in by]
    where, args = scope.where()  # category/arch/os have the same names in `daily`
    select = [*exprs, "SUM(events)", "SUM(events * success)"]
    sql = f"SELECT {', '.join(select)} FROM daily WHERE day >= ? AND day < ?{where}"
    if exprs:
        # SQLite groups by sorting the rows; with the day (an integer) as the first sort key
        # the sort compares less text: 86 ms instead of 104 ms for (component, arch, day)
        # over a year at 1M events. The groups, and the keys' order (the SELECT's), are the same.
        order = sorted(range(len(exprs)), key=lambda i: by[i] != "day")
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in order)
    n = len(exprs)
    result: dict[GroupKey, Counts] = {}
    for row in store.conn.execute(sql, [days.start, days.end, *args]):
        if row[n]:
            result[tuple(row[:n])] = Counts(events=int(row[n]), successes=int(row[n + 1] or 0))
    return result


def total(
    store: EventStore, window: Window, scope: Scope = ALL, *, installations: bool = False
) -> Counts:
    return counts(store, window, scope, installations=installations)[()]


def first_seen(store: EventStore, column: str, scope: Scope = ALL) -> dict[object, int]:
    """Earliest `ts` of each value of `column` over the whole store (e.g. a SHA's first event)."""
    expr = GROUPS[column]
    where, args = scope.where()
    sql = f"SELECT {expr}, MIN(ts) FROM events WHERE 1=1{where} GROUP BY 1"
    return {row[0]: int(row[1]) for row in store.conn.execute(sql, args)}


def last_seen_of(store: EventStore, sha: str, window: Window, scope: Scope = ALL) -> int | None:
    """Latest `ts` of one SHA within the window: an index seek on (sha, category, ts) per
    category (only needed to break ties between SHAs, so it must not scan the window)."""
    if scope.categories is None or scope.narrowed:
        where, args = scope.where()
        sql = f"SELECT MAX(ts) FROM events WHERE sha = ? AND ts >= ? AND ts < ?{where}"
        (value,) = store.conn.execute(sql, [sha, window.start, window.end, *args]).fetchone()
        return None if value is None else int(value)
    found = [
        store.conn.execute(
            "SELECT MAX(ts) FROM events WHERE sha = ? AND category = ? AND ts >= ? AND ts < ?",
            (sha, category, window.start, window.end),
        ).fetchone()[0]
        for category in scope.categories
    ]
    present = [int(v) for v in found if v is not None]
    return max(present) if present else None


def first_seen_of(store: EventStore, sha: str, scope: Scope = ALL) -> int | None:
    """Earliest `ts` of one SHA over the whole store, as an index seek on (sha, category, ts)
    per category, so it costs the same with 1 or 10 million events."""
    if scope.categories is None or scope.narrowed:
        where, args = scope.where()
        sql = f"SELECT MIN(ts) FROM events WHERE sha = ?{where}"
        (value,) = store.conn.execute(sql, [sha, *args]).fetchone()
        return None if value is None else int(value)
    found = [
        store.conn.execute(
            "SELECT MIN(ts) FROM events WHERE sha = ? AND category = ?", (sha, category)
        ).fetchone()[0]
        for category in scope.categories
    ]
    present = [int(v) for v in found if v is not None]
    return min(present) if present else None


def categories_present(store: EventStore) -> list[str]:
    """Every category in the store, by hopping along the (category, ts) index: one seek per
    category instead of a scan of the events."""
    sql = (
        "WITH RECURSIVE c(name) AS (SELECT MIN(category) FROM events UNION ALL "
        "SELECT (SELECT MIN(category) FROM events WHERE category > c.name) FROM c "
        "WHERE c.name IS NOT NULL) SELECT name FROM c WHERE name IS NOT NULL"
    )
    return [str(row[0]) for row in store.conn.execute(sql)]


def sha_extent(
    store: EventStore, sha: str, until: int, scope: Scope = ALL
) -> tuple[int, int] | None:
    """(first, last) `ts` of a SHA's events before `until` over the whole store, in scope;
    seeks on the (sha, category, ts) index per category, so it costs the same at any size."""
    categories = scope.categories if scope.categories is not None else categories_present(store)
    extra = replace(scope, categories=None)
    where, args = extra.where()
    firsts: list[int] = []
    lasts: list[int] = []
    for category in categories:
        params = [sha, category, until, *args]
        condition = f"sha = ? AND category = ? AND ts < ?{where}"
        (low,) = store.conn.execute(
            f"SELECT MIN(ts) FROM events WHERE {condition}", params
        ).fetchone()
        (high,) = store.conn.execute(
            f"SELECT MAX(ts) FROM events WHERE {condition}", params
        ).fetchone()
        if low is not None:
            firsts.append(int(low))
            lasts.append(int(high))
    return (min(firsts), max(lasts)) if firsts else None


def last_event_before(store: EventStore, at: int, scope: Scope = ALL) -> int | None:
    """The newest `ts` before `at` in scope (no_data says how old the data is): one seek on
    the (category, ts) index per category."""
    if scope.categories is None or scope.narrowed:
        where, args = scope.where()
        sql = f"SELECT MAX(ts) FROM events WHERE ts < ?{where}"
        (value,) = store.conn.execute(sql, [at, *args]).fetchone()
        return None if value is None else int(value)
    found = [
        store.conn.execute(
            "SELECT MAX(ts) FROM events WHERE category = ? AND ts < ?", (category, at)
        ).fetchone()[0]
        for category in scope.categories
    ]
    present = [int(v) for v in found if v is not None]
    return max(present) if present else None


def failing_runs(
    store: EventStore,
    window: Window,
    scope: Scope = ALL,
    *,
    component: str | None = None,
    sha: str | None = None,
) -> tuple[int, int | None]:
    """(distinct run ids with at least one failure, the first failure's `ts`) in the window:
    how many students' installations an incident touched, and since when."""
    where, args = scope.where()
    for column, value in (("component", component), ("sha", sha)):
        if value is not None:
            where += f" AND {column} = ?"
            args.append(value)
    sql = (
        "SELECT COUNT(DISTINCT run), MIN(ts) FROM events "
        f"WHERE ts >= ? AND ts < ? AND success = 0{where}"
    )
    runs, first = store.conn.execute(sql, [window.start, window.end, *args]).fetchone()
    return int(runs or 0), None if first is None else int(first)


@dataclass(frozen=True)
class RunRow:
    """One installation (run id) among the events of a window and scope."""

    run: str
    first: int  # its earliest and latest event in the window and scope
    last: int
    counts: Counts


def runs(store: EventStore, window: Window, scope: Scope = ALL, limit: int = 200) -> list[RunRow]:
    """The runs with events in the window and scope, latest first (the drill-down's last
    list before one run's timeline); at most `limit`."""
    where, args = scope.where()
    sql = (
        "SELECT run, MIN(ts), MAX(ts), COUNT(*), SUM(success) FROM events "
        f"WHERE ts >= ? AND ts < ? AND run IS NOT NULL{where} "
        "GROUP BY run ORDER BY MAX(ts) DESC, run LIMIT ?"
    )
    return [
        RunRow(str(row[0]), int(row[1]), int(row[2]), Counts(int(row[3]), int(row[4] or 0), 1))
        for row in store.conn.execute(sql, [window.start, window.end, *args, limit])
    ]


def newest_event(store: EventStore) -> int | None:
    """The time of the newest event in the store (an index seek): "data as of"."""
    (value,) = store.conn.execute("SELECT MAX(ts) FROM events").fetchone()
    return None if value is None else int(value)
