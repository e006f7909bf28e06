"""`report ... --send`: the report goes through the outbox to the configured channels."""

from __future__ import annotations

from pathlib import Path

from installer.store.event_store import EventStore
from tests.analytics.cli_run import dtu
from tests.analytics.notify_setup import SLACK_ENV, WEBHOOK_ENV, rules_file
from tests.helpers.alert_events import T, mixed
from tests.helpers.smtp_server import smtp_server
from tests.helpers.webhook_server import webhook_server


def test_weekly_report_to_webhook_slack_and_email(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(mixed(T - 3600, 3, 1, "vscode_install"))
    with webhook_server() as hook, webhook_server() as slack, smtp_server(tmp_path) as box:
        rules = rules_file(
            tmp_path, slack=True, webhook=True, email=(box.host, box.port, box.ca_file)
        )
        env = {
            WEBHOOK_ENV: hook.url,
            SLACK_ENV: slack.url,
            "TEST_SMTP_USER": box.user,
            "TEST_SMTP_PASSWORD": box.password,
        }
        result = dtu(
            "analytics", "report", "weekly", "--db", str(db), "--at", "2026-11-23T12:00:00Z",
            "--send", "--rules", str(rules), env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert box.password not in result.stdout + result.stderr
        (body,) = hook.received
        assert (body["type"], body["report"]) == ("report", "weekly")
        assert body["installations"]["this_week"] == 4
        (posted,) = slack.received
        assert "vscode_install" in posted["text"] and posted["blocks"][0]["type"] == "header"
        (mail,) = box.messages
        assert mail["Subject"].startswith("dtu-install weekly report")
        html = mail.get_body(preferencelist=("html",))
        assert html is not None and "<td>vscode_install</td>" in html.get_content()


def test_a_report_is_sent_once_per_report_and_t(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(mixed(T - 3600, 3, 1, "vscode_install"))
    with webhook_server() as hook:
        rules = rules_file(tmp_path, webhook=True)

        def send(at: str) -> str:
            result = dtu(
                "analytics", "report", "weekly", "--db", str(db), "--at", at,
                "--send", "--rules", str(rules), env={WEBHOOK_ENV: hook.url},
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            return result.stderr

        send("2026-11-23T12:00:00Z")
        again = send("2026-11-23T12:00:00Z")
        assert "report weekly for 2026-11-23T12:00:00Z was already queued" in again
        assert len(hook.received) == 1
        send("2026-11-30T12:00:00Z")  # another T: another report
        assert [b["report"] for b in hook.received] == ["weekly", "weekly"]


def test_a_segment_of_a_report_is_another_report(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(mixed(T - 3600, 3, 1, "vscode_install"))
    with webhook_server() as hook:
        rules = rules_file(tmp_path, webhook=True)

        def send(*segment: str) -> str:
            result = dtu(
                "analytics", "report", "weekly", "--db", str(db), "--at", "2026-11-23T12:00:00Z",
                *segment, "--send", "--rules", str(rules), env={WEBHOOK_ENV: hook.url},
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            return result.stderr

        send()
        assert "already queued" not in send("--arch", "x86_64")  # the x86_64 segment: new
        assert "already queued" in send("--arch", "x86_64")  # ... and sent once too
        assert len(hook.received) == 2
