"""One evaluation time for the incidents: the rules' firings at T, then the lifecycle step
(`incidents.advance`) with each open incident's clear condition read from the store.
`alerts check` and `backtest --incidents` both call this, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping

from installer.analytics.alerts.clear import CLEARERS
from installer.analytics.alerts.evaluate import evaluate
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incidents import Incident, StateKey, Step, advance
from installer.analytics.alerts.rules import RuleSet
from installer.analytics.query import Scope
from installer.store.event_store import EventStore

# An incident whose rule was removed from the rules file (or disabled) cannot be judged
# any more; it resolves, saying so, rather than staying open forever.
RULE_GONE = "its rule is no longer enabled in the rules file"


def decide(
    store: EventStore, rules: RuleSet, open_before: Mapping[StateKey, Incident], at: int
) -> tuple[list[Firing], Step]:
    firings = evaluate(store, rules, at)
    scope = Scope(rules.categories)
    enabled = {rule.id: rule for rule in rules.enabled}

    def clear(incident: Incident, moment: int) -> str | None:
        rule = enabled.get(incident.rule)
        if rule is None:
            return RULE_GONE
        return CLEARERS[rule.kind](store, rule, incident.key, moment, scope)

    repeat = {rule.id: rule.repeat_interval for rule in rules.rules}
    return firings, advance(open_before, firings, at, clear, repeat)
