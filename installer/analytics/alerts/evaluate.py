"""Evaluating the rules at a moment T, exactly as SPEC 6 ("Alerts") states them.

Each rule kind is one function `(store, rule, T, scope) -> [(key, summary, context)]`,
registered in `EVALUATORS`. Thresholds compare exact rates; rounding is for the context only.
Every evaluator reads only its windows (plus one index seek per new SHA).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from installer.analytics.alerts import context as ctx
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.rules import Rule, RuleSet
from installer.analytics.query import (
    Counts,
    Scope,
    counts,
    first_seen_of,
    last_event_before,
    last_seen_of,
    total,
)
from installer.analytics.timeutil import DAY, HOUR, Window, format_moment, round_rate
from installer.store.event_store import EventStore

Found = tuple[Any, str, dict[str, Any]]  # key, summary, context
Evaluator = Callable[[EventStore, Rule, int, Scope], list[Found]]


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2f}%"


def success_rate_low(store: EventStore, rule: Rule, at: int, scope: Scope) -> list[Found]:
    window = Window.last(at, rule.seconds("window"))
    c = total(store, window, scope)
    rate = c.success_rate
    if not (c.events > rule["events_more_than"] and rate is not None):
        return []
    if not rate < rule["success_rate_below"]:
        return []
    summary = (
        f"only {_pct(rate)} of the {c.events} installer steps of the last {_hours(window)} h "
        f"succeeded (the rule fires below {rule['success_rate_below']:g}%)"
    )
    return [(None, summary, _critical_context(store, window, scope))]


def high_failure_volume(store: EventStore, rule: Rule, at: int, scope: Scope) -> list[Found]:
    window = Window.last(at, rule.seconds("window"))
    c = total(store, window, scope)
    if not c.failures > rule["failures_more_than"]:
        return []
    summary = (
        f"{c.failures} installer steps failed in the last {_hours(window)} h "
        f"(the rule fires above {int(rule['failures_more_than'])})"
    )
    return [(None, summary, _critical_context(store, window, scope))]


def _critical_context(store: EventStore, window: Window, scope: Scope) -> dict[str, Any]:
    return {
        "window": _window(window),
        **ctx.before_after(store, window, scope),
        "top_failing_components": ctx.top_failing_components(store, window, scope),
        "affected_systems": ctx.affected_systems(store, window, scope),
        "recent_shas": ctx.recent_shas(store, window, scope),
    }


def new_failure_pattern(store: EventStore, rule: Rule, at: int, scope: Scope) -> list[Found]:
    recent = Window.last(at, rule.seconds("recent"))
    baseline = Window(at - rule.seconds("baseline_from"), recent.start)
    now_by = counts(store, recent, scope, by=["component"])
    before_by = counts(store, baseline, scope, by=["component"])
    found: list[Found] = []
    for (component,), now in sorted(now_by.items(), key=lambda kc: str(kc[0][0])):
        before = before_by.get((component,))
        if before is None or before.success_rate is None or now.success_rate is None:
            continue
        if not (
            before.events >= rule["baseline_events_at_least"]
            and before.success_rate > rule["baseline_success_rate_above"]
            and now.events >= rule["recent_events_at_least"]
            and now.success_rate < rule["recent_success_rate_below"]
        ):
            continue
        summary = (
            f"{component} started failing: {_pct(now.success_rate)} of its {now.events} events "
            f"in the last {_hours(recent)} h succeeded, against {_pct(before.success_rate)} "
            f"of {before.events} in the {_hours(baseline)} h before"
        )
        found.append(
            (
                component,
                summary,
                {
                    "component": component,
                    "baseline_window": _window(baseline),
                    "recent_window": _window(recent),
                    "before": ctx.numbers(before),
                    "after": ctx.numbers(now),
                    "change_pp": round_rate(now.success_rate - before.success_rate),
                    "affected_systems": ctx.affected_systems(store, recent, scope, str(component)),
                    "recent_shas": ctx.recent_shas(store, recent, scope),
                },
            )
        )
    return found


def qualified_arches(
    store: EventStore, rule: Rule, window: Window, scope: Scope
) -> dict[str, Counts]:
    """`arch_failure_gap`'s architectures: those with at least `events_at_least` events in
    `window`. Events without an architecture cannot be a key; they do not qualify."""
    by = counts(store, window, scope, by=["arch"])
    return {
        str(k[0]): c
        for k, c in by.items()
        if k[0] is not None and c.events >= rule["events_at_least"]
    }


def arch_failure_gap(store: EventStore, rule: Rule, at: int, scope: Scope) -> list[Found]:
    window = Window.last(at, rule.seconds("window"))
    qualified = qualified_arches(store, rule, window, scope)
    if len(qualified) < 2:
        return []
    rates = {arch: c.failure_rate for arch, c in qualified.items()}
    # Worse = highest failure rate; ties by name ascending. Best = lowest failure rate.
    worse = min(rates, key=lambda a: (-(rates[a] or 0.0), a))
    best = min(rates, key=lambda a: (rates[a] or 0.0, a))
    gap = (rates[worse] or 0.0) - (rates[best] or 0.0)
    # Compared exactly: the gap of two float rates can pass a threshold it only equals.
    # The failure-rate gap is the success-rate gap the other way round (100 cancels);
    # a qualified architecture has events, so it has a rate.
    exact = {arch: c.exact_success_rate or Fraction(0) for arch, c in qualified.items()}
    if not exact[best] - exact[worse] > rule["gap_more_than"]:
        return []
    summary = (
        f"installer steps on {worse} failed {_pct(rates[worse])} of the time in the last "
        f"{_hours(window)} h, on {best} {_pct(rates[best])}: {gap:.2f} pp apart "
        f"(the rule fires above {rule['gap_more_than']:g} pp)"
    )
    return [
        (
            worse,
            summary,
            {
                "window": _window(window),
                "gap_pp": round_rate(gap),
                "architectures": [
                    {"arch": a, **ctx.numbers(c), "failure_rate": round_rate(c.failure_rate)}
                    for a, c in sorted(qualified.items())
                ],
                "best": best,
                "affected_os_versions": sorted(
                    {str(s["os"]) for s in _arch_systems(store, window, scope, worse)}
                ),
                "top_failing_components": ctx.top_failing_components(
                    store, window, Scope(scope.categories, worse, scope.os)
                ),
                "recent_shas": ctx.recent_shas(store, window, scope),
            },
        )
    ]


def _arch_systems(
    store: EventStore, window: Window, scope: Scope, arch: str
) -> list[dict[str, Any]]:
    return ctx.affected_systems(store, window, Scope(scope.categories, arch, scope.os), limit=50)


def commit_regression(store: EventStore, rule: Rule, at: int, scope: Scope) -> list[Found]:
    new_window = Window.last(at, rule.seconds("new_within"))
    baseline_len = rule.seconds("baseline")
    found: list[Found] = []
    candidates = sorted(str(k[0]) for k in counts(store, new_window, scope, by=["sha"]) if k[0])
    for sha in candidates:
        first = first_seen_of(store, sha, scope)
        if first is None or first not in new_window:
            continue
        baseline = Window(first - baseline_len, first)
        previous = previous_sha(store, baseline, scope, sha)
        if previous is None:
            continue
        p_sha, p_counts = previous
        s_counts = counts(store, Window(first, at), scope, by=["sha"]).get((sha,), Counts())
        if s_counts.events < rule["events_at_least"]:
            continue
        if p_counts.events < rule["baseline_events_at_least"]:
            continue
        s_exact, p_exact = s_counts.exact_success_rate, p_counts.exact_success_rate
        if s_exact is None or p_exact is None:
            continue
        # Exact: a difference of float rates can pass a threshold it only equals.
        drop = float(p_exact - s_exact)
        if not p_exact - s_exact > rule["drop_more_than"]:
            continue
        s_rate, p_rate = s_counts.success_rate, p_counts.success_rate
        summary = (
            f"commit {sha}, first seen {format_moment(first)}, succeeded in {_pct(s_rate)} "
            f"of {s_counts.events} steps since, {drop:.2f} pp below {p_sha} before it "
            f"({_pct(p_rate)}; the rule fires above {rule['drop_more_than']:g} pp)"
        )
        found.append(
            (
                sha,
                summary,
                {
                    "sha": sha,
                    "first_seen": format_moment(first),
                    "previous_sha": p_sha,
                    "before": {**ctx.numbers(p_counts), "window": _window(baseline)},
                    "after": {**ctx.numbers(s_counts), "window": _window(Window(first, at))},
                    "drop_pp": round_rate(drop),
                },
            )
        )
    return found


def previous_sha(
    store: EventStore, baseline: Window, scope: Scope, sha: str
) -> tuple[str, Counts] | None:
    """p: the other SHA with most events in [f-7d, f); ties: latest last event, then lowest."""
    by = counts(store, baseline, scope, by=["sha"])
    others = {str(k[0]): c for k, c in by.items() if k[0] is not None and k[0] != sha}
    if not others:
        return None
    most = max(c.events for c in others.values())
    tied = sorted(s for s, c in others.items() if c.events == most)
    if len(tied) > 1:
        # Latest last event first; `sorted` is stable, so equal moments keep the lowest SHA.
        last = {s: last_seen_of(store, s, baseline, scope) or 0 for s in tied}
        tied.sort(key=lambda s: -last[s])
    return tied[0], others[tied[0]]


def _window(window: Window) -> dict[str, str]:
    return {"from": format_moment(window.start), "to": format_moment(window.end)}


def _hours(window: Window) -> str:
    return f"{(window.end - window.start) / 3600:g}"


def span(seconds: int) -> str:
    """A duration for a sentence: "7 days", "6 h", "90 min"."""
    if seconds % DAY == 0:
        days = seconds // DAY
        return "1 day" if days == 1 else f"{days} days"
    if seconds % HOUR == 0:
        return f"{seconds // HOUR} h"
    return f"{seconds / 60:g} min"


def no_data(store: EventStore, rule: Rule, at: int, scope: Scope) -> list[Found]:
    window = Window.last(at, rule.seconds("window"))
    if total(store, window, scope).events > 0:
        return []
    shift = rule.seconds("compare_to")
    before = Window(window.start - shift, window.end - shift)
    then = total(store, before, scope)
    if then.events < rule["compare_events_at_least"]:
        return []
    last = last_event_before(store, at, scope)
    newest = "there is no event before" if last is None else f"the newest is {format_moment(last)}"
    summary = (
        f"no installer events arrived in the last {_hours(window)} h ({newest}), "
        f"while the same hours {span(shift)} before had {then.events}"
    )
    context = {
        "window": _window(window),
        "compare_window": _window(before),
        "compare_events": then.events,
        "last_event": None if last is None else format_moment(last),
    }
    return [(None, summary, context)]


EVALUATORS: Mapping[str, Evaluator] = {
    "success_rate_low": success_rate_low,
    "new_failure_pattern": new_failure_pattern,
    "high_failure_volume": high_failure_volume,
    "arch_failure_gap": arch_failure_gap,
    "no_data": no_data,
    "commit_regression": commit_regression,
}


def evaluate(store: EventStore, rules: RuleSet, at: int) -> list[Firing]:
    """Every firing at T, in rule order then key order."""
    scope = Scope(rules.categories)
    firings: list[Firing] = []
    for rule in rules.enabled:
        for key, summary, context in EVALUATORS[rule.kind](store, rule, at, scope):
            firings.append(
                Firing(
                    at=at,
                    rule=rule.id,
                    kind=rule.kind,
                    key=None if key is None else str(key),
                    severity=rule.severity,
                    summary=summary,
                    runbook=rules.runbook_link(rule),
                    context=context,
                )
            )
    return firings
