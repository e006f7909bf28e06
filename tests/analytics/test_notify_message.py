"""Alert messages as their readers get them: event text from the network cannot break the
email or the Slack message, and the context reads as numbers, not Python values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.load import load_config
from installer.analytics.notify.dispatch import dispatch_message
from installer.analytics.notify.message import (
    DigestItem,
    alert_message,
    digest_message,
    report_message,
)
from installer.store.event_store import EventStore
from tests.analytics.notify_setup import rules_file
from tests.helpers.alert_events import T
from tests.helpers.smtp_server import smtp_server

RUNBOOK = "https://example.org/docs/runbook.md#new_failure_pattern"


def firing(component: str, **context: Any) -> Firing:
    return Firing(
        at=T,
        rule="new_failure_pattern",
        kind="new_failure_pattern",
        key=component,
        severity="critical",
        summary=f"{component}: success rate 40.00% in the last 4 h, was 100.00% before",
        runbook=RUNBOOK,
        context={"component": component, **context},
    )


def test_a_line_break_in_a_component_name_does_not_stop_the_email(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = alert_message(firing("vscode\r\ninstall"))
    assert "\n" not in message.subject and "\r" not in message.subject
    with smtp_server(tmp_path) as box, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv("TEST_SMTP_USER", box.user)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", box.password)
        config = load_config(rules_file(tmp_path, email=(box.host, box.port, box.ca_file)))
        outcome = dispatch_message(store, config.notify, message, T)
        assert outcome.ok, outcome.lines()
        (mail,) = box.messages
        assert mail["Subject"].startswith("[CRITICAL] OPENED: new_failure_pattern [vscode install]")


def _slack_text(blocks: object) -> str:
    assert isinstance(blocks, (list, tuple))
    return "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")


def test_slack_shows_event_text_instead_of_reading_it_as_mentions_or_links() -> None:
    evil = "<!channel> <https://evil.example|runbook> a&b"
    alert = _slack_text(alert_message(firing(evil)).blocks)
    item = DigestItem("opened", f"[WARNING] OPENED: x [{evil}]", (evil,), RUNBOOK, {})
    digest = _slack_text(digest_message([item], T).blocks)
    for text in (alert, digest):
        assert "<!channel>" not in text and "<https://evil" not in text
        assert "&lt;!channel&gt; &lt;https://evil.example|runbook&gt; a&amp;b" in text
    assert f"<{RUNBOOK}|runbook>" in digest  # our own link is still a link
    report = _slack_text(report_message("weekly", "weekly", f"{evil}\n", "", {}, T).blocks)
    assert "<!channel>" not in report and "&lt;!channel&gt;" in report


def test_a_notice_reads_as_sentences_not_key_values() -> None:
    message = alert_message(firing("vscode_install", before={"success_rate": None}))
    for body in (message.text, _slack_text(message.blocks)):
        assert "=" not in body.split("Runbook:")[0]
        assert "None" not in body and "{" not in body
        assert "It opened at 2026-11-23 12:00 UTC" in body
