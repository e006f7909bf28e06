"""Every default rule on literal event lists: fires; not just below each threshold;
`T - window` in, `T` out; minimum counts; no data (SPEC 6, "Alerts")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.analytics.alerts.evaluate import evaluate
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.rules import RuleSet, default_rule, default_rules
from installer.analytics.timeutil import DAY, HOUR
from installer.events.normalise import Event
from installer.store.event_store import EventStore
from tests.helpers.alert_events import T, ev, many, mixed


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    with EventStore(tmp_path / "events.db") as s:
        yield s


def fire(store: EventStore, events: list[Event], kind: str, at: int = T) -> list[Firing]:
    store.insert(events)
    return evaluate(store, RuleSet((default_rule(kind),)), at)


def keys(firings: list[Firing]) -> list[str | None]:
    return [f.key for f in firings]


# --- success_rate_low: over [T-2h, T): events > 10 and success rate < 75% -------------


def test_success_rate_low_fires(store: EventStore) -> None:
    (f,) = fire(store, mixed(T - HOUR, ok=8, failed=3), "success_rate_low")
    assert (f.rule, f.key, f.severity) == ("success_rate_low", None, "critical")
    assert f.context["after"] == {"events": 11, "failures": 3, "success_rate": 72.73}
    assert f.context["top_failing_components"][0]["component"] == "homebrew_install"
    assert f.context["affected_systems"][0] == {
        "os": "Darwin24.1.0",
        "arch": "arm64",
        "events": 11,
        "failures": 3,
        "success_rate": 72.73,
    }
    assert f.runbook.endswith("runbook.md#success_rate_low")


def test_success_rate_low_exactly_75_percent_does_not_fire(store: EventStore) -> None:
    assert fire(store, mixed(T - HOUR, ok=9, failed=3), "success_rate_low") == []


def test_success_rate_low_needs_more_than_10_events(store: EventStore) -> None:
    assert fire(store, mixed(T - HOUR, ok=0, failed=10), "success_rate_low") == []


def test_success_rate_low_window_start_in(store: EventStore) -> None:
    events = [*mixed(T - HOUR, ok=0, failed=10), ev(T - 2 * HOUR, ok=False)]
    assert keys(fire(store, events, "success_rate_low")) == [None]


def test_success_rate_low_window_end_out(store: EventStore) -> None:
    events = [*mixed(T - HOUR, ok=0, failed=10), ev(T, ok=False), ev(T - 2 * HOUR - 1, ok=False)]
    assert fire(store, events, "success_rate_low") == []


def test_success_rate_low_ignores_other_categories(store: EventStore) -> None:
    events = mixed(T - HOUR, ok=0, failed=20, category="Installer_CI")
    assert fire(store, events, "success_rate_low") == []


def test_no_data_fires_nothing(store: EventStore) -> None:
    assert evaluate(store, default_rules(), T) == []


# --- high_failure_volume: more than 20 failures in [T-1h, T) --------------------------


def test_high_failure_volume_fires_above_20(store: EventStore) -> None:
    (f,) = fire(store, mixed(T - 60, ok=100, failed=21), "high_failure_volume")
    assert (f.key, f.severity, f.context["after"]["failures"]) == (None, "critical", 21)


def test_high_failure_volume_20_is_not_more_than_20(store: EventStore) -> None:
    assert fire(store, mixed(T - 60, ok=0, failed=20), "high_failure_volume") == []


def test_high_failure_volume_boundaries(store: EventStore) -> None:
    base = mixed(T - 60, ok=0, failed=20)
    assert keys(fire(store, [*base, ev(T - HOUR, ok=False)], "high_failure_volume")) == [None]


def test_high_failure_volume_event_at_t_is_out(store: EventStore) -> None:
    base = mixed(T - 60, ok=0, failed=20)
    assert fire(store, [*base, ev(T, ok=False)], "high_failure_volume") == []


# --- new_failure_pattern ---------------------------------------------------------------


def nfp(baseline_ok: int, baseline_failed: int, recent_ok: int, recent_failed: int) -> list[Event]:
    return mixed(T - 10 * HOUR, baseline_ok, baseline_failed, "vscode_install") + mixed(
        T - HOUR, recent_ok, recent_failed, "vscode_install"
    )


def test_new_failure_pattern_fires_with_component_key(store: EventStore) -> None:
    (f,) = fire(store, nfp(10, 0, 2, 3) + mixed(T - HOUR, 5, 0), "new_failure_pattern")
    assert (f.key, f.severity) == ("vscode_install", "critical")
    assert f.context["before"]["success_rate"] == 100.0
    assert f.context["after"] == {"events": 5, "failures": 3, "success_rate": 40.0}
    assert f.context["change_pp"] == -60.0


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(nfp(9, 0, 0, 5), id="baseline-9-events"),
        pytest.param(nfp(19, 1, 0, 5), id="baseline-exactly-95"),
        pytest.param(nfp(10, 0, 0, 4), id="recent-4-events"),
        pytest.param(nfp(10, 0, 4, 1), id="recent-exactly-80"),
        pytest.param(mixed(T - HOUR, 0, 5, "vscode_install"), id="no-baseline"),
    ],
)
def test_new_failure_pattern_does_not_fire(store: EventStore, events: list[Event]) -> None:
    assert fire(store, events, "new_failure_pattern") == []


def test_new_failure_pattern_baseline_start_in(store: EventStore) -> None:
    events = [*nfp(9, 0, 0, 5), ev(T - 28 * HOUR, "vscode_install")]
    assert keys(fire(store, events, "new_failure_pattern")) == ["vscode_install"]


def test_new_failure_pattern_boundaries_out(store: EventStore) -> None:
    # T-28h-1s is before the baseline; T-4h belongs to the recent window; T is out.
    events = [
        *nfp(9, 0, 0, 4),
        ev(T - 28 * HOUR - 1, "vscode_install"),
        ev(T, "vscode_install", ok=False),
    ]
    assert fire(store, events, "new_failure_pattern") == []
    store.insert([ev(T - 4 * HOUR, "vscode_install", ok=False)])  # 5th recent failure: in
    store.insert([ev(T - 4 * HOUR - 1, "vscode_install")])  # 10th baseline success: in
    assert keys(evaluate(store, RuleSet((default_rule("new_failure_pattern"),)), T)) == [
        "vscode_install"
    ]


# --- arch_failure_gap -------------------------------------------------------------------


def gap(arm_failed: int, x86_events: int, x86_failed: int) -> list[Event]:
    return mixed(T - HOUR, 20 - arm_failed, arm_failed, arch="arm64") + mixed(
        T - HOUR, x86_events - x86_failed, x86_failed, arch="x86_64"
    )


def test_arch_failure_gap_fires_on_the_worse_architecture(store: EventStore) -> None:
    (f,) = fire(store, gap(0, 20, 4), "arch_failure_gap")
    assert (f.key, f.severity, f.context["gap_pp"], f.context["best"]) == (
        "x86_64",
        "warning",
        20.0,
        "arm64",
    )


def test_arch_failure_gap_exactly_15_pp_does_not_fire(store: EventStore) -> None:
    assert fire(store, gap(0, 20, 3), "arch_failure_gap") == []


def test_arch_failure_gap_needs_two_architectures_with_20_events(store: EventStore) -> None:
    assert fire(store, gap(0, 19, 19), "arch_failure_gap") == []


def test_arch_failure_gap_tie_takes_the_lower_name(store: EventStore) -> None:
    events = gap(5, 20, 5) + many(20, T - HOUR, arch="i386")
    assert keys(fire(store, events, "arch_failure_gap")) == ["arm64"]


def test_arch_failure_gap_boundaries(store: EventStore) -> None:
    events = [*gap(0, 19, 4), ev(T - 24 * HOUR, arch="x86_64"), ev(T, arch="x86_64")]
    (f,) = fire(store, events, "arch_failure_gap")
    assert f.context["architectures"][1]["events"] == 20  # T-24h in, T out


# --- commit_regression ------------------------------------------------------------------

F = T - 10 * HOUR  # first event of the new SHA


def regression(new_failed: int, new_events: int = 20, old_events: int = 20) -> list[Event]:
    return many(old_events, F - 2 * DAY, sha="old0001") + mixed(
        F, new_events - new_failed, new_failed, sha="new0002"
    )


def test_commit_regression_fires_for_the_new_sha(store: EventStore) -> None:
    (f,) = fire(store, regression(3), "commit_regression")
    assert (f.key, f.severity, f.context["previous_sha"], f.context["drop_pp"]) == (
        "new0002",
        "warning",
        "old0001",
        15.0,
    )
    assert f.context["first_seen"] == "2026-11-23T02:00:00Z"


@pytest.mark.parametrize(
    "events",
    [
        pytest.param(regression(2), id="exactly-10-pp"),
        pytest.param(regression(3, new_events=19), id="new-sha-19-events"),
        pytest.param(regression(3, old_events=19), id="previous-sha-19-events"),
        pytest.param(mixed(F, 0, 20, sha="new0002"), id="no-other-sha"),
        pytest.param([*regression(3), ev(T - 40 * DAY, sha="new0002")], id="seen-long-ago"),
        pytest.param([*regression(3), ev(T - 24 * HOUR - 1, sha="new0002")], id="f-before-window"),
        pytest.param(
            many(20, F - 8 * DAY, sha="old0001") + mixed(F, 0, 20, sha="new0002"),
            id="previous-before-baseline",
        ),
    ],
)
def test_commit_regression_does_not_fire(store: EventStore, events: list[Event]) -> None:
    assert fire(store, events, "commit_regression") == []


def test_commit_regression_first_event_at_window_start_is_new(store: EventStore) -> None:
    events = [*regression(3), ev(T - 24 * HOUR, sha="new0002")]
    assert keys(fire(store, events, "commit_regression")) == ["new0002"]


def test_commit_regression_first_seen_is_in_scope(store: EventStore) -> None:
    events = [*regression(3), ev(T - 40 * DAY, sha="new0002", category="Installer_CI")]
    assert keys(fire(store, events, "commit_regression")) == ["new0002"]


def test_commit_regression_previous_sha_ties(store: EventStore) -> None:
    events = (
        many(20, F - 3 * DAY, sha="bbb0001")
        + many(20, F - 2 * DAY, sha="ccc0001")  # same count, later last event: p
        + many(20, F - 3 * DAY, sha="aaa0001")
        + mixed(F, 10, 10, sha="new0002")
    )
    (f,) = fire(store, events, "commit_regression")
    assert f.context["previous_sha"] == "ccc0001"


def test_commit_regression_previous_sha_full_tie_takes_lowest(store: EventStore) -> None:
    events = (
        many(20, F - 3 * DAY, sha="bbb0001")
        + many(20, F - 3 * DAY, sha="aaa0001")
        + mixed(F, 10, 10, sha="new0002")
    )
    (f,) = fire(store, events, "commit_regression")
    assert f.context["previous_sha"] == "aaa0001"


@pytest.mark.parametrize(("new_failed", "fires"), [(6, False), (7, True)])
def test_commit_regression_compares_with_the_previous_rate(
    store: EventStore, new_failed: int, fires: bool
) -> None:
    # 80% before; 70% after is exactly 10 pp (no), 65% is 15 pp (yes).
    events = mixed(F - DAY, 16, 4, sha="old0001") + mixed(
        F, 20 - new_failed, new_failed, sha="new0002"
    )
    assert keys(fire(store, events, "commit_regression")) == (["new0002"] if fires else [])


def test_commit_regression_drop_is_compared_exactly(store: EventStore) -> None:
    # 20/30 - 17/30 is exactly 10 pp (not more than 10), though in floats it is 10.000000000000004.
    events = mixed(F - DAY, 20, 10, sha="old0001") + mixed(F, 17, 13, sha="new0002")
    assert fire(store, events, "commit_regression") == []
    store.insert([ev(F, ok=False, sha="new0002")])  # 17/31: 11.83 pp
    assert keys(evaluate(store, RuleSet((default_rule("commit_regression"),)), T)) == ["new0002"]


def test_arch_failure_gap_is_compared_exactly(store: EventStore) -> None:
    # Failure rates 49/60 and 18/27 differ by exactly 15 pp (not more than 15), though in
    # floats the gap is 15.000000000000014.
    events = mixed(T - HOUR, 11, 49, arch="arm64") + mixed(T - HOUR, 9, 18, arch="x86_64")
    assert fire(store, events, "arch_failure_gap") == []
    store.insert([ev(T - HOUR, ok=False, arch="arm64")])  # 50/61: 15.3 pp
    rules = RuleSet((default_rule("arch_failure_gap"),))
    assert keys(evaluate(store, rules, T)) == ["arm64"]


# --- no_data: no events in [T-6h, T), at least 20 in [T-7d-6h, T-7d) -------------------

WEEK = 7 * DAY


def test_no_data_fires_when_the_same_hours_a_week_before_were_busy(store: EventStore) -> None:
    (f,) = fire(store, [*many(20, T - WEEK - 6 * HOUR), ev(T - 6 * HOUR - 1)], "no_data")
    assert (f.rule, f.key, f.severity) == ("no_data", None, "critical")
    assert f.context["compare_events"] == 20
    assert f.context["last_event"] == "2026-11-23T05:59:59Z"
    assert f.runbook.endswith("runbook.md#no_data")


def test_no_data_an_event_at_t_minus_6h_is_data(store: EventStore) -> None:
    assert fire(store, [*many(20, T - WEEK - HOUR), ev(T - 6 * HOUR)], "no_data") == []


def test_no_data_an_event_at_t_is_not_data(store: EventStore) -> None:
    assert keys(fire(store, [*many(20, T - WEEK - HOUR), ev(T)], "no_data")) == [None]


def test_no_data_needs_20_events_a_week_before(store: EventStore) -> None:
    assert fire(store, many(19, T - WEEK - HOUR), "no_data") == []


def test_no_data_week_before_window_is_half_open(store: EventStore) -> None:
    # 19 inside plus one at T-7d (out): not enough; plus one at T-7d-6h (in): enough.
    base = many(19, T - WEEK - HOUR)
    assert fire(store, [*base, ev(T - WEEK)], "no_data") == []
    assert keys(fire(store, [ev(T - WEEK - 6 * HOUR)], "no_data")) == [None]


def test_no_data_counts_production_only(store: EventStore) -> None:
    events = many(20, T - WEEK - HOUR) + many(5, T - HOUR, category="Installer_CI")
    assert keys(fire(store, events, "no_data")) == [None]
