"""Alert state between runs: which (rule, key) fire, when they were last notified, and the
warnings waiting for the next-business-day digest (SPEC 6, "Notification").

`advance` turns the firings at T into the messages to send, updating the state in the
caller's transaction. Times here are T (`--at`), so the repeat interval and the digest
behave the same in a backtest-like replay as live.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.rules import CRITICAL, DEFAULT_REPEAT_INTERVAL
from installer.analytics.notify.message import Message, alert_message, digest_message
from installer.analytics.store import EventStore
from installer.analytics.timeutil import DAY, HOUR, parse_moment

BUSINESS_DAYS = frozenset(range(5))  # Monday..Friday (time.gmtime().tm_wday)


def digest_due(created_at: int, digest_hour: int) -> int:
    """The next business day after `created_at`, at `digest_hour` UTC."""
    day = created_at - created_at % DAY + DAY
    while time.gmtime(day).tm_wday not in BUSINESS_DAYS:
        day += DAY
    return day + digest_hour * HOUR


@dataclass(frozen=True)
class _Active:
    severity: str
    notified_at: int | None
    firing: Firing


def _load(store: EventStore) -> dict[tuple[str, str], _Active]:
    active = {}
    for rule, key, severity, notified_at, body in store.conn.execute(
        "SELECT rule, key, severity, notified_at, firing FROM alert_state"
    ):
        data = json.loads(body)
        firing = Firing.from_json(
            data,
            at=parse_moment(data["at"]),
            kind=data.get("kind", rule),
        )
        active[(rule, key)] = _Active(severity, notified_at, firing)
    return active


def _stored(firing: Firing) -> str:
    return json.dumps({**firing.serialize(), "kind": firing.kind})


def advance(
    store: EventStore,
    firings: list[Firing],
    at: int,
    repeat_intervals: Mapping[str, int],
    digest_hour: int,
) -> list[Message]:
    """Update the state for the firings at T; return the messages due now (in order)."""
    messages: list[Message] = []
    active = _load(store)
    current = {f.state_key: f for f in firings}
    for key, firing in current.items():
        old = active.get(key)
        repeat = repeat_intervals.get(firing.rule, DEFAULT_REPEAT_INTERVAL)
        due = old is None or old.notified_at is None or at - old.notified_at >= repeat
        if old is None:
            store.conn.execute(
                "INSERT INTO alert_state (rule, key, severity, first_at, last_at, notified_at, "
                "firing) VALUES (?, ?, ?, ?, ?, NULL, ?)",
                (*key, firing.severity, at, at, _stored(firing)),
            )
        else:
            store.conn.execute(
                "UPDATE alert_state SET last_at = ?, firing = ?, severity = ? "
                "WHERE rule = ? AND key = ?",
                (at, _stored(firing), firing.severity, *key),
            )
        if not due:
            continue
        if firing.severity == CRITICAL:
            messages.append(alert_message(firing))
        else:
            _to_digest(store, "firing", firing, at)
        store.conn.execute(
            "UPDATE alert_state SET notified_at = ? WHERE rule = ? AND key = ?", (at, *key)
        )
    for key, old in active.items():
        if key in current:
            continue
        store.conn.execute("DELETE FROM alert_state WHERE rule = ? AND key = ?", key)
        if old.notified_at is None:
            continue  # never announced: nothing to resolve
        if old.severity == CRITICAL:
            messages.append(alert_message(old.firing, resolved=True, at=at))
        else:
            _to_digest(store, "resolved", old.firing, at)
    digest = _digest_if_due(store, at, digest_hour)
    if digest is not None:
        messages.append(digest)
    return messages


def _to_digest(store: EventStore, state: str, firing: Firing, at: int) -> None:
    item = json.dumps({"state": state, "firing": _stored(firing)})
    store.conn.execute("INSERT INTO alert_digest (created_at, item) VALUES (?, ?)", (at, item))


def _digest_if_due(store: EventStore, at: int, digest_hour: int) -> Message | None:
    (oldest,) = store.conn.execute("SELECT MIN(created_at) FROM alert_digest").fetchone()
    if oldest is None or at < digest_due(int(oldest), digest_hour):
        return None
    # A warning still firing after its repeat interval is queued again: the digest shows
    # each (rule, key, state) once, with its latest numbers, in order of first appearance.
    items: dict[tuple[str, str, str], tuple[str, Firing]] = {}
    for (body,) in store.conn.execute("SELECT item FROM alert_digest ORDER BY id").fetchall():
        raw = json.loads(body)
        data = json.loads(raw["firing"])
        firing = Firing.from_json(data, at=parse_moment(data["at"]), kind=data["kind"])
        items[(firing.rule, firing.key or "", raw["state"])] = (raw["state"], firing)
    store.conn.execute("DELETE FROM alert_digest")
    return digest_message(list(items.values()), at)
