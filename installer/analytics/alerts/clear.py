"""Each rule's clear condition (SPEC 6, "Incidents"): when an open incident may resolve.

A rule that stops firing does not end its incident: `new_failure_pattern` stops 4 hours
into any outage (the outage becomes its own baseline), `commit_regression` 24 hours after a
deployment whatever the commit still does. An incident resolves only at an evaluation time
at which its rule does not fire and this condition holds.

Each kind is one function `(store, rule, key, T, scope) -> reason | None`, registered in
`CLEARERS`: a plain sentence saying why it is clear (the RESOLVED notice quotes it), or None
while it is not. Thresholds are settings of the rule (`clear_*`), compared exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from installer.analytics.alerts.evaluate import previous_sha, qualified_arches, span
from installer.analytics.alerts.rules import Rule
from installer.analytics.query import Counts, Scope, counts, first_seen_of, total
from installer.analytics.timeutil import Window, display_rate
from installer.store.event_store import EventStore

Clearer = Callable[[EventStore, Rule, "str | None", int, Scope], "str | None"]


def success_rate_low(
    store: EventStore, rule: Rule, key: str | None, at: int, scope: Scope
) -> str | None:
    window = Window.last(at, rule.seconds("window"))
    return _rate_clear(
        total(store, window, scope), rule["clear_success_rate_at_least"], "installer steps", window
    )


def new_failure_pattern(
    store: EventStore, rule: Rule, key: str | None, at: int, scope: Scope
) -> str | None:
    window = Window.last(at, rule.seconds("recent"))
    c = counts(store, window, scope, by=["component"]).get((key,), Counts())
    return _rate_clear(c, rule["clear_success_rate_at_least"], f"{key} events", window)


def _rate_clear(c: Counts, at_least: float, what: str, window: Window) -> str | None:
    last = span(window.end - window.start)
    if c.events == 0:
        return f"no {what} in the last {last}"
    exact = c.exact_success_rate
    if exact is None or exact < Fraction(at_least):
        return None
    return (
        f"{display_rate(c.success_rate)} of the {c.events} {what} of the last {last} succeeded "
        f"(clear at {at_least:g}% or more)"
    )


def high_failure_volume(
    store: EventStore, rule: Rule, key: str | None, at: int, scope: Scope
) -> str | None:
    window = Window.last(at, rule.seconds("window"))
    failures = total(store, window, scope).failures
    if failures > rule["clear_failures_at_most"]:
        return None
    return (
        f"{failures} installer steps failed in the last {span(window.end - window.start)} "
        f"(clear at {int(rule['clear_failures_at_most'])} or fewer)"
    )


def arch_failure_gap(
    store: EventStore, rule: Rule, key: str | None, at: int, scope: Scope
) -> str | None:
    qualified = qualified_arches(store, rule, Window.last(at, rule.seconds("window")), scope)
    need = int(rule["events_at_least"])
    if len(qualified) < 2:
        return f"fewer than two architectures have {need} or more events in the window"
    if key not in qualified:
        return f"{key} has fewer than {need} events in the window"
    # The lowest failure rate is the highest success rate; a qualified arch has a rate.
    rates = {arch: c.exact_success_rate or Fraction(0) for arch, c in qualified.items()}
    best = min(rates, key=lambda a: (-rates[a], a))
    gap = rates[best] - rates[key]
    if gap > rule["clear_gap_at_most"]:
        return None
    return (
        f"{key} fails {float(gap):.2f} pp more often than {best} "
        f"(clear at {rule['clear_gap_at_most']:g} pp or less)"
    )


def commit_regression(
    store: EventStore, rule: Rule, key: str | None, at: int, scope: Scope
) -> str | None:
    window = Window.last(at, rule.seconds("clear_window"))
    sha = str(key)
    mine = counts(store, window, scope, by=["sha"]).get((sha,), Counts())
    last = span(window.end - window.start)
    if mine.events == 0:
        return f"no events of {sha} in the last {last}"
    first = first_seen_of(store, sha, scope)
    previous = None
    if first is not None:
        baseline = Window(first - rule.seconds("baseline"), first)
        previous = previous_sha(store, baseline, scope, sha)
    if previous is None:
        return f"{sha} has no earlier commit to compare with"  # the rule cannot fire either
    p_sha, p_counts = previous
    if mine.events < rule["clear_events_at_least"]:
        return None
    s_exact, p_exact = mine.exact_success_rate, p_counts.exact_success_rate
    if s_exact is None or p_exact is None:
        return None
    if s_exact < p_exact - Fraction(rule["clear_drop_at_most"]):
        return None
    return (
        f"{sha} succeeded in {display_rate(mine.success_rate)} of {mine.events} steps in the "
        f"last {last}, against {display_rate(p_counts.success_rate)} for {p_sha} before it "
        f"(clear at {rule['clear_drop_at_most']:g} pp below or better)"
    )


def no_data(store: EventStore, rule: Rule, key: str | None, at: int, scope: Scope) -> str | None:
    window = Window.last(at, rule.seconds("clear_window"))
    events = total(store, window, scope).events
    if events < rule["clear_events_at_least"]:
        return None
    return f"{events} installer events arrived in the last {span(window.end - window.start)}"


CLEARERS: Mapping[str, Clearer] = {
    "success_rate_low": success_rate_low,
    "new_failure_pattern": new_failure_pattern,
    "high_failure_volume": high_failure_volume,
    "arch_failure_gap": arch_failure_gap,
    "no_data": no_data,
    "commit_regression": commit_regression,
}
