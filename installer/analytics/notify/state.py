"""A scheduled check's notices, from the incidents it decides (SPEC 6, "Incidents"):
critical ones as messages now, warnings into the next-business-day digest.

`advance` runs inside the caller's transaction: it reads the open incidents stored by the
previous check, decides T (`alerts.decide`, the same code as `backtest --incidents`),
stores the incidents and returns the messages due now. Times here are T (`--at`), so the
repeat interval and the digest behave the same in a replay as live.
"""

from __future__ import annotations

import time

from installer.analytics.alerts.decide import decide
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.impact import impact
from installer.analytics.alerts.incident_state import check_order, load_open, save
from installer.analytics.alerts.incidents import Notice, Step
from installer.analytics.alerts.load import AlertsConfig
from installer.analytics.alerts.rules import CRITICAL
from installer.analytics.notify.incident_text import notice_text
from installer.analytics.notify.message import (
    DigestItem,
    Links,
    Message,
    digest_message,
    incident_message,
)
from installer.analytics.query import Scope
from installer.analytics.timeutil import DAY, HOUR
from installer.store.event_store import EventStore

BUSINESS_DAYS = frozenset(range(5))  # Monday..Friday (time.gmtime().tm_wday)


def digest_due(created_at: int, digest_hour: int) -> int:
    """The next business day after `created_at`, at `digest_hour` UTC."""
    day = created_at - created_at % DAY + DAY
    while time.gmtime(day).tm_wday not in BUSINESS_DAYS:
        day += DAY
    return day + digest_hour * HOUR


def advance(
    store: EventStore, config: AlertsConfig, at: int
) -> tuple[list[Firing], Step, list[Message]]:
    """Decide T from the stored incidents; store the result; the messages due now."""
    check_order(store, at)
    rules = config.rules
    firings, step = decide(store, rules, load_open(store), at)
    save(store, step, at)
    by_id = {rule.id: rule for rule in rules.rules}
    scope = Scope(rules.categories)
    messages: list[Message] = []
    for notice in step.notices:
        rule = by_id.get(notice.incident.rule)
        found = impact(store, rule, notice.incident, at, scope) if rule is not None else None
        text = notice_text(notice, found)
        links = Links(notice.incident.firing.runbook, rules.dashboard_url)
        if notice.incident.severity == CRITICAL:
            messages.append(incident_message(notice, text, links))
        else:
            item = DigestItem(notice.type, text.headline, text.lines, links.runbook, _ident(notice))
            store.conn.execute(
                "INSERT INTO alert_digest (created_at, item) VALUES (?, ?)", (at, item.to_json())
            )
    digest = _digest_if_due(store, at, config.notify.digest_hour, rules.dashboard_url)
    if digest is not None:
        messages.append(digest)
    return firings, step, messages


def _ident(notice: Notice) -> dict[str, object]:
    return notice.incident.serialize(notice.at)


def _digest_if_due(
    store: EventStore, at: int, digest_hour: int, dashboard: str | None
) -> Message | None:
    (oldest,) = store.conn.execute("SELECT MIN(created_at) FROM alert_digest").fetchone()
    if oldest is None or at < digest_due(int(oldest), digest_hour):
        return None
    # One entry per incident, its latest notice, in order of first appearance: an incident
    # that opened and resolved since the last digest shows as resolved (with its start).
    items: dict[tuple[object, object, object], DigestItem] = {}
    for (body,) in store.conn.execute("SELECT item FROM alert_digest ORDER BY id").fetchall():
        item = DigestItem.from_json(body)
        ident = (item.incident.get("rule"), item.incident.get("key"), item.incident.get("started"))
        items.pop(ident, None)
        items[ident] = item
    store.conn.execute("DELETE FROM alert_digest")
    return digest_message(list(items.values()), at, dashboard)
