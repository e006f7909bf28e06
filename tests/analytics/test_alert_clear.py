"""Each rule's clear condition at its exact boundaries (SPEC 6, "Incidents"): half-open
windows (`T - window` in, `T` out), exactly 85 %, exactly 95 %, exactly 10 failures,
exactly 10 pp, exactly 5 pp, the minimum counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.analytics.alerts.clear import CLEARERS
from installer.analytics.alerts.rules import default_rule
from installer.analytics.query import Scope
from installer.analytics.timeutil import DAY, HOUR
from installer.events.normalise import Event
from installer.store.event_store import EventStore
from tests.helpers.alert_events import T, ev, many, mixed

SCOPE = Scope(("Installer",))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db") as s:
        yield s


def clear(store: EventStore, kind: str, events: list[Event], key: str | None = None) -> bool:
    store.insert(events)
    return CLEARERS[kind](store, default_rule(kind), key, T, SCOPE) is not None


# --- success_rate_low: [T-2h, T) has no events, or its success rate is at least 85% ------


def test_success_rate_low_clear_at_exactly_85_percent(store: EventStore) -> None:
    assert clear(store, "success_rate_low", mixed(T - HOUR, ok=17, failed=3))  # 85.00%


def test_success_rate_low_not_clear_just_below_85(store: EventStore) -> None:
    assert not clear(store, "success_rate_low", mixed(T - HOUR, ok=33, failed=6))  # 84.6%


def test_success_rate_low_window_is_half_open(store: EventStore) -> None:
    # 1 of 2 at T - 2h (in), failures at T (out): 50% -> not clear.
    assert not clear(store, "success_rate_low", mixed(T - 2 * HOUR, 1, 1) + mixed(T, 0, 9))


def test_success_rate_low_clear_without_events(store: EventStore) -> None:
    # Failures just before the window and at T: none in [T-2h, T).
    assert clear(store, "success_rate_low", mixed(T - 2 * HOUR - 1, 0, 9) + mixed(T, 0, 9))


def test_success_rate_low_few_events_below_85_stay_open(store: EventStore) -> None:
    # The rule needs more than 10 events to fire; the clear condition does not.
    assert not clear(store, "success_rate_low", mixed(T - HOUR, ok=1, failed=1))


# --- new_failure_pattern (c): [T-4h, T) has no events of c, or c's rate is at least 95% ---


def test_new_failure_pattern_clear_at_exactly_95_percent(store: EventStore) -> None:
    events = mixed(T - HOUR, 19, 1, "vscode_install") + mixed(T - HOUR, 0, 9, "other")
    assert clear(store, "new_failure_pattern", events, "vscode_install")


def test_new_failure_pattern_not_clear_just_below_95(store: EventStore) -> None:
    events = mixed(T - HOUR, 18, 1, "vscode_install")  # 94.7%
    assert not clear(store, "new_failure_pattern", events, "vscode_install")


def test_new_failure_pattern_window_is_half_open(store: EventStore) -> None:
    at_start = mixed(T - 4 * HOUR, 0, 1, "vscode_install")  # in: 0%
    assert not clear(store, "new_failure_pattern", at_start, "vscode_install")


def test_new_failure_pattern_clear_when_the_component_is_silent(store: EventStore) -> None:
    outside = mixed(T - 4 * HOUR - 1, 0, 5, "vscode_install") + mixed(T, 0, 5, "vscode_install")
    assert clear(store, "new_failure_pattern", outside, "vscode_install")


# --- high_failure_volume: at most 10 failures in [T-1h, T) -------------------------------


def test_high_failure_volume_clear_at_exactly_10_failures(store: EventStore) -> None:
    assert clear(store, "high_failure_volume", mixed(T - HOUR, 0, 10) + mixed(T, 0, 5))


def test_high_failure_volume_not_clear_at_11(store: EventStore) -> None:
    assert not clear(store, "high_failure_volume", mixed(T - HOUR, 0, 11))


def test_high_failure_volume_window_start_is_in(store: EventStore) -> None:
    assert not clear(store, "high_failure_volume", mixed(T - HOUR, 0, 10) + mixed(T - 1, 0, 1))


# --- arch_failure_gap (a): fewer than two qualify, a not among them, or gap <= 10 pp -----


def test_arch_failure_gap_clear_at_exactly_10_pp(store: EventStore) -> None:
    events = mixed(T - HOUR, 20, 0, arch="x86_64") + mixed(T - HOUR, 18, 2, arch="arm64")
    assert clear(store, "arch_failure_gap", events, "arm64")  # 10% vs 0%


def test_arch_failure_gap_not_clear_above_10_pp(store: EventStore) -> None:
    # 3 of 29 = 10.34% vs 0%: just over 10 pp.
    events = mixed(T - HOUR, 20, 0, arch="x86_64") + mixed(T - HOUR, 26, 3, arch="arm64")
    assert not clear(store, "arch_failure_gap", events, "arm64")


def test_arch_failure_gap_exact_pp_from_rates_that_are_not_whole(store: EventStore) -> None:
    # 20/30 vs 17/30 succeed: exactly 10 pp, though the float difference is 10.000000000000004.
    events = mixed(T - HOUR, 20, 10, arch="x86_64") + mixed(T - HOUR, 17, 13, arch="arm64")
    assert clear(store, "arch_failure_gap", events, "arm64")


def test_arch_failure_gap_clear_when_the_key_has_fewer_than_20_events(store: EventStore) -> None:
    events = (
        mixed(T - HOUR, 20, 0, arch="x86_64")
        + mixed(T - HOUR, 20, 0, arch="i386")
        + mixed(T - HOUR, 0, 19, arch="arm64")
    )
    assert clear(store, "arch_failure_gap", events, "arm64")


def test_arch_failure_gap_clear_when_one_architecture_qualifies(store: EventStore) -> None:
    events = mixed(T - HOUR, 20, 0, arch="x86_64") + mixed(T - 24 * HOUR - 1, 0, 20, arch="arm64")
    assert clear(store, "arch_failure_gap", events, "arm64")


def test_arch_failure_gap_window_start_is_in(store: EventStore) -> None:
    events = mixed(T - 24 * HOUR, 20, 0, arch="x86_64") + mixed(T - HOUR, 0, 20, arch="arm64")
    assert not clear(store, "arch_failure_gap", events, "arm64")


# --- commit_regression (s): no events of s in [T-24h, T), or at least 20 there with a rate
# --- at least p's over [f-7d, f) minus 5 pp ---------------------------------------------

F = T - 3 * DAY  # s first seen; p = base001 over [F-7d, F), 100% of 20


def previous() -> list[Event]:
    return many(20, F - DAY, sha="base001")


def test_commit_regression_clear_at_exactly_5_pp_below(store: EventStore) -> None:
    events = previous() + many(1, F, sha="new0002") + mixed(T - HOUR, 19, 1, sha="new0002")
    assert clear(store, "commit_regression", events, "new0002")  # 95% vs 100%


def test_commit_regression_not_clear_more_than_5_pp_below(store: EventStore) -> None:
    events = previous() + many(1, F, sha="new0002") + mixed(T - HOUR, 18, 2, sha="new0002")
    assert not clear(store, "commit_regression", events, "new0002")  # 90%


def test_commit_regression_needs_20_events_to_clear(store: EventStore) -> None:
    events = previous() + many(1, F, sha="new0002") + many(19, T - HOUR, sha="new0002")
    assert not clear(store, "commit_regression", events, "new0002")  # 100% of 19


def test_commit_regression_clear_when_the_sha_is_gone(store: EventStore) -> None:
    events = previous() + many(1, F, sha="new0002") + mixed(T - 24 * HOUR - 1, 0, 30, sha="new0002")
    assert clear(store, "commit_regression", events, "new0002")


def test_commit_regression_window_start_is_in(store: EventStore) -> None:
    events = previous() + many(1, F, sha="new0002") + mixed(T - 24 * HOUR, 0, 1, sha="new0002")
    assert not clear(store, "commit_regression", events, "new0002")  # 1 event: too few


# --- no_data: at least one event in [T-1h, T) -------------------------------------------


def test_no_data_clear_with_one_event_at_the_window_start(store: EventStore) -> None:
    assert clear(store, "no_data", [ev(T - HOUR)])


def test_no_data_not_clear_with_an_event_at_t_only(store: EventStore) -> None:
    assert not clear(store, "no_data", [ev(T), ev(T - HOUR - 1)])


def test_no_data_counts_production_only(store: EventStore) -> None:
    assert not clear(store, "no_data", [ev(T - 60, category="Installer_CI")])
