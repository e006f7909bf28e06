"""What the live pages show but other parts own, each behind one small function: open
incidents (the alert state `alerts check --send` keeps), the alerts firing at the page's
moment, and one run's timeline. The pages call only these, so when the owner's function
changes, only this file follows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.analytics.store import EventStore
from installer.analytics.timeutil import format_moment


@dataclass(frozen=True)
class Incident:
    rule: str
    key: str | None
    severity: str
    started: int
    last_fired: int
    summary: str
    runbook: str

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "key": self.key,
            "severity": self.severity,
            "started": format_moment(self.started),
            "last_fired": format_moment(self.last_fired),
            "summary": self.summary,
            "runbook": self.runbook,
        }


def open_incidents(store: EventStore) -> list[Incident]:
    """Incidents still open, as the scheduled `alerts check --send` left them (table
    `alert_state`, one row per open incident; see NOTES from i15-alerts). Ordered by
    started, rule, key."""
    rows = store.conn.execute(
        "SELECT rule, key, severity, first_at, last_at, firing FROM alert_state "
        "ORDER BY first_at, rule, key"
    ).fetchall()
    found = []
    for rule, key, severity, first_at, last_at, firing in rows:
        try:
            data = json.loads(firing)
        except ValueError:
            data = {}
        found.append(
            Incident(
                rule=str(rule),
                key=str(key) or None,
                severity=str(severity),
                started=int(first_at),
                last_fired=int(last_at),
                summary=str(data.get("summary", "")),
                runbook=str(data.get("runbook", "")),
            )
        )
    return found


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


@dataclass(frozen=True)
class Step:
    ts: int
    category: str
    action: str
    component: str
    outcome: str  # ok, skipped, failed
    error: str | None
    duration: float | None
    os: str | None
    arch: str | None
    sha: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "time": format_moment(self.ts),
            "category": self.category,
            "action": self.action,
            "component": self.component,
            "outcome": self.outcome,
            "error": self.error,
            "duration": self.duration,
            "os": self.os,
            "arch": self.arch,
            "sha": self.sha,
        }


def run_timeline(store: EventStore, run: str) -> list[Step]:
    """Every event of one run (full run id), in time order."""
    rows = store.conn.execute(
        "SELECT ts, category, action, component, success, error, duration, os, arch, sha "
        "FROM events WHERE run = ? ORDER BY ts, id",
        (run,),
    ).fetchall()
    return [
        Step(
            ts=int(r[0]),
            category=str(r[1]),
            action=str(r[2]),
            component=str(r[3]),
            outcome="failed" if not r[4] else ("skipped" if r[2] == "Skipped" else "ok"),
            error=r[5],
            duration=r[6],
            os=r[7],
            arch=r[8],
            sha=r[9],
        )
        for r in rows
    ]
