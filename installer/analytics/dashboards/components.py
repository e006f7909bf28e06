"""Dashboard 3, component analysis (SPEC 6, issue 17): per component (successes, failures,
success %, most failures first); top 10 components by failures (bar); daily success % of
the 5 most used AND the 5 most failing components (lines: the component that broke on a
new macOS is rarely among the most used); component x architecture heat map coloured by
each cell's worst day (a 6-hour outage disappears in a 30-day average)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from installer.analytics.dashboards.common import (
    DashboardQuery,
    Deployment,
    Labelled,
    by_events,
    days_of,
    deployments,
    label_key,
    rollup,
)
from installer.analytics.query import Counts, counts
from installer.store.event_store import EventStore

TOP_FAILING = 10  # widget 10: "top 10 components by failures"
MOST_USED = 5  # widget 11: the 5 most used components ...
MOST_FAILING = 5  # ... and the 5 with most failures
# A heat-map cell is coloured by its worst UTC day among days with at least this many
# events: one failed event on a quiet Sunday is not an outage.
WORST_DAY_MIN_EVENTS = 5
MOST_USED_REASON, MOST_FAILING_REASON = "most used", "most failing"


@dataclass(frozen=True)
class HeatCell:
    total: Counts  # the whole range
    worst_day: int | None  # UTC midnight of the worst qualifying day; None: no such day
    worst: Counts  # that day's counts (empty when there is none)


@dataclass(frozen=True)
class Components:
    query: DashboardQuery
    by_component: list[Labelled]  # widget 9: most failures first, then name
    top_failing: list[Labelled]  # widget 10: at most 10, only components with failures
    days: list[int]
    daily_success: Mapping[str | None, list[Counts]]  # widget 11: component -> per-day counts
    trend_reasons: Mapping[str | None, str]  # widget 11: why each component is shown
    arches: list[str | None]  # widget 12 columns (most events first)
    heat: Mapping[str | None, list[HeatCell]]  # widget 12: component -> cell per arch column
    deployments: list[Deployment]

    @property
    def heat_rows(self) -> list[str | None]:
        """Heat map rows: components, most used first."""
        return list(self.heat)


def worst_day(days: Sequence[int], per_day: Mapping[int, Counts]) -> tuple[int | None, Counts]:
    """The day with the lowest exact success rate among days with at least
    WORST_DAY_MIN_EVENTS events (ties: the earliest)."""
    best_day: int | None = None
    best = Counts()
    for day in days:
        c = per_day.get(day)
        if c is None or c.events < WORST_DAY_MIN_EVENTS:
            continue
        # A lower exact rate: s/e < s'/e' is s * e' < s' * e (both e > 0), which is what
        # comparing the two `exact_success_rate` fractions gives, without a Fraction per day.
        if best_day is None or c.successes * best.events < best.successes * c.events:
            best_day, best = day, c
    return best_day, best


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
    reasons: dict[str | None, str] = {row.label: MOST_USED_REASON for row in used[:MOST_USED]}
    for row in top_failing[:MOST_FAILING]:
        reasons.setdefault(row.label, MOST_FAILING_REASON)
    daily = {name: [per_component_day.get((name, d), Counts()) for d in days] for name in reasons}

    arches = [row.label for row in by_events(rollup((k[1], v) for k, v in groups.items()))]
    per_cell = rollup(((k[0], k[1]), v) for k, v in groups.items())
    per_cell_day: dict[tuple[object, object], dict[int, Counts]] = {}
    for (component, arch, day), value in groups.items():
        per_cell_day.setdefault((component, arch), {})[int(str(day))] = value
    heat = {
        row.label: [
            HeatCell(
                per_cell.get((row.label, a), Counts()),
                *worst_day(days, per_cell_day.get((row.label, a), {})),
            )
            for a in arches
        ]
        for row in used
    }
    return Components(
        query, table, top_failing, days, daily, reasons, arches, heat, deployments(store, query)
    )
