"""The one way analytics read the store: counts over a half-open window, grouped.

Dashboards, reports and alerts are pure functions over these `Counts`; the SQL stays here,
so every number in the product is computed the same way (SPEC 6, "Definitions").
Only the rows of the window are read (index on `ts`), never the whole history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from installer.analytics.store import EventStore
from installer.analytics.timeutil import DAY, Window, rate

PRODUCTION = "Installer"

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

    @classmethod
    def production(cls, arch: str | None = None, os: str | None = None) -> Scope:
        return cls((PRODUCTION,), arch, os)

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
    """
    try:
        exprs = [GROUPS[name] for name in by]
    except KeyError as exc:
        raise ValueError(f"unknown group {exc.args[0]!r}; known: {sorted(GROUPS)}") from None
    where, args = scope.where()
    select = [*exprs, "COUNT(*)", "SUM(success)"]
    if installations:
        select.append("COUNT(DISTINCT run)")
    sql = f"SELECT {', '.join(select)} FROM events WHERE ts >= ? AND ts < ?{where}"
    if exprs:
        sql += " GROUP BY " + ", ".join(str(i + 1) for i in range(len(exprs)))
    result: dict[GroupKey, Counts] = {}
    for row in store.conn.execute(sql, [window.start, window.end, *args]):
        n = len(exprs)
        events = int(row[n] or 0)
        if events == 0 and n == 0:
            break
        result[tuple(row[:n])] = Counts(
            events=events,
            successes=int(row[n + 1] or 0),
            installations=int(row[n + 2] or 0) if installations else 0,
        )
    if not exprs and () not in result:
        result[()] = Counts()
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


def latest(
    store: EventStore, window: Window, scope: Scope = ALL, by: Sequence[str] = ("sha",)
) -> dict[GroupKey, int]:
    """Latest `ts` per group within the window (e.g. a SHA's last event before a deploy)."""
    exprs = [GROUPS[name] for name in by]
    where, args = scope.where()
    groups = ", ".join(str(i + 1) for i in range(len(exprs)))
    sql = (
        f"SELECT {', '.join(exprs)}, MAX(ts) FROM events WHERE ts >= ? AND ts < ?{where} "
        f"GROUP BY {groups}"
    )
    rows = store.conn.execute(sql, [window.start, window.end, *args])
    return {tuple(row[:-1]): int(row[-1]) for row in rows}


def first_seen_of(store: EventStore, sha: str, scope: Scope = ALL) -> int | None:
    """Earliest `ts` of one SHA over the whole store, as an index seek on (sha, category, ts)
    per category, so it costs the same with 1 or 10 million events."""
    if scope.categories is None or scope.arch is not None or scope.os is not None:
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
