"""Dashboard 3, component analysis (SPEC 6): per component (successes, failures, success %,
most failures first); top 10 components by failures (bar); daily success % of the 5 most
used components (lines); component x architecture success % (heat map)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from installer.analytics.dashboards.common import (
    DashboardQuery,
    Labelled,
    by_events,
    days_of,
    label_key,
    rollup,
)
from installer.analytics.query import Counts, counts
from installer.analytics.store import EventStore

TOP_FAILING = 10  # widget 10: "top 10 components by failures"
MOST_USED = 5  # widget 11: "the 5 most used components"


@dataclass(frozen=True)
class Components:
    query: DashboardQuery
    by_component: list[Labelled]  # widget 9: most failures first, then name
    top_failing: list[Labelled]  # widget 10: at most 10, only components with failures
    days: list[int]
    daily_success: Mapping[str | None, list[Counts]]  # widget 11: component -> per-day counts
    arches: list[str | None]  # widget 12 columns (most events first)
    heat: Mapping[str | None, list[Counts]]  # widget 12: component -> counts per arch column

    @property
    def heat_rows(self) -> list[str | None]:
        """Heat map rows: components, most used first."""
        return list(self.heat)


def components(store: EventStore, query: DashboardQuery) -> Components:
    groups = counts(store, query.window, query.scope, by=["component", "arch", "day"])
    per_component = rollup((k[0], v) for k, v in groups.items())
    most_failures = sorted(
        per_component.items(), key=lambda kv: (-kv[1].failures, label_key(kv[0]))
    )
    table = [Labelled(None if k is None else str(k), v) for k, v in most_failures]
    top_failing = [row for row in table if row.counts.failures > 0][:TOP_FAILING]

    used = by_events(per_component)
    days = days_of(query.window)
    per_component_day = rollup(((k[0], k[2]), v) for k, v in groups.items())
    daily = {
        row.label: [per_component_day.get((row.label, d), Counts()) for d in days]
        for row in used[:MOST_USED]
    }

    arches = [row.label for row in by_events(rollup((k[1], v) for k, v in groups.items()))]
    per_cell = rollup(((k[0], k[1]), v) for k, v in groups.items())
    heat = {row.label: [per_cell.get((row.label, a), Counts()) for a in arches] for row in used}
    return Components(query, table, top_failing, days, daily, arches, heat)
