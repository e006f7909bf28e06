"""The context a firing carries (SPEC 6): top failing components and affected OS/arch for
critical alerts, recent SHAs, and before/after numbers. All read from the rule's window."""

from __future__ import annotations

from typing import Any

from installer.analytics.query import Counts, Scope, counts, total
from installer.analytics.timeutil import Window, round_rate
from installer.store.event_store import EventStore

TOP = 5  # how many components / combinations / SHAs a notice lists


def numbers(c: Counts) -> dict[str, Any]:
    return {
        "events": c.events,
        "failures": c.failures,
        "success_rate": round_rate(c.success_rate),
    }


def top_failing_components(
    store: EventStore, window: Window, scope: Scope, limit: int = TOP
) -> list[dict[str, Any]]:
    by = counts(store, window, scope, by=["component"])
    failing = [(k[0], c) for k, c in by.items() if c.failures > 0]
    failing.sort(key=lambda kc: (-kc[1].failures, str(kc[0])))
    return [{"component": k, **numbers(c)} for k, c in failing[:limit]]


def affected_systems(
    store: EventStore,
    window: Window,
    scope: Scope,
    component: str | None = None,
    limit: int = TOP,
) -> list[dict[str, Any]]:
    """OS + arch combinations with failures (of one component, when given)."""
    by = counts(store, window, scope, by=["component", "os", "arch"])
    merged: dict[tuple[Any, Any], Counts] = {}
    for (comp, os_name, arch), c in by.items():
        if component is not None and comp != component:
            continue
        old = merged.get((os_name, arch), Counts())
        merged[(os_name, arch)] = Counts(old.events + c.events, old.successes + c.successes)
    failing = [(k, c) for k, c in merged.items() if c.failures > 0]
    failing.sort(key=lambda kc: (-kc[1].failures, str(kc[0][0]), str(kc[0][1])))
    return [{"os": k[0], "arch": k[1], **numbers(c)} for k, c in failing[:limit]]


def recent_shas(
    store: EventStore, window: Window, scope: Scope, limit: int = TOP
) -> list[dict[str, Any]]:
    by = counts(store, window, scope, by=["sha"])
    ranked = sorted(by.items(), key=lambda kc: (-kc[1].events, str(kc[0][0])))
    return [{"sha": k[0], **numbers(c)} for k, c in ranked[:limit]]


def before_after(store: EventStore, window: Window, scope: Scope) -> dict[str, Any]:
    """The window's numbers next to the same-length window just before it."""
    length = window.end - window.start
    before = total(store, Window(window.start - length, window.start), scope)
    after = total(store, window, scope)
    return {"before": numbers(before), "after": numbers(after)}
