"""`report component-health` on literal events: the >10% list with its details, and each
trigger firing and not firing just below its threshold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from installer.analytics.query import Scope
from installer.analytics.reports.component_health import component_health
from installer.analytics.timeutil import DAY, HOUR
from installer.store.event_store import EventStore
from tests.helpers.alert_events import T, ev, many, mixed


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db") as s:
        yield s


def run(store: EventStore) -> dict[str, Any]:
    return component_health(store, T, Scope.production()).serialize()


def triggers(data: dict[str, Any], name: str) -> list[str]:
    return [t["component"] for t in data["triggers"] if t["trigger"] == name]


def test_no_data(store: EventStore) -> None:
    data = run(store)
    assert data["components"] == [] and data["triggers"] == []


def test_listed_above_10_percent_with_details(store: EventStore) -> None:
    store.insert(
        [
            *many(8, T - 20 * HOUR, "vscode_install", sha="old0001"),
            ev(T - 5 * HOUR + 60, "vscode_install", sha="mid0003"),  # hour of the 1st failure
            ev(T - 5 * HOUR, "vscode_install", ok=False, sha="new0002", arch="x86_64"),
            ev(T - 2 * HOUR, "vscode_install", ok=False, sha="new0002", os="Darwin19.6.0"),
            *mixed(T - HOUR, 3, 1, "vscode_install", category="Installer_CI"),
            *mixed(T - HOUR, 9, 1, "exactly_ten"),  # 10% is not more than 10%
        ]
    )
    (item,) = run(store)["components"]
    assert item["component"] == "vscode_install"
    assert (item["events"], item["failures"], item["failure_rate"]) == (11, 2, 18.18)
    assert item["failing_systems"] == [
        {"os": "Darwin19.6.0", "arch": "arm64", "failures": 1, "events": 1},
        {"os": "Darwin24.1.0", "arch": "x86_64", "failures": 1, "events": 1},
    ]
    assert item["failures_began"] == "2026-11-23T07:00:00Z"
    assert item["shas_when_failures_began"] == ["mid0003", "new0002"]
    assert (item["ci_events"], item["ci_success_rate"]) == (4, 75.0)


def test_window_boundaries(store: EventStore) -> None:
    store.insert(
        [
            ev(T - DAY, "a", ok=False),  # T-24h: in
            *many(4, T - HOUR, "a"),
            ev(T, "b", ok=False),  # T: out
            *many(4, T - HOUR, "b"),
        ]
    )
    assert [c["component"] for c in run(store)["components"]] == ["a"]


def test_failure_rate_trigger_needs_5_events_and_more_than_20(store: EventStore) -> None:
    store.insert(
        mixed(T - HOUR, 3, 1, "four_events")  # 25% but only 4 events
        + mixed(T - HOUR, 4, 1, "twenty")  # exactly 20%
        + mixed(T - HOUR, 3, 2, "forty")  # 40% with 5 events: trigger
    )
    assert triggers(run(store), "failure_rate_high") == ["forty"]


def test_new_error_trigger(store: EventStore) -> None:
    store.insert(
        [
            ev(T - HOUR, "a", ok=False, error="disk_error"),  # new
            ev(T - HOUR, "b", ok=False, error="network_error"),
            ev(T - 3 * DAY, "b", ok=False, error="network_error"),  # seen before: not new
            ev(T - HOUR, "c", ok=False, error="timeout_error"),
            ev(T - 8 * DAY - 1, "c", ok=False, error="timeout_error"),  # before baseline: new
            ev(T - HOUR, "d", ok=False, error="checksum_error"),
            ev(T - 8 * DAY, "d", ok=False, error="checksum_error"),  # T-8d: in baseline
        ]
    )
    new = [
        (t["component"], t["error"]) for t in run(store)["triggers"] if t["trigger"] == "new_error"
    ]
    assert new == [("a", "disk_error"), ("c", "timeout_error")]


def test_success_rate_drop_trigger(store: EventStore) -> None:
    store.insert(
        many(10, T - 3 * DAY, "drop")  # 100% before
        + mixed(T - HOUR, 84, 16, "drop")  # 84%: 16 pp lower: trigger
        + many(10, T - 3 * DAY, "edge")
        + mixed(T - HOUR, 85, 15, "edge")  # 85%: exactly 15 pp: no
        + mixed(T - HOUR, 0, 3, "no_baseline")  # nothing before: no rate to compare
    )
    data = run(store)
    assert triggers(data, "success_rate_drop") == ["drop"]
    (drop,) = [t for t in data["triggers"] if t["trigger"] == "success_rate_drop"]
    assert (drop["baseline_success_rate"], drop["success_rate"], drop["drop_pp"]) == (
        100.0, 84.0, 16.0
    )  # fmt: skip


def test_success_rate_drop_is_compared_exactly(store: EventStore) -> None:
    # 9/28 before and 6/35 now differ by exactly 15 pp (not more than 15), though the float
    # difference is just above 15.
    store.insert(mixed(T - 3 * DAY, 9, 19, "exact") + mixed(T - HOUR, 6, 29, "exact"))
    assert triggers(run(store), "success_rate_drop") == []
    store.insert([ev(T - HOUR, "exact", ok=False)])  # 6/36: 15.48 pp lower
    assert triggers(run(store), "success_rate_drop") == ["exact"]
