"""`analytics alerts check|backtest` as users run them: a subprocess, a real store file."""

from __future__ import annotations

import json
from pathlib import Path

from installer.analytics.timeutil import HOUR
from installer.store.event_store import EventStore
from tests.analytics.cli_run import dtu
from tests.helpers.alert_events import T, mixed

AT = "2026-11-23T12:00:00Z"  # == T


def make_db(tmp_path: Path) -> Path:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(mixed(T - HOUR, ok=5, failed=25))  # success_rate_low + high_failure_volume
    return db


def test_check_json_contract(tmp_path: Path) -> None:
    result = dtu(
        "analytics", "alerts", "check", "--db", str(make_db(tmp_path)), "--at", AT, "--json"
    )
    assert result.returncode == 0, result.stderr
    firings = json.loads(result.stdout)
    assert [(f["at"], f["rule"], f["key"], f["severity"]) for f in firings] == [
        (AT, "success_rate_low", None, "critical"),
        (AT, "high_failure_volume", None, "critical"),
    ]
    assert firings[0]["context"]["top_failing_components"][0]["component"] == "homebrew_install"
    assert firings[0]["runbook"].endswith("docs/runbook.md#success_rate_low")


def test_check_text_and_nothing_firing(tmp_path: Path) -> None:
    db = str(make_db(tmp_path))
    fired = dtu("analytics", "alerts", "check", "--db", db, "--at", AT)
    assert "CRITICAL  success_rate_low" in fired.stdout and fired.returncode == 0
    quiet = dtu("analytics", "alerts", "check", "--db", db, "--at", "2026-11-25T12:00:00Z")
    assert quiet.stdout.splitlines() == [
        "no alerts firing at 2026-11-25T12:00:00Z",
        "newest event in scope: 2026-11-23T11:00:00Z (49.00 h before T)",
    ]


