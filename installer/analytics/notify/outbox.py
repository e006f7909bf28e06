"""The delivery outbox: every message is first committed to the store, then delivered.

A message is marked sent right after its channel accepted it; one that failed stays and is
retried at the next run (after a Retry-After, when the channel gave one). So a failed
delivery is never lost, and an accepted one is never sent again. A message still undelivered
`give_up_after` (notify settings) after its first failed attempt is given up: marked, kept
for the record, and reported as failed once, in the run that gives it up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from installer.analytics.notify.channels import SENDERS, DeliveryError, NotConfigured
from installer.analytics.notify.message import Message
from installer.analytics.notify.settings import ChannelSettings, NotifySettings
from installer.store.event_store import EventStore

KEEP_SENT = 30 * 86400  # sent and given-up messages are kept a month: "what did we send?"
# A run claims a message before delivering it, so that two runs at once (cron overlapping a
# manual check) never both send it. Longer than any delivery attempt can take.
LEASE_SECONDS = 300


def enqueue(store: EventStore, channels: list[ChannelSettings], message: Message, at: int) -> None:
    """Queue `message` for each channel (call inside the caller's transaction)."""
    body = message.to_json()
    for channel in channels:
        store.conn.execute(
            "INSERT INTO alert_outbox (created_at, channel, message) VALUES (?, ?, ?)",
            (at, channel.name, body),
        )


@dataclass
class FlushResult:
    sent: list[str] = field(default_factory=list)  # "channel: subject"
    failed: list[str] = field(default_factory=list)  # "channel: subject: reason"
    given_up: list[str] = field(default_factory=list)  # "channel: subject: last error"
    waiting: int = 0  # still in the outbox afterwards

    @property
    def ok(self) -> bool:
        return not self.failed and not self.given_up and self.waiting == 0


def _give_up_stale(store: EventStore, settings: NotifySettings, clock: int) -> list[str]:
    stale = store.conn.execute(
        "SELECT id, first_failed_at, channel, message, last_error FROM alert_outbox "
        "WHERE sent_at IS NULL AND gave_up_at IS NULL AND first_failed_at <= ? ORDER BY id",
        (clock - settings.give_up_after,),
    ).fetchall()
    given_up = []
    for row_id, first_failed_at, channel_name, body, last_error in stale:
        store.conn.execute("UPDATE alert_outbox SET gave_up_at = ? WHERE id = ?", (clock, row_id))
        subject = Message.from_json(body).subject
        age = f"failing for {(clock - first_failed_at) / 3600:.0f} h"
        given_up.append(f"{channel_name}: {subject}: {age} ({last_error})")
    return given_up


def flush(store: EventStore, settings: NotifySettings, now: int | None = None) -> FlushResult:
    clock = int(time.time()) if now is None else now
    by_name = {c.name: c for c in settings.channels}
    result = FlushResult(given_up=_give_up_stale(store, settings, clock))
    rows = store.conn.execute(
        "SELECT id, channel, message FROM alert_outbox "
        "WHERE sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ? ORDER BY id",
        (clock,),
    ).fetchall()
    for row_id, channel_name, body in rows:
        claimed = store.conn.execute(
            "UPDATE alert_outbox SET next_attempt_at = ? "
            "WHERE id = ? AND sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?",
            (clock + LEASE_SECONDS, row_id, clock),
        ).rowcount
        if claimed != 1:
            continue  # another run has it
        message = Message.from_json(body)
        channel = by_name.get(channel_name)
        try:
            if channel is None:
                raise NotConfigured(f"no channel named {channel_name!r} in the settings")
            SENDERS[channel.type](channel, message, settings.timeout)
        except (DeliveryError, NotConfigured) as exc:
            retry_after = exc.retry_after if isinstance(exc, DeliveryError) else 0
            store.conn.execute(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ?, first_failed_at = COALESCE(first_failed_at, ?) "
                "WHERE id = ?",
                (str(exc), clock + retry_after, clock, row_id),
            )
            result.failed.append(f"{channel_name}: {message.subject}: {exc}")
            continue
        store.conn.execute(
            "UPDATE alert_outbox SET sent_at = ?, attempts = attempts + 1, last_error = NULL "
            "WHERE id = ?",
            (clock, row_id),
        )
        result.sent.append(f"{channel_name}: {message.subject}")
    store.conn.execute(
        "DELETE FROM alert_outbox WHERE COALESCE(sent_at, gave_up_at) < ?",
        (clock - KEEP_SENT,),
    )
    (result.waiting,) = store.conn.execute(
        "SELECT COUNT(*) FROM alert_outbox WHERE sent_at IS NULL AND gave_up_at IS NULL"
    ).fetchone()
    return result
