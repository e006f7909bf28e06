"""What the live pages show but other parts own, each behind one small function: open
incidents (the alert state `alerts check --send` keeps), the alerts firing at the page's
moment, and one run's timeline. The pages call only these, so when the owner's function
changes, only this file follows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.analytics import run_timeline as run_timeline_module
from installer.analytics.alerts import incident_state
from installer.analytics.alerts.incidents import Incident
from installer.analytics.run_timeline import RunTimeline
from installer.store.event_store import EventStore


def open_incidents(store: EventStore) -> list[Incident]:
    """Incidents still open, as the scheduled `alerts check --send` left them (i15's
    incident state), ordered by started, rule, key."""
    return incident_state.open_incidents(store)


@dataclass(frozen=True)
class Alert:
    rule: str
    key: str | None
    severity: str
    summary: str
    runbook: str

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "key": self.key,
            "severity": self.severity,
            "summary": self.summary,
            "runbook": self.runbook,
        }


def firing_alerts(store: EventStore, at: int, rules_file: Path | None) -> list[Alert]:
    """The alert rules evaluated at the page's moment (what `alerts check --at` prints)."""
    from installer.analytics.alerts.evaluate import evaluate
    from installer.analytics.alerts.load import load_config

    config = load_config(rules_file)
    return [
        Alert(f.rule, f.key, f.severity, f.summary, f.runbook)
        for f in evaluate(store, config.rules, at)
    ]


def run_timeline(store: EventStore, text: str) -> RunTimeline:
    """One run's timeline from its id or support id (at least 8 characters), as
    `dtu-install analytics run ID` prints it (i16's run_timeline). RunNotFound,
    AmbiguousRun and a too-short id raise; the app answers them with 404 / 400."""
    exact = run_timeline_module.timeline(store, text)  # the drill-down links full ids
    if exact.events:
        return exact
    return run_timeline_module.timeline(store, run_timeline_module.find_run(store, text))
