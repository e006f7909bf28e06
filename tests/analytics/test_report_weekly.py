"""`report weekly` on literal events: windows, changes, ties, new OS versions, shares."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.analytics.query import Scope
from installer.analytics.reports.render import to_page, to_text
from installer.analytics.reports.weekly import weekly
from installer.analytics.timeutil import DAY, HOUR
from installer.store.event_store import EventStore
from tests.analytics.cli_run import dtu
from tests.helpers.alert_events import T, ev, many, mixed

WEEK = 7 * DAY


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db") as s:
        yield s


def report(store: EventStore, **scope: str) -> dict:  # type: ignore[type-arg]
    return weekly(store, T, Scope.production(**scope)).serialize()


def test_contract_keys_and_no_data(store: EventStore) -> None:
    data = report(store)
    assert data["installations"] == {
        "this_week": 0, "last_week": 0, "change": 0, "change_percent": None
    }  # fmt: skip
    assert data["success_rate"] == {"this_week": None, "last_week": None, "change_pp": None}
    for key in ("events", "top_failing_components", "new_os_versions", "commits", "architectures"):
        assert key in data
    assert data["top_failing_components"] == [] and data["commits"] == []


def test_weeks_are_half_open(store: EventStore) -> None:
    store.insert(
        [
            ev(T - WEEK, run="a"),  # first second of this week
            ev(T - 1, run="a"),
            ev(T, run="b"),  # T itself: out
            ev(T - WEEK - 1, run="c"),  # last second of last week
            ev(T - 2 * WEEK, run="d"),  # first second of last week
            ev(T - 2 * WEEK - 1, run="e"),  # before: out
            ev(T - HOUR, run="f", ok=False),
            ev(T - HOUR, run="g", category="Installer_CI"),  # not production
        ]
    )
    data = report(store)
    assert data["events"] == {"this_week": 3, "last_week": 2, "change": 1, "change_percent": 50.0}
    assert data["installations"]["this_week"] == 2 and data["installations"]["last_week"] == 2
    assert data["success_rate"]["this_week"] == 66.67
    assert data["success_rate"]["last_week"] == 100.0
    assert data["success_rate"]["change_pp"] == -33.33


def test_top_three_failing_by_failures_then_name(store: EventStore) -> None:
    store.insert(
        mixed(T - DAY, 10, 3, "zsh_setup")
        + mixed(T - DAY, 0, 3, "conda_init")
        + mixed(T - DAY, 0, 5, "vscode_install")
        + mixed(T - DAY, 0, 1, "brew_update")
        + many(9, T - DAY, "never_fails")
        + mixed(T - WEEK - DAY, 0, 50, "old_failure")  # last week: does not count
    )
    top = report(store)["top_failing_components"]
    assert [(r["component"], r["failures"]) for r in top] == [
        ("vscode_install", 5), ("conda_init", 3), ("zsh_setup", 3)
    ]  # fmt: skip
    assert top[2]["success_rate"] == 76.92


def test_only_failing_components_are_listed(store: EventStore) -> None:
    store.insert(many(5, T - DAY, "ok_step") + mixed(T - DAY, 1, 1, "bad_step"))
    assert [r["component"] for r in report(store)["top_failing_components"]] == ["bad_step"]


def test_new_os_versions(store: EventStore) -> None:
    store.insert(
        [
            ev(T - DAY, os="Darwin25.0"),  # new
            ev(T - DAY, os="Darwin24.1.0"),
            ev(T - 30 * DAY, os="Darwin24.1.0"),  # seen before: not new
            ev(T - DAY, os="Darwin23.0"),
            ev(T - 90 * DAY - 1, os="Darwin23.0"),  # before the 90-day look-back: new again
            ev(T - DAY, os="Darwin22.0"),
            ev(T - 90 * DAY, os="Darwin22.0"),  # exactly T-90d: seen, not new
            ev(T - DAY, os=None),
        ]
    )
    assert report(store)["new_os_versions"] == ["Darwin23.0", "Darwin25.0"]


def test_commits_and_architecture_shares(store: EventStore) -> None:
    store.insert(
        [ev(T - DAY, sha="aaa1111", arch="arm64", run=f"r{i}") for i in range(3)]
        + [ev(T - DAY, sha="bbb2222", arch="x86_64", run="x1", ok=False)]
        + [ev(T - WEEK - DAY, arch="x86_64", run=f"old{i}") for i in range(2)]
        + [ev(T - WEEK - DAY, arch="arm64", run="old9")]
    )
    data = report(store)
    assert data["commits"] == [
        {"sha": "aaa1111", "events": 3, "success_rate": 100.0},
        {"sha": "bbb2222", "events": 1, "success_rate": 0.0},
    ]
    arm, x86 = data["architectures"]
    assert (arm["arch"], arm["this_week_share"], arm["last_week_share"]) == ("arm64", 75.0, 33.33)
    assert (x86["this_week_share"], x86["last_week_share"], x86["change_pp"]) == (
        25.0,
        66.67,
        -41.67,
    )


def test_segments(store: EventStore) -> None:
    store.insert([ev(T - DAY, arch="arm64"), ev(T - DAY, arch="x86_64", os="Darwin19.6.0")])
    assert report(store, arch="x86_64")["events"]["this_week"] == 1
    assert report(store, os="Darwin19.6.0")["architectures"][0]["arch"] == "x86_64"


def test_cli_json_and_html(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert(mixed(T - DAY, 3, 1, "vscode_install"))
    page = tmp_path / "weekly.html"
    result = dtu(
        "analytics", "report", "weekly", "--db", str(db), "--at", "2026-11-23T12:00:00Z",
        "--json", "--html", str(page),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["top_failing_components"][0] == {
        "component": "vscode_install", "failures": 1, "events": 4, "success_rate": 75.0
    }  # fmt: skip
    html = page.read_text(encoding="utf-8")
    assert "vscode_install</td>" in html
    assert "<script src=" not in html and '<link rel="stylesheet" href' not in html  # offline
    text = dtu("analytics", "report", "weekly", "--db", str(db), "--at", "2026-11-23T12:00:00Z")
    assert "vscode_install  1         4       75.00" in text.stdout


def test_empty_weeks_read_no_data_in_text_and_page(store: EventStore) -> None:
    report_ = weekly(store, T, Scope.production())
    text = to_text(report_)
    assert "no data pp" not in text
    assert "success rate %  no data    no data    no data\n" in text
    assert "Commits this week\n-----------------\nno data\n" in text
    assert "(share %)\n---------------------------------------\nno data\n" in text
    page = to_page(report_)
    assert '<h3>Commits this week</h3><p class="note">no data</p>' in page


def test_a_line_break_in_a_component_name_keeps_the_text_grid(store: EventStore) -> None:
    store.insert(mixed(T - DAY, 0, 2, "vscode\ninstall"))
    text = to_text(weekly(store, T, Scope.production()))
    assert "vscode install  2         2       0.00\n" in text
