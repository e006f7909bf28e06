"""Alert state across runs, each run a new process: critical at once, not again within the
repeat interval, again after it, one "resolved"; warnings in the next-business-day digest;
a failed delivery retried on the next run and sent once."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.alerts.commands import check
from installer.analytics.notify.state import digest_due
from installer.analytics.timeutil import DAY, HOUR, format_moment, parse_moment
from installer.store.event_store import EventStore
from tests.analytics.cli_run import dtu
from tests.analytics.notify_setup import WEBHOOK_ENV
from tests.helpers.alert_events import T, mixed
from tests.helpers.webhook_server import webhook_server

RULES = """
rules:
  - id: success_rate_low
    window: 6h
  - id: arch_failure_gap
notify:
  channels:
    - type: webhook
      url_env: {env}
"""


def setup(tmp_path: Path, events: list) -> tuple[str, str]:  # type: ignore[type-arg]
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(events)
    rules = tmp_path / "alerts.yaml"
    rules.write_text(RULES.format(env=WEBHOOK_ENV), encoding="utf-8")
    return str(db), str(rules)


def send_at(db: str, rules: str, at: int, url: str) -> tuple[int, str]:
    """A run as a new process: nothing carries over but the store file."""
    result = dtu(
        "analytics", "alerts", "check", "--db", db, "--rules", rules,
        "--at", format_moment(at), "--send",
        env={WEBHOOK_ENV: url},
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr


def send_in_process(db: str, rules: str, at: int, url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """A run in this process; `check` opens a new store connection every time."""
    monkeypatch.setenv(WEBHOOK_ENV, url)
    return check(db, at, as_json=True, send=True, rules_file=Path(rules))


def test_critical_repeat_interval_resolved_and_retry_across_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, rules = setup(tmp_path, mixed(T - 30 * 60, ok=2, failed=10))
    with webhook_server() as hook:
        hook.answer(500)  # the first delivery fails
        code, err = send_at(db, rules, T, hook.url)
        assert code == 1 and "FAILED webhook" in err and hook.received == []
        assert hook.url not in err
        code, err = send_at(db, rules, T + 15 * 60, hook.url)  # retried, not re-alerted
        assert code == 0, err
        assert [b["type"] for b in hook.received] == ["opened"]
        send_at(db, rules, T + 4 * HOUR - 1, hook.url)  # still within the repeat interval
        assert len(hook.received) == 1
        sent = [
            send_in_process(db, rules, at, hook.url, monkeypatch)
            for at in (
                T + 4 * HOUR,  # repeat interval over: a reminder
                T + 4 * HOUR + 900,  # not again
                T + 6 * HOUR,  # the window moved past the events: clear, resolved
                T + 6 * HOUR + 900,  # nothing more
            )
        ]
        assert sent == [0, 0, 0, 0]
        assert [b["type"] for b in hook.received] == ["opened", "reminder", "resolved"]
        assert {b["incident"]["started"] for b in hook.received} == {format_moment(T)}
        assert hook.received[-1]["incident"]["resolved"] == format_moment(T + 6 * HOUR)
        assert {b["alerts"][0]["rule"] for b in hook.received} == {"success_rate_low"}
        assert hook.attempts == 4


def test_warnings_wait_for_the_next_business_day_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    friday = parse_moment("2026-11-20T12:00:00Z")
    monday_9 = parse_moment("2026-11-23T09:00:00Z")
    events = mixed(friday - HOUR, 20, 0, arch="arm64") + mixed(friday - HOUR, 10, 10, arch="x86_64")
    assert (friday + 5 * HOUR) - (friday - HOUR) < DAY  # the gap is still in the 24 h window
    db, rules = setup(tmp_path, events)
    with webhook_server() as hook:
        send_in_process(db, rules, friday, hook.url, monkeypatch)  # fires: into the digest
        # still firing after the repeat interval: queued again, shown once
        send_in_process(db, rules, friday + 5 * HOUR, hook.url, monkeypatch)
        send_in_process(db, rules, friday + DAY, hook.url, monkeypatch)  # Saturday: resolved
        send_in_process(db, rules, monday_9 - 1, hook.url, monkeypatch)
        assert hook.received == []
        send_in_process(db, rules, monday_9, hook.url, monkeypatch)
        send_in_process(db, rules, monday_9 + 900, hook.url, monkeypatch)
        (digest,) = hook.received
        assert digest["type"] == "digest"
        # One entry per incident, its latest notice: opened Friday, reminded, resolved on
        # Saturday; counted as a resolution, not as a warning.
        assert (digest["open"], digest["resolved"]) == (0, 1)
        (item,) = digest["items"]
        assert (item["type"], item["incident"]["key"]) == ("resolved", "x86_64")
        assert item["incident"]["started"] == format_moment(friday)
        assert item["incident"]["resolved"] == format_moment(friday + DAY)


def test_digest_due_skips_the_weekend() -> None:
    friday = parse_moment("2026-11-20T18:00:00Z")
    assert format_moment(digest_due(friday, 9)) == "2026-11-23T09:00:00Z"
    tuesday = parse_moment("2026-11-24T00:00:00Z")
    assert format_moment(digest_due(tuesday, 9)) == "2026-11-25T09:00:00Z"


def test_send_without_any_channel_configured_is_a_usage_error(tmp_path: Path) -> None:
    db, rules = setup(tmp_path, mixed(T - 30 * 60, ok=2, failed=10))
    result = dtu("analytics", "alerts", "check", "--db", db, "--rules", rules, "--send")
    assert result.returncode == 2 and f"set ${WEBHOOK_ENV}" in result.stderr
