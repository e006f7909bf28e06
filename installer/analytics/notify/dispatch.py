"""`--send`: from firings (or a report) to delivered messages, through state and outbox."""

from __future__ import annotations

from dataclasses import dataclass, field

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incidents import Step
from installer.analytics.alerts.load import AlertsConfig
from installer.analytics.notify.channels import is_configured
from installer.analytics.notify.message import Message
from installer.analytics.notify.outbox import FlushResult, enqueue, flush
from installer.analytics.notify.settings import ChannelSettings, NotifySettings
from installer.analytics.notify.state import advance
from installer.analytics.query import refresh_rollup
from installer.analytics.timeutil import format_moment
from installer.errors import UsageError
from installer.store.event_store import EventStore
from installer.store.sqlite_tx import rollback


@dataclass
class DispatchOutcome:
    queued: int = 0
    skipped_channels: list[str] = field(default_factory=list)
    flushed: FlushResult = field(default_factory=FlushResult)
    already_sent: str = ""  # why nothing was queued (a report sent before for the same T)

    @property
    def ok(self) -> bool:
        return self.flushed.ok

    def lines(self) -> list[str]:
        out = [f"notify: channel {name} skipped (not configured)" for name in self.skipped_channels]
        if self.already_sent:
            out.append(f"notify: {self.already_sent}")
        out += [f"notify: sent to {s}" for s in self.flushed.sent]
        out += [f"notify: FAILED {s} (will retry on the next run)" for s in self.flushed.failed]
        out += [f"notify: GAVE UP on {s}; no more retries" for s in self.flushed.given_up]
        if self.flushed.waiting and not self.flushed.failed:
            out.append(f"notify: {self.flushed.waiting} message(s) waiting for a later retry")
        return out


def active_channels(settings: NotifySettings) -> tuple[list[ChannelSettings], list[str]]:
    active = [c for c in settings.channels if is_configured(c)]
    skipped = [c.name for c in settings.channels if c not in active]
    if not active:
        names = ", ".join(
            f"${v}" for c in settings.channels for k, v in c.options.items() if k.endswith("_env")
        )
        raise UsageError(
            "--send: no notification channel is configured"
            + (f"; set {names}" if names else "; add channels under `notify:` in the rules file")
        )
    return active, skipped


def dispatch_alerts(
    store: EventStore, config: AlertsConfig, at: int
) -> tuple[list[Firing], Step, DispatchOutcome]:
    """A scheduled check: decide T's incidents, store them and queue their notices in one
    transaction, then deliver."""
    channels, skipped = active_channels(config.notify)
    # The rules read through the daily rollup; folding it needs its own transaction, which
    # cannot start inside ours, so fold first (else every window is counted from events).
    refresh_rollup(store)
    store.conn.execute("BEGIN IMMEDIATE")
    try:
        firings, step, messages = advance(store, config, at)
        for message in messages:
            enqueue(store, channels, message, at)
        store.conn.execute("COMMIT")
    except BaseException:
        rollback(store.conn)  # SQLite may have undone it itself (disk full)
        raise
    return firings, step, DispatchOutcome(len(messages), skipped, flush(store, config.notify))


def dispatch_message(
    store: EventStore,
    settings: NotifySettings,
    message: Message,
    at: int,
    *,
    once: str | None = None,
) -> DispatchOutcome:
    """Queue `message` and deliver. `once`: a name (a report and its T) queued at most once
    ever: a second `report weekly --send --at T` sends nothing and says so."""
    channels, skipped = active_channels(settings)
    store.conn.execute("BEGIN IMMEDIATE")
    try:
        if once is not None:
            done = store.get_meta(f"sent.{once}")
            if done is not None:
                store.conn.execute("COMMIT")
                outcome = DispatchOutcome(0, skipped, flush(store, settings))
                outcome.already_sent = f"{once} was already queued at {done}; not sent again"
                return outcome
            store.set_meta(f"sent.{once}", format_moment(at))
        enqueue(store, channels, message, at)
        store.conn.execute("COMMIT")
    except BaseException:
        rollback(store.conn)  # SQLite may have undone it itself (disk full)
        raise
    return DispatchOutcome(1, skipped, flush(store, settings))
