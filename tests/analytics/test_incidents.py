"""Incidents (SPEC 6, "Incidents"): the lifecycle on literal firings, and two scenarios
run as the scheduled checks run them (`check --send` every 15 minutes, a real webhook and
SMTP server) and as `backtest --incidents` on the same grid: a 6-hour outage of one
component on Apple silicon, and a 14-hour gap in the data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from installer.analytics.alerts.backtest import IncidentBacktest, backtest_incidents
from installer.analytics.alerts.commands import check
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incident_state import open_incidents
from installer.analytics.alerts.incidents import Incident, advance
from installer.analytics.alerts.load import load_config
from installer.analytics.timeutil import DAY, HOUR, format_moment
from installer.store.event_store import EventStore
from tests.analytics.cli_run import dtu
from tests.analytics.notify_setup import WEBHOOK_ENV, rules_file
from tests.helpers import incident_scenarios as sc
from tests.helpers.smtp_server import smtp_server
from tests.helpers.webhook_server import webhook_server

EVERY = 15 * 60

# --- the lifecycle on literal firings ---------------------------------------------------


def firing(at: int, key: str | None = "c") -> Firing:
    return Firing(at, "r", "new_failure_pattern", key, "critical", "s", "https://x/#r")


def run(
    fires_at: set[int], clear_at: set[int], times: range, repeat: int = 4 * HOUR
) -> tuple[list[Incident], list[tuple[str, int]]]:
    open_now: dict[tuple[str, str], Incident] = {}
    done: list[Incident] = []
    notices: list[tuple[str, int]] = []
    for at in times:
        fired = [firing(at)] if at in fires_at else []
        step = advance(
            open_now, fired, at, lambda i, t: "ok" if t in clear_at else None, {"r": repeat}
        )
        open_now = step.open
        done += step.resolved
        notices += [(n.type, n.at) for n in step.notices]
    return done + list(open_now.values()), notices


def test_open_while_firing_or_not_clear_resolve_when_both_stop() -> None:
    # fires at 1, 2; not firing and not clear at 3, 4; clear at 5 (and 2, while it fires).
    incidents, notices = run({1, 2}, {2, 5, 6}, range(0, 8))
    (incident,) = incidents
    assert (incident.started, incident.last_fired, incident.resolved) == (1, 2, 5)
    assert notices == [("opened", 1), ("resolved", 5)]


def test_firing_again_after_resolution_opens_a_new_incident() -> None:
    incidents, notices = run({1, 4}, {2, 3, 5}, range(0, 6))
    assert [(i.started, i.resolved) for i in incidents] == [(1, 2), (4, 5)]
    assert [t for t, _ in notices] == ["opened", "resolved", "opened", "resolved"]


def test_reminder_after_the_repeat_interval_while_open_even_when_not_firing() -> None:
    times = range(0, 10 * HOUR, EVERY)
    _, notices = run({0}, set(), times)
    assert notices == [("opened", 0), ("reminder", 4 * HOUR), ("reminder", 8 * HOUR)]


# --- the scenarios ----------------------------------------------------------------------


def scheduled_checks(
    db: Path, rules: Path, times: range, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv(WEBHOOK_ENV, url)
    for at in times:
        assert check(str(db), at, as_json=True, send=True, rules_file=rules) == 0


@pytest.fixture(scope="module")
def outage_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("outage") / "events.db"
    with EventStore(path) as store:
        store.insert(sc.outage())
    yield path


def by_type(received: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for body in received:
        out.setdefault(body["type"], []).append(body)
    return out


def test_six_hour_outage_is_one_incident_one_page_one_resolved(
    outage_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "events.db"
    db.write_bytes(outage_db.read_bytes())
    times = range(sc.OUTAGE_FROM - 2 * HOUR, sc.OUTAGE_TO + 6 * HOUR + 1, EVERY)
    with webhook_server() as hook, smtp_server(tmp_path) as box:
        monkeypatch.setenv("TEST_SMTP_USER", box.user)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", box.password)
        rules = rules_file(tmp_path, webhook=True, email=(box.host, box.port, box.ca_file))
        scheduled_checks(db, rules, times, monkeypatch, hook.url)
        mails = list(box.messages)
    sent = by_type(hook.received)
    (opened,) = sent["opened"]
    (resolved,) = sent["resolved"]
    incident = opened["incident"]
    assert (incident["rule"], incident["key"]) == ("new_failure_pattern", "vscode_install")
    started = resolved["incident"]["started"]
    assert started == incident["started"] == opened["at"]
    # The rule stops firing about 4 h in (the outage becomes its own baseline); the incident
    # does not end there: nothing resolves at +4 h, the reminder says it is still open.
    assert [b["at"] for b in sent["reminder"]] == [format_moment(_t(started) + 4 * HOUR)]
    assert _t(resolved["at"]) > sc.OUTAGE_TO  # only once the outage is over
    assert set(sent) == {"opened", "reminder", "resolved"}
    text = resolved["text"]
    assert f"It started at {_when(started)}, resolved at {_when(resolved['at'])}" in text
    assert "and lasted 8 h." in text
    # Where, with the healthy ones beside; the students' runs; the SHA that carries it all.
    body = opened["text"]
    assert "By architecture: arm64: " in body and "x86_64: none of" in body
    assert "(healthy: x86_64)" in body
    assert "students' installations (distinct runs) had at least one failure" in body
    assert "The failures by commit SHA: new0002 " in body and "(100.00%;" in body
    # The incident is one email thread.
    (first, *later) = [m for m in mails if "new_failure_pattern" in str(m["Subject"])]
    assert first["In-Reply-To"] is None and first["Date"] is not None
    assert {m["In-Reply-To"] for m in later} == {first["Message-ID"]}
    assert len(later) == 2
    # The same incident as the backtest decides it on the same grid.
    with EventStore(outage_db) as store:
        result = backtest_incidents(store, load_config(rules).rules, times[0], times[-1], EVERY)
    assert _spans(result) == [("new_failure_pattern", "vscode_install", started, resolved["at"])]
    with EventStore(db) as store:
        assert open_incidents(store) == []


def test_fourteen_hour_gap_is_one_no_data_incident_resolved_when_data_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(sc.gap())
    times = range(sc.GAP_FROM, sc.GAP_TO + 2 * HOUR + 1, EVERY)
    with webhook_server() as hook:
        rules = rules_file(tmp_path, webhook=True)
        scheduled_checks(db, rules, range(times[0], sc.GAP_TO, EVERY), monkeypatch, hook.url)
        with EventStore(db) as store:
            (still,) = open_incidents(store)
        assert (still.rule, still.key) == ("no_data", None)
        scheduled_checks(db, rules, range(sc.GAP_TO, times[-1] + 1, EVERY), monkeypatch, hook.url)
    sent = by_type(hook.received)
    (opened,) = sent["opened"]
    (resolved,) = sent["resolved"]
    # The last event before the gap is at 09:50; [T-6h, T) is empty from 16:00 on.
    assert opened["at"] == format_moment(sc.GAP_FROM + 6 * HOUR)
    # Data returns at 24:00; the check at 24:00 sees none in [23:00, 24:00) yet, the next
    # one (the first after data returned) resolves it.
    assert resolved["at"] == format_moment(sc.GAP_TO + EVERY)
    assert "12 installer events arrived in the last 1 h" in resolved["text"]
    assert "the newest is 2026-11-10T09:50:00Z" in opened["text"]
    with EventStore(db) as store:
        result = backtest_incidents(store, load_config(rules).rules, times[0], times[-1], EVERY)
    assert _spans(result) == [("no_data", None, opened["at"], resolved["at"])]


def _t(moment: str) -> int:
    from installer.analytics.timeutil import parse_moment

    return parse_moment(moment)


def _when(moment: str) -> str:
    from installer.analytics.notify.incident_text import when

    return when(_t(moment))


def _spans(result: IncidentBacktest) -> list[tuple[str, str | None, str, str | None]]:
    return [
        (
            i.rule,
            i.key,
            format_moment(i.started),
            None if i.resolved is None else format_moment(i.resolved),
        )
        for i in result.incidents
    ]


def test_an_incident_open_at_the_start_of_a_backtest_starts_there(outage_db: Path) -> None:
    with EventStore(outage_db) as store:
        start = sc.OUTAGE_FROM + 3 * HOUR
        rules = load_config().rules
        result = backtest_incidents(store, rules, start, start + HOUR, EVERY)
    (incident,) = result.incidents
    assert (incident.started, incident.resolved) == (start, None)
    (row,) = [r for r in result.summary() if r["rule"] == "new_failure_pattern"]
    assert (row["incidents"], row["hours_open"], row["notifications"]) == (1, 1.0, 1)


def test_data_35_days_old_is_an_open_no_data_incident_not_health(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telemetry stops for good on day 8 at 10:00 (a dead endpoint, expired pull credentials).
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(sc.traffic(10, skip=lambda ts: ts >= sc.GAP_FROM))
    rules = rules_file(tmp_path, webhook=True)
    with webhook_server() as hook:
        late = sc.GAP_FROM + 35 * DAY
        scheduled_checks(
            db, rules, range(sc.GAP_FROM + 6 * HOUR, late, 5 * DAY), monkeypatch, hook.url
        )
        # 35 days on, the same hours a week before are empty too: the rule no longer fires,
        # but nothing has arrived in the last hour, so the incident is still open.
        with EventStore(db) as store:
            (still,) = open_incidents(store)
        assert (still.rule, format_moment(still.started)) == ("no_data", "2026-11-10T16:00:00Z")
        assert [b["type"] for b in hook.received] == ["opened"] + ["reminder"] * 6
        result = dtu("analytics", "alerts", "check", "--db", str(db), "--at", format_moment(late))
    assert result.stdout.splitlines() == [
        f"no alerts firing at {format_moment(late)}",
        "incident open: no_data since 2026-11-10T16:00:00Z (34 d 18 h), last fired "
        "2026-11-15T16:00:00Z",
        "newest event in scope: 2026-11-10T09:50:00Z (840.17 h before T)",
    ]


def test_summary_counts_pages_only_for_critical_rules() -> None:
    from installer.analytics.alerts.incidents import Notice

    crit = Incident("r", "k", None, "critical", 0, 0, firing(0, None), resolved=2 * HOUR)
    warn = Incident("w", "k", None, "warning", 0, 0, firing(0, None), resolved=HOUR)
    result = IncidentBacktest(
        2 * HOUR,
        incidents=[crit, warn],
        notices=[
            Notice("opened", 0, crit),
            Notice("resolved", 2 * HOUR, crit),
            Notice("opened", 0, warn),
            Notice("resolved", HOUR, warn),
        ],
        severities={"r": "critical", "w": "warning"},
    )
    rows = {row["rule"]: row for row in result.summary()}
    assert (rows["r"]["notifications"], rows["r"]["pages"], rows["r"]["hours_open"]) == (2, 2, 2.0)
    assert (rows["w"]["notifications"], rows["w"]["pages"], rows["w"]["hours_open"]) == (2, 0, 1.0)
    assert rows["w"]["resolved_notifications"] == 1
