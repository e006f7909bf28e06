"""`report compatibility` on literal events: 30-day windows, new macOS versions, shares and
their change, success by OS and OS x arch, deprecation candidates under the threshold."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from installer.analytics.query import Scope
from installer.analytics.reports.compatibility import compatibility
from installer.analytics.timeutil import DAY
from installer.store.event_store import EventStore
from tests.analytics.cli_run import dtu
from tests.helpers.alert_events import T, ev

MONTH = 30 * DAY


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db") as s:
        yield s


def run(store: EventStore, below: float = 2.0) -> dict[str, Any]:
    return compatibility(store, T, Scope.production(), below).serialize()


def test_no_data(store: EventStore) -> None:
    data = run(store)
    assert data["os_versions"] == []
    # Nothing before the window: "no earlier data", not every version called new.
    assert data["new_os_versions"] is None and data["new_os_note"].startswith("no earlier data")
    assert data["deprecation_candidates"] == []


def test_new_macos_versions(store: EventStore) -> None:
    store.insert(
        [
            ev(T - MONTH, os="Darwin25.0"),  # first second of the window: new
            ev(T - DAY, os="Darwin24.1.0"),
            ev(T - MONTH - 90 * DAY, os="Darwin24.1.0"),  # start of the look-back: seen
            ev(T - DAY, os="Darwin23.0"),
            ev(T - MONTH - 90 * DAY - 1, os="Darwin23.0"),  # before it: still new
            ev(T, os="Darwin26.0"),  # T: out
        ]
    )
    assert run(store)["new_os_versions"] == ["Darwin23.0", "Darwin25.0"]


def test_shares_success_rates_and_deprecation(store: EventStore) -> None:
    events = [ev(T - DAY, os="Darwin24.1.0", arch="arm64", run=f"a{i}") for i in range(98)]
    events += [ev(T - DAY, os="Darwin19.6.0", arch="x86_64", run="old", ok=False)]
    events += [ev(T - DAY, os="Darwin19.6.0", arch="x86_64", run="old")]
    events += [ev(T - DAY, os="Darwin20.0", arch="x86_64", run="mid1")]
    events += [ev(T - DAY, os="Darwin20.0", arch="x86_64", run="mid2")]
    events += [ev(T - MONTH - DAY, arch="x86_64", run=f"p{i}") for i in range(3)]
    events += [ev(T - MONTH - DAY, arch="arm64", run="p9")]
    store.insert(events)
    data = run(store)
    assert [r["os"] for r in data["os_versions"]] == ["Darwin24.1.0", "Darwin19.6.0", "Darwin20.0"]
    old = data["os_versions"][1]
    assert (old["installations"], old["share"], old["success_rate"]) == (1, 0.99, 50.0)
    # 1/101 = 0.99% and 2/101 = 1.98% are under 2%
    assert [r["os"] for r in data["deprecation_candidates"]] == ["Darwin19.6.0", "Darwin20.0"]
    assert [r["os"] for r in run(store, below=1.98)["deprecation_candidates"]] == ["Darwin19.6.0"]
    arm, x86 = data["architectures"]
    assert (arm["share"], arm["previous_share"], arm["change_pp"]) == (97.03, 25.0, 72.03)
    assert (x86["installations"], x86["share"]) == (3, 2.97)
    assert {(r["os"], r["arch"]): r["success_rate"] for r in data["os_arch"]} == {
        ("Darwin19.6.0", "x86_64"): 50.0,
        ("Darwin20.0", "x86_64"): 100.0,
        ("Darwin24.1.0", "arm64"): 100.0,
    }


def test_cli_threshold_option(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    with EventStore(db) as store:
        store.insert([ev(T - DAY, os="Darwin24.1.0", run=f"r{i}") for i in range(9)])
        store.insert([ev(T - DAY, os="Darwin19.6.0", run="x")])
    args = ["analytics", "report", "compatibility", "--db", str(db), "--at", "2026-11-23T12:00:00Z"]
    default = json.loads(dtu(*args, "--json").stdout)
    assert default["deprecation_candidates"] == []  # 10% is not under 2%
    wider = json.loads(dtu(*args, "--json", "--deprecation-below", "10.5").stdout)
    assert [r["os"] for r in wider["deprecation_candidates"]] == ["Darwin19.6.0"]


def test_without_earlier_data_no_version_is_called_new(store: EventStore) -> None:
    """Issue 17: a store whose data starts inside the window called every macOS "new"."""
    from installer.analytics.reports.render import to_text

    store.insert([ev(T - DAY, os="Darwin24.1.0"), ev(T - DAY, os="Darwin25.0")])
    report = compatibility(store, T, Scope.production())
    assert report.serialize()["new_os_versions"] is None
    text = to_text(report)
    assert "no earlier data: no events from 2026-07-26T12:00:00Z to 2026-10-24T12:00:00Z" in text
    # One event in the look-back is enough to compare with.
    store.insert([ev(T - MONTH - DAY, os="Darwin24.1.0")])
    assert run(store)["new_os_versions"] == ["Darwin25.0"]
