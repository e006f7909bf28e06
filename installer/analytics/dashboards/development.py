"""Dashboard 4, development insights (SPEC 6): per commit SHA (events, success %,
failure %, first/last seen, newest first); events per SHA per day (lines, rollbacks
marked); CI vs production per component; events by category over the last 7 days (bars
with counts and shares, not a pie).

Rollback: a SHA comes back after a newer one was seen. Day by day within the window: SHA s
"returns" on day d when s has events on d, had none on the days since its previous day
with events (or, when s existed before the window, on the window's days before d), and
during those days a newer SHA (first seen after s) had events. A SHA that keeps some events
while a newer one takes over (stragglers on the day of a deployment) does not return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from installer.analytics.dashboards.common import (
    DashboardQuery,
    Deployment,
    Labelled,
    by_events,
    days_of,
    deployments,
    rollup,
)
from installer.analytics.query import Counts, counts, sha_extent
from installer.analytics.timeutil import DAY, Window
from installer.store.event_store import EventStore

CATEGORY_PIE_DAYS = 7  # widget 16: "events by category over the last 7 days"


@dataclass(frozen=True)
class ShaRow:
    sha: str | None  # None: events without a SHA (dimension 3 missing)
    counts: Counts
    first_seen: int | None  # earliest event of the SHA before T, whole history, in scope
    last_seen: int | None
    returned_on: list[int]  # days (UTC midnights) on which it came back: a rollback

    @property
    def rollback(self) -> bool:
        return bool(self.returned_on)


@dataclass(frozen=True)
class CiVsProduction:
    component: str
    production: Counts
    ci: Counts


@dataclass(frozen=True)
class Development:
    query: DashboardQuery
    by_sha: list[ShaRow]  # widget 13, newest (first seen latest) first
    days: list[int]
    sha_daily_events: Mapping[str | None, list[int]]  # widget 14, SHA -> events per day
    ci_vs_production: list[CiVsProduction]  # widget 15, most events first
    category_window: Window  # widget 16's window: the last 7 days at T
    by_category_7d: list[Labelled]  # widget 16
    deployments: list[Deployment]


def development(store: EventStore, query: DashboardQuery) -> Development:
    window = query.window
    groups = counts(store, window, query.scope, by=["sha", "component", "category", "day"])
    per_sha = rollup((_label(k[0]), v) for k, v in groups.items())
    per_sha_day = rollup(((_label(k[0]), k[3]), v) for k, v in groups.items())
    days = days_of(window)
    daily = {
        sha: [per_sha_day[(sha, d)].events if (sha, d) in per_sha_day else 0 for d in days]
        for sha in per_sha
    }
    extents = {
        sha: sha_extent(store, sha, window.end, query.scope) for sha in per_sha if sha is not None
    }
    first_seen = {sha: ext[0] for sha, ext in extents.items() if ext is not None}
    last_seen = {sha: ext[1] for sha, ext in extents.items() if ext is not None}
    returns = rollbacks(daily, days, first_seen, window.start)
    rows = [
        ShaRow(
            sha=sha,
            counts=value,
            first_seen=None if sha is None else first_seen.get(sha),
            last_seen=None if sha is None else last_seen.get(sha),
            returned_on=[] if sha is None else returns.get(sha, []),
        )
        for sha, value in per_sha.items()
    ]
    # Newest first: by first seen, latest first; events without a SHA last.
    rows.sort(key=lambda r: (r.first_seen is None, -(r.first_seen or 0), r.sha or ""))
    ci_vs_prod = _ci_vs_production(groups, query)
    pie_window = Window.last(query.at, CATEGORY_PIE_DAYS * DAY)
    by_category = counts(store, pie_window, query.scope, by=["category"])
    return Development(
        query=query,
        by_sha=rows,
        days=days,
        sha_daily_events={r.sha: daily[r.sha] for r in rows},
        ci_vs_production=ci_vs_prod,
        category_window=pie_window,
        by_category_7d=by_events({k[0]: v for k, v in by_category.items()}),
        deployments=deployments(store, query),
    )


def _label(value: object) -> str | None:
    return None if value is None else str(value)


def rollbacks(
    daily: Mapping[str | None, list[int]],
    days: list[int],
    first_seen: Mapping[str, int],
    window_start: int,
) -> dict[str, list[int]]:
    """SHA -> the days on which it came back after a newer SHA was seen (module docstring)."""
    active = {
        sha: [i for i, n in enumerate(series) if n > 0]
        for sha, series in daily.items()
        if sha is not None and sha in first_seen
    }
    result: dict[str, list[int]] = {}
    for sha, indexes in active.items():
        newer = [other for other in active if other != sha and first_seen[other] > first_seen[sha]]
        existed_before = first_seen[sha] < window_start
        previous: int | None = None
        for i in indexes:
            if previous is None:
                gap = range(0, i) if existed_before else range(0)
            else:
                gap = range(previous + 1, i)
            if gap and any(j in active[other] for other in newer for j in gap):
                result.setdefault(sha, []).append(days[i])
            previous = i
    return result


def _ci_vs_production(
    groups: Mapping[tuple[object, ...], Counts], query: DashboardQuery
) -> list[CiVsProduction]:
    names = query.categories
    per = rollup(((k[1], k[2]), v) for k, v in groups.items())
    components = sorted({str(k[1]) for k in groups})
    rows = [
        CiVsProduction(
            component=c,
            production=per.get((c, names.production), Counts()),
            ci=per.get((c, names.ci), Counts()),
        )
        for c in components
    ]
    rows = [r for r in rows if r.production.events or r.ci.events]
    rows.sort(key=lambda r: (-(r.production.events + r.ci.events), r.component))
    return rows
