"""Snapshots of what on-call receives for one incident (opened, reminder, resolved) and for
a warnings digest, on each channel: the Slack body, the JSON webhook body, and the email
(its headers, thread headers included, and its plain text). Made by real scheduled checks
(`check --send` every 15 minutes over the 6-hour outage) against local servers.

After an intended change of the messages: `UPDATE_SNAPSHOTS=1 .venv/bin/pytest
tests/analytics/test_notify_snapshots.py`, then review the diff of tests/analytics/snapshots/.
"""

from __future__ import annotations

import json
import os
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from installer.analytics.alerts.commands import check
from installer.analytics.timeutil import DAY, HOUR, parse_moment
from installer.store.event_store import EventStore
from tests.analytics.notify_setup import SLACK_ENV, WEBHOOK_ENV
from tests.helpers import incident_scenarios as sc
from tests.helpers.smtp_server import smtp_server
from tests.helpers.webhook_server import webhook_server

SNAPSHOTS = Path(__file__).parent / "snapshots"
EMAIL_HEADERS = ("Subject", "From", "To", "Date", "Message-ID", "In-Reply-To", "References")

RULES = """
dashboard_url: https://dashboard.example.org/
rules:
  - id: new_failure_pattern
  - id: new_failure_digest
    kind: new_failure_pattern
    severity: warning
  - id: arch_failure_gap           # still open when the digest goes out
    gap_more_than: 2
    clear_gap_at_most: 1
notify:
  channels:
    - type: slack
      webhook_url_env: {slack}
    - type: webhook
      url_env: {webhook}
    - type: email
      host: {host}
      port: {port}
      ca_file: {ca}
      from: alerts@example.org
      to: [oncall@example.org]
      username_env: TEST_SMTP_USER
      password_env: TEST_SMTP_PASSWORD
"""


def email_view(mail: EmailMessage) -> dict[str, Any]:
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    return {
        "headers": {name: mail[name] for name in EMAIL_HEADERS if mail[name] is not None},
        "text": text.get_content().splitlines(),
    }


def compare(name: str, actual: Any) -> None:
    path = SNAPSHOTS / f"{name}.json"
    rendered = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert rendered == path.read_text(encoding="utf-8"), f"{path.name} differs"


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    tmp = tmp_path_factory.mktemp("snapshots")
    db = tmp / "events.db"
    with EventStore(db) as store:
        store.insert(sc.outage())
    mp = pytest.MonkeyPatch()
    try:
        with webhook_server() as slack, webhook_server() as hook, smtp_server(tmp) as box:
            rules = tmp / "alerts.yaml"
            rules.write_text(
                RULES.format(
                    slack=SLACK_ENV, webhook=WEBHOOK_ENV, host=box.host, port=box.port,
                    ca=box.ca_file,
                ),
                encoding="utf-8",
            )  # fmt: skip
            mp.setenv(SLACK_ENV, slack.url)
            mp.setenv(WEBHOOK_ENV, hook.url)
            mp.setenv("TEST_SMTP_USER", box.user)
            mp.setenv("TEST_SMTP_PASSWORD", box.password)
            times = [*range(sc.OUTAGE_FROM, sc.OUTAGE_TO + 4 * HOUR + 1, 15 * 60)]
            # The outage is on a Tuesday: the digest goes out on Wednesday at 09:00.
            times.append(sc.OUTAGE_FROM - 10 * HOUR + DAY + 9 * HOUR)
            for at in times:
                assert check(str(db), at, as_json=True, send=True, rules_file=rules) == 0
            return {
                "slack": list(slack.received),
                "webhook": list(hook.received),
                "email": [email_view(m) for m in box.messages],
            }
    finally:
        mp.undo()


TYPES = ("opened", "reminder", "resolved", "digest")


def test_one_message_of_each_kind_per_channel(received: dict[str, list[Any]]) -> None:
    assert [b["type"] for b in received["webhook"]] == list(TYPES)
    assert len(received["slack"]) == len(received["email"]) == len(TYPES)


@pytest.mark.parametrize("channel", ["slack", "webhook", "email"])
@pytest.mark.parametrize("index", range(len(TYPES)), ids=TYPES)
def test_snapshot(received: dict[str, list[Any]], channel: str, index: int) -> None:
    compare(f"{channel}_{TYPES[index]}", received[channel][index])


def test_an_incident_is_one_email_thread(received: dict[str, list[Any]]) -> None:
    opened, reminder, resolved, digest = (m["headers"] for m in received["email"])
    assert "In-Reply-To" not in opened and "In-Reply-To" not in digest
    assert reminder["In-Reply-To"] == resolved["In-Reply-To"] == opened["Message-ID"]
    assert reminder["References"] == opened["Message-ID"]
    ids = {m["headers"]["Message-ID"] for m in received["email"]}
    assert len(ids) == 4 and all(i.endswith("@example.org>") for i in ids)
    dates = [parsedate_to_datetime(m["headers"]["Date"]) for m in received["email"]]
    assert [d.timestamp() for d in dates[:3]] == [
        parse_moment(b["at"]) for b in received["webhook"][:3]
    ]  # the moment of the check that decided it
