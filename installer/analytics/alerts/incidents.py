"""Incidents: when an alert starts and when it ends (SPEC 6, "Incidents").

Over the evaluation times (the scheduled checks, or a backtest's grid), for each (rule, key):
an incident opens at the first time the rule fires while none is open; it stays open while
the rule fires or its clear condition does not hold; it resolves at the first time the rule
does not fire and the clear condition holds.

`advance` is that definition, once: `alerts check --send` calls it with the incidents it
stored after the previous scheduled run, `backtest --incidents` with those of the previous
grid point. It also decides the notices (opened, reminder after the repeat interval,
resolved), so a backtest counts exactly the notifications a live check would have sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.rules import DEFAULT_REPEAT_INTERVAL
from installer.analytics.timeutil import format_moment

OPENED = "opened"
REMINDER = "reminder"
RESOLVED = "resolved"
NOTICE_TYPES = (OPENED, REMINDER, RESOLVED)

StateKey = tuple[str, str]  # (rule id, key or '')


@dataclass(frozen=True)
class Incident:
    rule: str
    kind: str
    key: str | None
    severity: str
    started: int  # the evaluation time at which it opened
    last_fired: int  # the latest evaluation time at which its rule fired
    firing: Firing  # the latest firing: its summary and context
    notified_at: int | None = None  # when the latest opened/reminder notice was decided
    resolved: int | None = None
    resolution: str = ""  # why its clear condition holds (a sentence), once resolved
    firings: int = 1  # evaluation times at which its rule fired

    @property
    def state_key(self) -> StateKey:
        return (self.rule, self.key or "")

    @property
    def thread_id(self) -> str:
        """Stable across runs and retries: the email thread of this incident (Message-ID
        local part). Hashed, since a key is a component name from the network."""
        digest = hashlib.sha256(f"{self.rule}\0{self.key or ''}".encode()).hexdigest()[:12]
        # Short: a Message-ID over 78 characters gets folded onto a continuation line.
        return f"i.{digest}.{self.started}"

    def open_for(self, at: int) -> int:
        """Seconds from its start to its resolution, or to `at` while still open."""
        return (self.resolved if self.resolved is not None else at) - self.started

    def serialize(self, at: int | None = None) -> dict[str, Any]:
        end = self.resolved if self.resolved is not None else at
        return {
            "rule": self.rule,
            "key": self.key,
            "severity": self.severity,
            "started": format_moment(self.started),
            "resolved": None if self.resolved is None else format_moment(self.resolved),
            "hours_open": None if end is None else round((end - self.started) / 3600, 2),
            "last_fired": format_moment(self.last_fired),
            "firings": self.firings,
            "summary": self.firing.summary,
            "resolution": self.resolution or None,
            "runbook": self.firing.runbook,
        }


@dataclass(frozen=True)
class Notice:
    """One notification an incident is due at `at`: opened, reminder or resolved."""

    type: str
    at: int
    incident: Incident


@dataclass
class Step:
    """What one evaluation time did to the incidents."""

    open: dict[StateKey, Incident] = field(default_factory=dict)  # open after T
    opened: list[Incident] = field(default_factory=list)
    resolved: list[Incident] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)


# (incident, T) -> why its rule's clear condition holds at T, or None while it does not.
ClearTest = Callable[[Incident, int], "str | None"]


def advance(
    open_before: Mapping[StateKey, Incident],
    firings: Sequence[Firing],
    at: int,
    clear: ClearTest,
    repeat_intervals: Mapping[str, int],
) -> Step:
    """The incidents after evaluation time `at`, and the notices due at `at`."""
    step = Step()
    fired: dict[StateKey, Firing] = {}
    for firing in firings:
        fired.setdefault(firing.state_key, firing)
    for key, firing in fired.items():
        old = open_before.get(key)
        if old is None:
            incident = Incident(
                rule=firing.rule,
                kind=firing.kind,
                key=firing.key,
                severity=firing.severity,
                started=at,
                last_fired=at,
                firing=firing,
                notified_at=at,
            )
            step.opened.append(incident)
            step.notices.append(Notice(OPENED, at, incident))
        else:
            incident = replace(
                old,
                severity=firing.severity,
                last_fired=at,
                firing=firing,
                firings=old.firings + 1,
            )
            incident = _remind(step, incident, at, repeat_intervals)
        step.open[key] = incident
    for key, old in open_before.items():
        if key in fired:
            continue
        reason = clear(old, at)
        if reason is None:
            step.open[key] = _remind(step, old, at, repeat_intervals)
            continue
        done = replace(old, resolved=at, resolution=reason)
        step.resolved.append(done)
        step.notices.append(Notice(RESOLVED, at, done))
    return step


def _remind(step: Step, incident: Incident, at: int, repeat: Mapping[str, int]) -> Incident:
    """A reminder once the repeat interval has passed since the last notice. An incident
    never announced (state written before a failed run) gets its "opened" notice now."""
    if incident.notified_at is None:
        incident = replace(incident, notified_at=at)
        step.notices.append(Notice(OPENED, at, incident))
    elif at - incident.notified_at >= repeat.get(incident.rule, DEFAULT_REPEAT_INTERVAL):
        incident = replace(incident, notified_at=at)
        step.notices.append(Notice(REMINDER, at, incident))
    return incident


def duration(seconds: int) -> str:
    """`2 d 3 h 15 min`, `45 min`: how long an incident lasted, for people."""
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min"]
    if days or hours:
        parts[2] = f"{mins} min" if mins else ""
    return " ".join(p for p in parts if p)


def ordered(incidents: Sequence[Incident]) -> list[Incident]:
    """By start, then rule, then key (None first), as SPEC 6 orders them."""
    return sorted(incidents, key=lambda i: (i.started, i.rule, i.key is not None, i.key or ""))
