"""Dashboards as JSON: exact counts, rates rounded to 2 decimals, `null` for "no data".

The envelope is versioned (`"version": 1`); every widget of SPEC 6 has one key. Also the
small helpers the three presentations (JSON, terminal, page) share.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from installer.analytics.dashboards import (
    Compatibility,
    Components,
    Dashboard,
    DashboardQuery,
    Development,
    Overview,
)
from installer.analytics.dashboards.common import Deployment
from installer.analytics.dashboards.components import WORST_DAY_MIN_EVENTS
from installer.analytics.query import Counts
from installer.analytics.timeutil import HOUR, Window, format_moment, rate, round_rate

JSON_VERSION = 1
NO_LABEL = "(none)"  # a row whose events did not carry the dimension
R = TypeVar("R")
HEAT_COLOUR_RULE = (
    "colour: the cell's worst UTC day in the range (lowest success %, among days with at "
    f"least {WORST_DAY_MIN_EVENTS} events; a cell without such a day: its whole range); "
    "number: the whole range"
)


def by_kind(
    result: Dashboard,
    overview: Callable[[Overview], R],
    compatibility: Callable[[Compatibility], R],
    components: Callable[[Components], R],
    development: Callable[[Development], R],
) -> R:
    """Present `result` with the function for its dashboard (each presentation has four)."""
    if isinstance(result, Overview):
        return overview(result)
    if isinstance(result, Compatibility):
        return compatibility(result)
    if isinstance(result, Components):
        return components(result)
    return development(result)


def day_text(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day))


def moment_text(ts: int | None) -> str | None:
    return None if ts is None else format_moment(ts)


def label(value: str | None) -> str:
    return NO_LABEL if value is None else value


def query_text(query: DashboardQuery) -> str:
    """`30 days at T (start .. end); all categories` (after "last"): what a dashboard shows."""
    window = query.window
    return (
        f"{query.days} days at {format_moment(query.at)}"
        f" ({format_moment(window.start)} .. {format_moment(window.end)}); "
        + query.scope.describe()
    )


def deployments_json(found: Sequence[Deployment]) -> list[dict[str, str]]:
    return [{"sha": d.sha, "first_seen": format_moment(d.first_seen)} for d in found]


def counts_json(c: Counts) -> dict[str, Any]:
    return {
        "events": c.events,
        "successes": c.successes,
        "failures": c.failures,
        "success_rate": round_rate(c.success_rate),
        "failure_rate": round_rate(c.failure_rate),
    }


def window_json(window: Window) -> dict[str, str]:
    return {"from": format_moment(window.start), "to": format_moment(window.end)}


def envelope(name: str, query: DashboardQuery) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "dashboard": name,
        "at": format_moment(query.at),
        "days": query.days,
        "window": window_json(query.window),
        "scope": query.scope.as_json(),
    }


def to_json(name: str, result: Dashboard) -> dict[str, Any]:
    widgets = by_kind(result, _overview, _compatibility, _components, _development)
    return {
        **envelope(name, result.query),
        "deployments": deployments_json(result.deployments),
        "widgets": widgets,
    }


def _overview(o: Overview) -> dict[str, Any]:
    total = o.total
    return {
        "success_rate": counts_json(total),
        "daily_volume": [{"day": day_text(d), "events": n} for d, n in zip(o.days, o.daily_events)],
        "success_vs_failure": {
            "successes": total.successes,
            "failures": total.failures,
            "success_pct": round_rate(total.success_rate),
            "failure_pct": round_rate(total.failure_rate),
        },
        "events_by_category": [
            {"category": row.label, "events": row.counts.events} for row in o.by_category
        ],
        "failures_over_time": {
            "bucket": "hour" if o.bucket == HOUR else "day",
            "points": [
                {
                    "start": format_moment(start),
                    "events": c.events,
                    "failures": c.failures,
                    "failure_rate": round_rate(c.failure_rate),
                }
                for start, c in zip(o.buckets, o.failures)
            ],
        },
    }


def _compatibility(c: Compatibility) -> dict[str, Any]:
    return {
        "per_architecture": [
            {
                "arch": row.label,
                "events": row.counts.events,
                "success_rate": round_rate(row.counts.success_rate),
                "failure_rate": round_rate(row.counts.failure_rate),
            }
            for row in c.by_arch
        ],
        "per_os_version": [
            {
                "os": row.label,
                "events": row.counts.events,
                "success_rate": round_rate(row.counts.success_rate),
            }
            for row in c.by_os
        ],
        "architecture_vs_success_rate": [
            {
                "arch": row.label,
                "events": row.counts.events,
                "success_rate": round_rate(row.counts.success_rate),
            }
            for row in c.by_arch
        ],
        "os_daily_events": {
            "days": [day_text(d) for d in c.days],
            "series": [{"os": os, "events": series} for os, series in c.os_daily_events.items()],
        },
    }


def _components(c: Components) -> dict[str, Any]:
    return {
        "per_component": [
            {
                "component": row.label,
                "events": row.counts.events,
                "successes": row.counts.successes,
                "failures": row.counts.failures,
                "success_rate": round_rate(row.counts.success_rate),
            }
            for row in c.by_component
        ],
        "top_failing": [
            {"component": row.label, "failures": row.counts.failures} for row in c.top_failing
        ],
        "daily_success_trend": {
            "days": [day_text(d) for d in c.days],
            "series": [
                {
                    "component": name,
                    "shown_as": c.trend_reasons[name],
                    "success_rate": [round_rate(day.success_rate) for day in series],
                    "events": [day.events for day in series],
                }
                for name, series in c.daily_success.items()
            ],
        },
        "component_arch_heatmap": {
            "arches": c.arches,
            "colour": HEAT_COLOUR_RULE,
            "rows": [
                {
                    "component": name,
                    "success_rate": [round_rate(cell.total.success_rate) for cell in cells],
                    "events": [cell.total.events for cell in cells],
                    "worst_day": [
                        None if cell.worst_day is None else day_text(cell.worst_day)
                        for cell in cells
                    ],
                    "worst_day_success_rate": [
                        round_rate(cell.worst.success_rate) for cell in cells
                    ],
                }
                for name, cells in c.heat.items()
            ],
        },
    }


def _development(d: Development) -> dict[str, Any]:
    total_7d = sum(row.counts.events for row in d.by_category_7d)
    return {
        "per_sha": [
            {
                "sha": row.sha,
                "events": row.counts.events,
                "success_rate": round_rate(row.counts.success_rate),
                "failure_rate": round_rate(row.counts.failure_rate),
                "first_seen": moment_text(row.first_seen),
                "last_seen": moment_text(row.last_seen),
                "rollback": row.rollback,
                "returned_on": [day_text(day) for day in row.returned_on],
            }
            for row in d.by_sha
        ],
        "sha_daily_events": {
            "days": [day_text(day) for day in d.days],
            "series": [
                {
                    "sha": row.sha,
                    "events": d.sha_daily_events[row.sha],
                    "rollback_days": [day_text(day) for day in row.returned_on],
                }
                for row in d.by_sha
            ],
        },
        "ci_vs_production": [
            {
                "component": row.component,
                "production": {
                    "events": row.production.events,
                    "success_rate": round_rate(row.production.success_rate),
                },
                "ci": {"events": row.ci.events, "success_rate": round_rate(row.ci.success_rate)},
            }
            for row in d.ci_vs_production
        ],
        "events_by_category_7d": {
            "window": window_json(d.category_window),
            "categories": [
                {
                    "category": row.label,
                    "events": row.counts.events,
                    "pct": round_rate(rate(row.counts.events, total_7d)),
                }
                for row in d.by_category_7d
            ],
        },
    }
