"""Dashboard 2, system compatibility (SPEC 6): per architecture (events, success %,
failure %); per OS version (events, success %, most events first); architecture vs success
rate (bars = events, line = success %); events per OS version per day (lines)."""

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
from installer.analytics.query import counts
from installer.store.event_store import EventStore


@dataclass(frozen=True)
class Compatibility:
    query: DashboardQuery
    by_arch: list[Labelled]  # widgets 5 and 7 (the chart shows the same numbers)
    by_os: list[Labelled]  # widget 6, most events first
    days: list[int]
    os_daily_events: Mapping[str | None, list[int]]  # widget 8, OS -> events per day
    deployments: list[Deployment]


def compatibility(store: EventStore, query: DashboardQuery) -> Compatibility:
    groups = counts(store, query.window, query.scope, by=["arch", "os", "day"])
    by_arch = by_events(rollup((k[0], v) for k, v in groups.items()))
    by_os = by_events(rollup((k[1], v) for k, v in groups.items()))
    per_os_day = rollup(((k[1], k[2]), v) for k, v in groups.items())
    days = days_of(query.window)
    daily = {
        row.label: [
            per_os_day[(row.label, d)].events if (row.label, d) in per_os_day else 0 for d in days
        ]
        for row in by_os
    }
    return Compatibility(query, by_arch, by_os, days, daily, deployments(store, query))
