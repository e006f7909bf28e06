"""Open incidents between scheduled checks, in the store's `alert_state` table.

One row per open incident, deleted when it resolves: `rule`, `key` ('' for a keyless rule),
`severity`, `first_at` (started), `last_at` (the last evaluation time its rule fired),
`notified_at` (its latest opened/reminder notice), `firing` (JSON of the latest firing, with
the rule kind and the count of firings). Written only by `alerts check --send`, in the same
transaction as the messages it queues. `open_incidents` is the read side for others (the
live dashboard's banner).
"""

from __future__ import annotations

import json

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incidents import Incident, StateKey, Step, ordered
from installer.analytics.timeutil import format_moment, parse_moment
from installer.errors import UsageError
from installer.store.event_store import EventStore

CHECKED_AT = "alerts.checked_at"  # meta: the evaluation time of the latest `check --send`


def load_open(store: EventStore) -> dict[StateKey, Incident]:
    found: dict[StateKey, Incident] = {}
    rows = store.conn.execute(
        "SELECT rule, key, severity, first_at, last_at, notified_at, firing FROM alert_state"
    )
    for rule, key, severity, first_at, last_at, notified_at, body in rows:
        data = json.loads(body)
        firing = Firing.from_json(data, at=parse_moment(data["at"]), kind=data.get("kind", rule))
        found[(rule, key)] = Incident(
            rule=rule,
            kind=firing.kind,
            key=key or None,
            severity=severity,
            started=int(first_at),
            last_fired=int(last_at),
            firing=firing,
            notified_at=None if notified_at is None else int(notified_at),
            firings=int(data.get("firings", 1)),
        )
    return found


def open_incidents(store: EventStore) -> list[Incident]:
    """The incidents open after the latest scheduled check, by start, rule, key."""
    return ordered(list(load_open(store).values()))


def check_order(store: EventStore, at: int) -> None:
    """Evaluation times only move forward: a `check --send` at a moment before the latest
    one would reopen what that one resolved and notify it again."""
    latest = store.get_meta(CHECKED_AT)
    if latest is not None and at < int(latest):
        raise UsageError(
            f"--at {format_moment(at)} is before the latest alert check that sent "
            f"({format_moment(int(latest))}); without --send it only shows what fires"
        )


def save(store: EventStore, step: Step, at: int) -> None:
    """Record the incidents after T (call inside the caller's transaction)."""
    for incident in step.resolved:
        store.conn.execute("DELETE FROM alert_state WHERE rule = ? AND key = ?", incident.state_key)
    for incident in step.open.values():
        body = json.dumps(
            {**incident.firing.serialize(), "kind": incident.kind, "firings": incident.firings}
        )
        store.conn.execute(
            "INSERT INTO alert_state (rule, key, severity, first_at, last_at, notified_at, "
            "firing) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule, key) DO UPDATE SET "
            "severity = excluded.severity, first_at = excluded.first_at, "
            "last_at = excluded.last_at, notified_at = excluded.notified_at, "
            "firing = excluded.firing",
            (
                *incident.state_key,
                incident.severity,
                incident.started,
                incident.last_fired,
                incident.notified_at,
                body,
            ),
        )
    store.set_meta(CHECKED_AT, str(at))