def test_backtest_includes_both_ends(tmp_path: Path) -> None:
    db = str(make_db(tmp_path))
    # high_failure_volume fires for T in (T-1h+.., T-1h+1h] = (11:00, 12:00]: at 11:15..12:00.
    result = dtu(
        "analytics", "alerts", "backtest", "--db", db, "--json",
        "--from", "2026-11-23T10:00:00Z", "--to", "2026-11-23T11:30:00Z", "--every", "15m",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    volume = [f["at"] for f in json.loads(result.stdout) if f["rule"] == "high_failure_volume"]
    assert volume == ["2026-11-23T11:15:00Z", "2026-11-23T11:30:00Z"]


def test_bad_moment_and_bad_step_are_usage_errors(tmp_path: Path) -> None:
    db = str(make_db(tmp_path))
    bad_at = dtu("analytics", "alerts", "check", "--db", db, "--at", "yesterday")
    assert bad_at.returncode == 2 and "--at: 'yesterday'" in bad_at.stderr
    bad_every = dtu(
        "analytics", "alerts", "backtest", "--db", db,
        "--from", AT, "--to", AT, "--every", "soon",
    )  # fmt: skip
    assert bad_every.returncode == 2 and "--every" in bad_every.stderr
    backwards = dtu(
        "analytics", "alerts", "backtest", "--db", db,
        "--from", AT, "--to", "2026-11-22T00:00:00Z",
    )  # fmt: skip
    assert backwards.returncode == 2 and "--to" in backwards.stderr
    assert "Traceback" not in bad_at.stderr + bad_every.stderr + backwards.stderr


def test_bad_rules_file_gives_file_line_errors(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: success_rate_low\n"
        "    window: soon\n"
        "    success_rate_below: 175\n"
        "  - id: made_up\n"
        "  - id: arch_failure_gap\n"
        "    severity: loud\n"
        "    gap_more_then: 3\n",
        encoding="utf-8",
    )
    result = dtu(
        "analytics", "alerts", "check", "--db", str(make_db(tmp_path)), "--rules", str(rules)
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    for expected in (
        "3:13: rules[0].window: expected a duration",
        "4:25: rules[0].success_rate_below: must be at most 100",
        "5:9: rules[1].kind: unknown rule kind 'made_up'",
        "7:15: rules[2].severity: 'loud' is not one of critical, warning",
        "8:5: rules[2].gap_more_then: unknown key (did you mean 'gap_more_than'?)",
    ):
        assert any(f"{rules}:{expected}" in line for line in lines), expected


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text("rules: [\n  - id: x\n", encoding="utf-8")
    result = dtu(
        "analytics", "alerts", "check", "--db", str(make_db(tmp_path)), "--rules", str(rules)
    )
    assert (
        result.returncode == 2
        and f"{rules}:" in result.stderr
        and "malformed YAML" in result.stderr
    )


def test_edited_threshold_changes_what_fires(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(
        "rules:\n  - id: high_failure_volume\n    failures_more_than: 25\n"
        "  - id: volume_strict\n    kind: high_failure_volume\n    severity: warning\n"
        "    failures_more_than: 24\n",
        encoding="utf-8",
    )
    result = dtu(
        "analytics", "alerts", "check", "--db", str(make_db(tmp_path)),
        "--rules", str(rules), "--at", AT, "--json",
    )  # fmt: skip
    assert [(f["rule"], f["severity"]) for f in json.loads(result.stdout)] == [
        ("volume_strict", "warning")
    ]


def outage_db(tmp_path: Path) -> Path:
    from tests.helpers import incident_scenarios as sc

    db = tmp_path / "outage.db"
    with EventStore(db) as store:
        store.insert(sc.outage())
    return db


def test_backtest_incidents_json_and_terminal(tmp_path: Path) -> None:
    db = str(outage_db(tmp_path))
    window = ("--from", "2026-11-10T08:00:00Z", "--to", "2026-11-10T22:00:00Z", "--every", "15m")
    result = dtu("analytics", "alerts", "backtest", "--db", db, "--incidents", "--json", *window)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    (incident,) = body["incidents"]
    assert {k: incident[k] for k in ("rule", "key", "started", "resolved", "hours_open")} == {
        "rule": "new_failure_pattern",
        "key": "vscode_install",
        "started": "2026-11-10T11:45:00Z",
        "resolved": "2026-11-10T19:45:00Z",
        "hours_open": 8.0,
    }
    assert [n["type"] for n in incident["notifications"]] == ["opened", "reminder", "resolved"]
    rows = {row["rule"]: row for row in body["summary"]}
    assert set(rows) == {
        "success_rate_low", "new_failure_pattern", "high_failure_volume", "arch_failure_gap",
        "no_data", "commit_regression",
    }  # fmt: skip
    assert (
        rows["new_failure_pattern"]["incidents"],
        rows["new_failure_pattern"]["hours_open"],
    ) == (
        1,
        8.0,
    )
    assert rows["new_failure_pattern"]["notifications"] == rows["new_failure_pattern"]["pages"] == 3
    assert rows["success_rate_low"]["incidents"] == 0
    text = dtu("analytics", "alerts", "backtest", "--db", db, "--incidents", *window).stdout
    assert (
        "2026-11-10T11:45:00Z -> 2026-11-10T19:45:00Z (8 h)  CRITICAL  "
        "new_failure_pattern [vscode_install]"
    ) in text
    assert "fired at 19 check(s), first 2026-11-10T11:45:00Z, last 2026-11-10T16:15:00Z" in text
    assert "notifications: opened 2026-11-10T11:45:00Z, reminder" in text


def test_check_shows_an_open_incident_after_its_rule_stopped_firing(tmp_path: Path) -> None:
    db = str(outage_db(tmp_path))
    hook = tmp_path / "rules.yaml"
    # A scheduled check (--send) while it fires, with a channel that cannot deliver: the
    # incident is stored all the same (the message waits in the outbox).
    hook.write_text(
        "rules:\n  - id: new_failure_pattern\nnotify:\n  channels:\n"
        "    - type: webhook\n      url_env: TEST_HOOK\n",
        encoding="utf-8",
    )
    env = {"TEST_HOOK": "http://127.0.0.1:9/"}
    sent = dtu(
        "analytics", "alerts", "check", "--db", db, "--rules", str(hook),
        "--at", "2026-11-10T12:00:00Z", "--send", env=env,
    )  # fmt: skip
    assert sent.returncode == 1 and "FAILED webhook" in sent.stderr
    # At 17:00 the rule no longer fires (the outage is in its baseline); the incident is
    # still open, and check says so (without --send it changes nothing).
    later = ("--db", db, "--rules", str(hook), "--at", "2026-11-10T17:00:00Z")
    text = dtu("analytics", "alerts", "check", *later).stdout
    assert text.splitlines()[:2] == [
        "no alerts firing at 2026-11-10T17:00:00Z",
        "incident open: new_failure_pattern [vscode_install] since 2026-11-10T12:00:00Z "
        "(5 h), last fired 2026-11-10T12:00:00Z",
    ]
    opened = json.loads(dtu("analytics", "alerts", "check", *later, "--json", "--incidents").stdout)
    assert [(i["rule"], i["started"], i["resolved"]) for i in opened] == [
        ("new_failure_pattern", "2026-11-10T12:00:00Z", None)
    ]
    # A scheduled check may not go back before the latest one.
    back = dtu(
        "analytics", "alerts", "check", "--db", db, "--rules", str(hook),
        "--at", "2026-11-10T11:00:00Z", "--send", env=env,
    )  # fmt: skip
    assert back.returncode == 2 and "is before the latest alert check" in back.stderr
