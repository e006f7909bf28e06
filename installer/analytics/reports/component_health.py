"""`report component-health`: the last 24 hours, per component, for on-call (SPEC 6).

Listed: components with a failure rate over 10% in `[T-24h, T)`, each with the OS + arch
combinations that failed, the SHAs in use when its failures began (the SHAs of its events in
the first UTC hour of the window with a failure), and its success rate in `Installer_CI`
over the same window. Then the triggers, over all components.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.query import Counts, Scope, counts
from installer.analytics.reports.common import (
    Table,
    fmt,
    label,
    period,
    pp,
    scope_json,
    window_json,
)
from installer.analytics.timeutil import DAY, Window, format_moment, round_rate
from installer.events import schema as event_schema
from installer.store.event_store import EventStore

CI_CATEGORY = event_schema.CI

# Thresholds of SPEC 6 as named settings.
LISTED_FAILURE_RATE_ABOVE = 10.0
TRIGGER_FAILURE_RATE_ABOVE = 20.0
TRIGGER_MIN_EVENTS = 5
BASELINE_FROM = 8 * DAY  # baseline window [T-8d, T-24h)
TRIGGER_DROP_MORE_THAN = 15.0  # pp below its own baseline rate

WINDOW = DAY


@dataclass(frozen=True)
class ComponentHealth:
    component: str
    counts: Counts
    failing_systems: list[dict[str, Any]]
    failures_began: int | None
    shas_when_failures_began: list[str]
    ci: Counts

    def serialize(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "events": self.counts.events,
            "failures": self.counts.failures,
            "failure_rate": round_rate(self.counts.failure_rate),
            "failing_systems": self.failing_systems,
            "failures_began": None
            if self.failures_began is None
            else format_moment(self.failures_began),
            "shas_when_failures_began": self.shas_when_failures_began,
            "ci_events": self.ci.events,
            "ci_success_rate": round_rate(self.ci.success_rate),
        }


@dataclass(frozen=True)
class ComponentHealthReport:
    at: int
    scope: Scope
    components: list[ComponentHealth]
    triggers: list[dict[str, Any]] = field(default_factory=list)

    name = "component-health"

    @property
    def title(self) -> str:
        return f"dtu-install component health, 24 hours to {format_moment(self.at)}"

    @property
    def period(self) -> list[str]:
        return period(
            self.at,
            [
                ("Window", Window.last(self.at, WINDOW)),
                ("Triggers' baseline", Window(self.at - BASELINE_FROM, self.at - WINDOW)),
            ],
            self.scope,
        )

    def serialize(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "at": format_moment(self.at),
            "window": window_json(Window.last(self.at, WINDOW)),
            "baseline_window": window_json(Window(self.at - BASELINE_FROM, self.at - WINDOW)),
            "scope": scope_json(self.scope),
            "components": [c.serialize() for c in self.components],
            "triggers": self.triggers,
        }

    def tables(self) -> list[Table]:
        rows = []
        for c in self.components:
            data = c.serialize()
            systems = "; ".join(
                f"{s['os']} {s['arch']} ({s['failures']})" for s in data["failing_systems"]
            )
            rows.append(
                [
                    data["component"],
                    data["events"],
                    data["failures"],
                    fmt(data["failure_rate"]),
                    systems,
                    ", ".join(data["shas_when_failures_began"]),
                    fmt(data["ci_success_rate"]),
                ]
            )
        trigger_rows = [[t["trigger"], t["component"], t["detail"]] for t in self.triggers]
        return [
            Table(
                f"Components failing more than {LISTED_FAILURE_RATE_ABOVE:g}%",
                [
                    "component",
                    "events",
                    "failures",
                    "failure %",
                    "failing OS/arch",
                    "SHAs when failures began",
                    "CI success %",
                ],
                rows,
                "none" if not rows else "",
            ),
            Table(
                "Triggers",
                ["trigger", "component", "detail"],
                trigger_rows,
                "none" if not trigger_rows else "",
            ),
        ]


def component_health(store: EventStore, at: int, scope: Scope) -> ComponentHealthReport:
    window = Window.last(at, WINDOW)
    baseline = Window(at - BASELINE_FROM, window.start)
    by_component = counts(store, window, scope, by=["component"])
    detail = counts(store, window, scope, by=["component", "os", "arch"])
    hourly = counts(store, window, scope, by=["component", "hour", "sha"])
    ci_scope = Scope((CI_CATEGORY,), scope.arch, scope.os)
    ci = counts(store, window, ci_scope, by=["component"])

    listed = []
    for (component,), c in sorted(by_component.items(), key=lambda kc: label(kc[0][0])):
        rate = c.failure_rate
        if rate is None or not rate > LISTED_FAILURE_RATE_ABOVE:
            continue
        failed = sorted(
            (
                (label(o), label(a), d)
                for (comp, o, a), d in detail.items()
                if comp == component and d.failures > 0
            ),
            key=lambda oad: (-oad[2].failures, oad[0], oad[1]),
        )
        systems: list[dict[str, Any]] = [
            {"os": o, "arch": a, "failures": d.failures, "events": d.events} for o, a, d in failed
        ]
        began, shas = _failures_began(hourly, component)
        listed.append(
            ComponentHealth(
                label(component), c, systems, began, shas, ci.get((component,), Counts())
            )
        )
    triggers = _triggers(store, window, baseline, scope, by_component)
    return ComponentHealthReport(at, scope, listed, triggers)


def _failures_began(
    hourly: Mapping[tuple[object, ...], Counts], component: object
) -> tuple[int | None, list[str]]:
    failing_hours = [
        int(str(hour))
        for (comp, hour, _sha), c in hourly.items()
        if comp == component and c.failures
    ]
    if not failing_hours:
        return None, []
    first = min(failing_hours)
    shas = sorted(
        {label(sha) for (comp, hour, sha) in hourly if comp == component and hour == first}
    )
    return first, shas


def _triggers(
    store: EventStore,
    window: Window,
    baseline: Window,
    scope: Scope,
    by_component: Mapping[tuple[object, ...], Counts],
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    before = counts(store, baseline, scope, by=["component"])
    errors_now = counts(store, window, scope, by=["component", "error"])
    errors_before = counts(store, baseline, scope, by=["component", "error"])
    for (component,), c in sorted(by_component.items(), key=lambda kc: label(kc[0][0])):
        name = label(component)
        rate = c.failure_rate
        if (
            rate is not None
            and c.events >= TRIGGER_MIN_EVENTS
            and rate > TRIGGER_FAILURE_RATE_ABOVE
        ):
            found.append(
                {
                    "trigger": "failure_rate_high",
                    "component": name,
                    "failure_rate": round_rate(rate),
                    "events": c.events,
                    "detail": f"failure rate {rate:.2f}% over {c.events} events "
                    f"(more than {TRIGGER_FAILURE_RATE_ABOVE:g}%)",
                }
            )
        old = before.get((component,))
        drop = pp(old.success_rate if old else None, c.success_rate)
        # The threshold sees the exact drop: a float difference can pass one it only equals.
        then, now = (old.exact_success_rate if old else None), c.exact_success_rate
        if then is not None and now is not None and then - now > TRIGGER_DROP_MORE_THAN:
            assert old is not None and drop is not None
            found.append(
                {
                    "trigger": "success_rate_drop",
                    "component": name,
                    "success_rate": round_rate(c.success_rate),
                    "baseline_success_rate": round_rate(old.success_rate),
                    "drop_pp": round_rate(drop),
                    "detail": f"{fmt(c.success_rate)}% vs {fmt(old.success_rate)}% in the 7 days "
                    f"before ({drop:.2f} pp lower)",
                }
            )
    for (component, error), c in sorted(
        errors_now.items(), key=lambda kc: (label(kc[0][0]), label(kc[0][1]))
    ):
        if not c.failures or error is None:
            continue
        earlier = errors_before.get((component, error))
        if earlier is not None and earlier.failures > 0:
            continue
        found.append(
            {
                "trigger": "new_error",
                "component": label(component),
                "error": str(error),
                "failures": c.failures,
                "detail": f"{c.failures} x {error}, none in the 7 days before",
            }
        )
    return found
