"""Each channel against a real local server: SMTP with STARTTLS and AUTH (aiosmtpd),
Slack and a JSON webhook over HTTP including 429 and 500 answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.load import load_config
from installer.analytics.notify.dispatch import dispatch_message
from installer.analytics.notify.message import alert_message
from installer.store.event_store import EventStore
from tests.analytics.notify_setup import SLACK_ENV, WEBHOOK_ENV, rules_file
from tests.helpers.alert_events import T
from tests.helpers.smtp_server import smtp_server
from tests.helpers.webhook_server import webhook_server

FIRING = Firing(
    at=T,
    rule="success_rate_low",
    kind="success_rate_low",
    key=None,
    severity="critical",
    summary="success rate 50.00% over 12 events (below 75.00%)",
    runbook="https://example.org/docs/runbook.md#success_rate_low",
    context={"top_failing_components": [{"component": "vscode_install", "failures": 6}]},
)


def outbox(store: EventStore) -> list[tuple[int, str | None, int | None]]:
    return store.conn.execute(
        "SELECT attempts, last_error, sent_at FROM alert_outbox ORDER BY id"
    ).fetchall()


def test_email_is_delivered_with_starttls_auth_text_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server(tmp_path) as box, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv("TEST_SMTP_USER", box.user)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", box.password)
        config = load_config(rules_file(tmp_path, email=(box.host, box.port, box.ca_file)))
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert outcome.ok, outcome.lines()
        (mail,) = box.messages
        assert box.envelopes == [("alerts@example.org", ["oncall@example.org", "team@example.org"])]
        assert mail["Subject"].startswith("[CRITICAL] OPENED: success_rate_low")
        text = mail.get_body(preferencelist=("plain",))
        html = mail.get_body(preferencelist=("html",))
        assert text is not None and html is not None
        assert "Runbook: https://example.org/docs/runbook.md#success_rate_low" in text.get_content()
        assert 'href="https://example.org/docs/runbook.md#success_rate_low"' in html.get_content()
        assert "It opened at 2026-11-23 12:00 UTC" in html.get_content()
        assert box.password not in " ".join(outcome.lines()) + capsys.readouterr().err


def test_email_with_a_wrong_password_stays_in_the_outbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path) as box, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv("TEST_SMTP_USER", box.user)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-password")
        config = load_config(rules_file(tmp_path, email=(box.host, box.port, box.ca_file)))
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert not outcome.ok and box.messages == []
        assert outbox(store) == [(1, "the SMTP server refused the credentials", None)]
        assert "wrong-password" not in " ".join(outcome.lines())


def test_a_non_ascii_password_is_a_failed_delivery_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server(tmp_path) as box, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv("TEST_SMTP_USER", box.user)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "pässwörd")  # smtplib sends AUTH as ASCII
        config = load_config(rules_file(tmp_path, email=(box.host, box.port, box.ca_file)))
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert not outcome.ok and box.messages == []
        assert outbox(store) == [(1, "could not deliver by SMTP (UnicodeEncodeError)", None)]


def test_slack_blocks_and_text_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with webhook_server() as slack, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv(SLACK_ENV, slack.url)
        config = load_config(rules_file(tmp_path, slack=True))
        assert dispatch_message(store, config.notify, alert_message(FIRING), T).ok
        (body,) = slack.received
        assert body["text"].startswith("[CRITICAL] OPENED: success_rate_low")
        types = [b["type"] for b in body["blocks"]]
        assert types == ["header", "section", "context"]
        assert "runbook.md#success_rate_low|runbook" in body["blocks"][2]["elements"][0]["text"]


def test_a_long_slack_digest_shows_every_warning_and_runbook_link() -> None:
    from dataclasses import replace

    from installer.analytics.notify.message import SLACK_TEXT_LIMIT, DigestItem, digest_message

    warnings = [
        replace(FIRING, rule="commit_regression", kind="commit_regression", key=f"sha{i:04d}",
                severity="warning", runbook="https://example.org/runbook.md#commit_regression")
        for i in range(40)
    ]  # fmt: skip
    items = [
        DigestItem("opened", f"[WARNING] OPENED: {f.rule} [{f.key}]", (f.summary,), f.runbook, {})
        for f in warnings
    ]
    blocks = digest_message(items, T).blocks
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(blocks) <= 50 and all(len(t) <= SLACK_TEXT_LIMIT for t in sections)
    shown = "\n".join(sections)
    assert all(f"[sha{i:04d}]" in shown for i in range(40))  # the last ones were cut off
    assert shown.count("runbook.md#commit_regression|runbook") == 40


def test_slack_429_waits_for_retry_after_then_sends_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from installer.analytics.notify.outbox import flush

    with webhook_server() as slack, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv(SLACK_ENV, slack.url)
        slack.answer(429, retry_after="30")
        config = load_config(rules_file(tmp_path, slack=True))
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert not outcome.ok and slack.received == []
        assert "HTTP 429" in outcome.flushed.failed[0]
        assert slack.url not in " ".join(outcome.lines())  # the URL is a secret
        (row,) = store.conn.execute("SELECT next_attempt_at FROM alert_outbox").fetchall()
        assert flush(store, config.notify, now=row[0] - 1).sent == []  # too early: not tried
        assert slack.attempts == 1
        assert flush(store, config.notify, now=row[0]).sent != []
        assert flush(store, config.notify, now=row[0] + 60).sent == []  # never twice
        assert len(slack.received) == 1


def test_webhook_500_is_retried_on_the_next_run_and_sent_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from installer.analytics.notify.outbox import flush

    with webhook_server("/alerts") as hook:
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        hook.answer(500)
        config = load_config(rules_file(tmp_path, webhook=True))
        with EventStore(tmp_path / "e.db") as store:
            assert not dispatch_message(store, config.notify, alert_message(FIRING), T).ok
        with EventStore(tmp_path / "e.db") as store:  # a new process, a new connection
            assert flush(store, config.notify).ok
            assert flush(store, config.notify).sent == []
            assert [a for a, _, _ in outbox(store)] == [2]
        (body,) = hook.received
        assert body["type"] == "opened" and body["alerts"][0]["rule"] == "success_rate_low"
        assert body["alerts"][0]["runbook"].endswith("#success_rate_low")


def test_unreachable_webhook_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WEBHOOK_ENV, "http://127.0.0.1:9/secret-path")  # discard port: refused
    config = load_config(rules_file(tmp_path, webhook=True))
    with EventStore(tmp_path / "e.db") as store:
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert not outcome.ok
        assert "secret-path" not in " ".join(outcome.lines())
        assert outbox(store)[0][2] is None


def test_a_malformed_webhook_url_is_a_failed_delivery_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # urllib3 raises LocationParseError (a ValueError, not a RequestException) for this host.
    monkeypatch.setenv(SLACK_ENV, "https://hooks..invalid/services/T0/B0/secret-token")
    config = load_config(rules_file(tmp_path, slack=True))
    with EventStore(tmp_path / "e.db") as store:
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert not outcome.ok
        assert "could not reach the webhook (LocationParseError)" in outcome.flushed.failed[0]
        assert "secret-token" not in " ".join(outcome.lines()) and "hooks.." not in str(
            outbox(store)
        )
        assert outbox(store)[0][2] is None  # kept for the next run


def test_two_runs_at_once_send_a_message_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from installer.analytics.notify.outbox import enqueue, flush

    with webhook_server() as hook:
        hook.delay = 0.5  # both runs are inside flush() at the same time
        monkeypatch.setenv(WEBHOOK_ENV, hook.url)
        config = load_config(rules_file(tmp_path, webhook=True))
        with EventStore(tmp_path / "e.db") as store:
            enqueue(store, list(config.notify.channels), alert_message(FIRING), T)

        def run() -> None:
            with EventStore(tmp_path / "e.db") as store:
                flush(store, config.notify)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert hook.attempts == 1 and len(hook.received) == 1


def test_a_message_undelivered_for_give_up_after_is_given_up_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: a message whose channel kept refusing (or was removed) was retried, and failed
    # the scheduled run with exit 1, forever; and could arrive days late.
    from installer.analytics.notify.dispatch import DispatchOutcome
    from installer.analytics.notify.outbox import flush
    from installer.analytics.notify.settings import DEFAULT_GIVE_UP_AFTER

    monkeypatch.setenv(WEBHOOK_ENV, "http://127.0.0.1:9/secret-path")  # refused, every time
    config = load_config(rules_file(tmp_path, webhook=True))
    with EventStore(tmp_path / "e.db") as store:
        from installer.analytics.notify.outbox import enqueue

        enqueue(store, list(config.notify.channels), alert_message(FIRING), T)
        first = flush(store, config.notify, now=T)  # the first failed attempt
        assert first.failed != [] and first.given_up == []
        just_before = flush(store, config.notify, now=T + DEFAULT_GIVE_UP_AFTER - 1)
        assert just_before.given_up == [] and just_before.failed != []
    with EventStore(tmp_path / "e.db") as store:  # a later run, a new connection
        due = flush(store, config.notify, now=T + DEFAULT_GIVE_UP_AFTER)
        assert not due.ok and due.failed == [] and due.waiting == 0
        (line,) = due.given_up
        assert line.startswith("webhook: ") and "failing for 72 h" in line
        assert "secret-path" not in line
        assert "GAVE UP on webhook: " in " ".join(DispatchOutcome(flushed=due).lines())
        after = flush(store, config.notify, now=T + DEFAULT_GIVE_UP_AFTER + 900)
        assert after.ok and after.given_up == [] and after.failed == []
        (kept,) = store.conn.execute("SELECT gave_up_at, sent_at FROM alert_outbox").fetchall()
        assert kept == (T + DEFAULT_GIVE_UP_AFTER, None)


def test_slack_notification_text_is_escaped_like_the_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The top-level `text` is what the Slack notification shows; unescaped, a component
    # named `<!channel>` (event names come from the network) notified the whole channel.
    evil = Firing(**{**vars(FIRING), "key": "<!channel>", "summary": "a <!here> & b"})
    with webhook_server() as slack, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv(SLACK_ENV, slack.url)
        config = load_config(rules_file(tmp_path, slack=True))
        assert dispatch_message(store, config.notify, alert_message(evil), T).ok
        (body,) = slack.received
        assert "<!" not in body["text"]
        assert "&lt;!channel&gt;" in body["text"] and "&amp;" in body["text"]


def test_slack_503_with_an_http_date_retry_after_waits_until_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one Retry-After parser (installer/common/retry.py) reads the HTTP-date form too;
    # the webhook's own parser took only delta seconds and retried at once.
    import email.utils
    import time

    with webhook_server() as slack, EventStore(tmp_path / "e.db") as store:
        monkeypatch.setenv(SLACK_ENV, slack.url)
        slack.answer(503, retry_after=email.utils.formatdate(time.time() + 600, usegmt=True))
        config = load_config(rules_file(tmp_path, slack=True))
        outcome = dispatch_message(store, config.notify, alert_message(FIRING), T)
        assert not outcome.ok and "HTTP 503" in outcome.flushed.failed[0]
        (row,) = store.conn.execute("SELECT next_attempt_at FROM alert_outbox").fetchall()
        assert 540 <= row[0] - time.time() <= 600  # the outbox's clock is the real one
