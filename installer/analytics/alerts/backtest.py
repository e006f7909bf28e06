"""Backtest: the rules evaluated at T = A, A + every, ... up to and including B.

Thresholds can be tried on history before anyone is paged (SPEC 6): as firings, or as the
incidents (and notifications) they would have made. Nothing is sent and no alert state
changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.alerts.decide import decide
from installer.analytics.alerts.evaluate import evaluate
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incidents import NOTICE_TYPES, Incident, Notice, StateKey, ordered
from installer.analytics.alerts.rules import CRITICAL, RuleSet
from installer.errors import UsageError
from installer.store.event_store import EventStore

MAX_STEPS = 100_000  # a year at 5-minute steps; more is almost surely a typo in --every


def moments(start: int, end: int, every: int) -> Iterator[int]:
    if every <= 0:
        raise UsageError("--every: must be a positive duration, e.g. 1h")
    if end < start:
        raise UsageError("--to must not be before --from")
    if (end - start) // every + 1 > MAX_STEPS:
        raise UsageError(f"--every: more than {MAX_STEPS} evaluations; use a longer step")
    at = start
    while at <= end:
        yield at
        at += every


def backtest(store: EventStore, rules: RuleSet, start: int, end: int, every: int) -> list[Firing]:
    firings: list[Firing] = []
    for at in moments(start, end, every):
        firings.extend(evaluate(store, rules, at))
    return firings


@dataclass
class IncidentBacktest:
    """Incidents over the grid (SPEC 6, "Incidents"), the firings each one grouped, and the
    notices a live check would have sent."""

    end: int
    incidents: list[Incident] = field(default_factory=list)
    firings: dict[tuple[str, str, int], list[Firing]] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    severities: dict[str, str] = field(default_factory=dict)

    def firings_of(self, incident: Incident) -> list[Firing]:
        return self.firings.get((*incident.state_key, incident.started), [])

    def notices_of(self, incident: Incident) -> list[Notice]:
        ident = (*incident.state_key, incident.started)
        return [n for n in self.notices if (*n.incident.state_key, n.incident.started) == ident]

    def summary(self) -> list[dict[str, Any]]:
        """Per rule: incidents, hours open, notifications (by type), and pages: the
        notifications sent at once (a critical rule's; a warning's wait for the digest)."""
        rows: dict[str, dict[str, Any]] = {}
        for rule, severity in self.severities.items():
            rows[rule] = {
                "rule": rule,
                "severity": severity,
                "incidents": 0,
                "hours_open": 0.0,
                "notifications": 0,
                "pages": 0,
                **{f"{t}_notifications": 0 for t in NOTICE_TYPES},
            }
        for incident in self.incidents:
            row = rows[incident.rule]
            row["incidents"] += 1
            row["hours_open"] += incident.open_for(self.end) / 3600
        for notice in self.notices:
            row = rows[notice.incident.rule]
            row["notifications"] += 1
            if row["severity"] == CRITICAL:
                row["pages"] += 1
            row[f"{notice.type}_notifications"] += 1
        for row in rows.values():
            row["hours_open"] = round(row["hours_open"], 2)
        return list(rows.values())


def backtest_incidents(
    store: EventStore, rules: RuleSet, start: int, end: int, every: int
) -> IncidentBacktest:
    """The grid as a run of scheduled checks: the same `decide` as `alerts check --send`.
    An incident open at A starts at A; one still open at B has `resolved` None."""
    result = IncidentBacktest(end, severities={r.id: r.severity for r in rules.enabled})
    open_now: dict[StateKey, Incident] = {}
    last = start
    for at in moments(start, end, every):
        firings, step = decide(store, rules, open_now, at)
        open_now = step.open
        for firing in firings:
            incident = open_now[firing.state_key]
            result.firings.setdefault((*firing.state_key, incident.started), []).append(firing)
        result.incidents.extend(step.resolved)
        result.notices.extend(step.notices)
        last = at
    result.end = last
    result.incidents = ordered([*result.incidents, *open_now.values()])
    return result
