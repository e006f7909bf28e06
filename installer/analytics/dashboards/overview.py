"""Dashboard 1, installation overview (SPEC 6, issue 17): success rate over the window,
daily event volume (line), success vs failure (as numbers: a 98/2 pie says nothing),
failures over time (hourly up to 7 days, else daily), events by category (bar)."""

from __future__ import annotations

from dataclasses import dataclass

from installer.analytics.dashboards.common import (
    DashboardQuery,
    Deployment,
    Labelled,
    bucket_seconds,
    buckets_of,
    by_events,
    days_of,
    deployments,
)
from installer.analytics.dashboards.common import rollup as _rollup
from installer.analytics.query import Counts, counts
from installer.analytics.timeutil import DAY, Window
from installer.store.event_store import EventStore


@dataclass(frozen=True)
class Overview:
    query: DashboardQuery
    total: Counts  # widget 1 (success rate) and widget 3 (success vs failure)
    days: list[int]  # UTC midnights of the window's days
    daily_events: list[int]  # widget 2, one number per day (0 is a real count here)
    by_category: list[Labelled]  # widget 4, most events first
    bucket: int  # seconds per failures-over-time bucket (3600 or 86400)
    buckets: list[int]  # bucket starts
    failures: list[Counts]  # failures over time: the counts of each bucket
    deployments: list[Deployment]

    @property
    def window(self) -> Window:
        return self.query.window


def overview(store: EventStore, query: DashboardQuery) -> Overview:
    # One pass over the window: (day, category) groups are folded to each widget's grouping.
    groups = counts(store, query.window, query.scope, by=["day", "category"])
    per_day = _rollup((key[0], value) for key, value in groups.items())
    per_category = _rollup((key[1], value) for key, value in groups.items())
    total = _rollup(((), value) for value in groups.values()).get((), Counts())
    days = days_of(query.window)
    daily = [per_day[d].events if d in per_day else 0 for d in days]
    size = bucket_seconds(query)
    if size == DAY:
        per_bucket = dict(per_day)
    else:
        hourly = counts(store, query.window, query.scope, by=["hour"])
        per_bucket = {k[0]: v for k, v in hourly.items()}
    starts = buckets_of(query.window, size)
    series = [per_bucket.get(b, Counts()) for b in starts]  # keys: ints from SQLite
    return Overview(
        query,
        total,
        days,
        daily,
        by_events(per_category),
        size,
        starts,
        series,
        deployments(store, query),
    )
