"""Every widget of SPEC 6's four dashboards against a literal event list, computed by hand
(tests/helpers/dashboard_events.py numbers the events referred to below)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from installer.analytics.dashboards import DashboardQuery, compute
from installer.analytics.dashboards.development import rollbacks
from installer.analytics.dashboards.serialize import to_json
from installer.analytics.query import Counts, Scope
from installer.analytics.timeutil import DAY
from installer.store.event_store import EventStore
from tests.helpers.dashboard_events import (
    DAYS,
    NOV20,
    NOV21,
    NOV22,
    NOV23,
    A,
    B,
    T,
    make_store,
)


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    return EventStore(make_store(tmp_path / "events.db"))


def q(**scope: object) -> DashboardQuery:
    return DashboardQuery(at=T, days=DAYS, scope=Scope(**scope))  # type: ignore[arg-type]


def rows(labelled: list) -> list[tuple[object, int, int]]:  # type: ignore[type-arg]
    return [(r.label, r.counts.events, r.counts.successes) for r in labelled]


def test_overview_widgets(store: EventStore) -> None:
    o = compute("overview", store, q())
    # 1: in the window: events 1, 4-11 except 3 (at T: out) and 2 (a second early: out), 13.
    assert (o.total.events, o.total.successes, o.total.failures) == (10, 7, 3)
    assert o.total.success_rate == 70.0
    # 2: daily volume, every day the window touches, partial days included.
    assert o.days == [NOV20, NOV21, NOV22, NOV23]
    assert o.daily_events == [1, 3, 4, 2]
    # 4: by category, most events first.
    assert rows(o.by_category) == [
        ("Installer", 7, 5),
        ("Installer_CI", 2, 1),
        ("Installer_TEST", 1, 1),
    ]
    w = to_json("overview", o)["widgets"]
    assert w["success_rate"]["success_rate"] == 70.0
    # 3: success vs failure, count and %.
    assert w["success_vs_failure"] == {
        "successes": 7,
        "failures": 3,
        "success_pct": 70.0,
        "failure_pct": 30.0,
    }
    assert w["daily_volume"][0] == {"day": "2026-11-20", "events": 1}


def test_compatibility_widgets(store: EventStore) -> None:
    c = compute("compatibility", store, q())
    # 5 and 7: per architecture; event 13 has no architecture.
    assert rows(c.by_arch) == [("arm64", 6, 5), ("x86_64", 3, 1), (None, 1, 1)]
    # 6: per OS version, most events first.
    assert rows(c.by_os) == [
        ("Darwin14.1", 4, 3),
        ("Darwin13.6", 3, 1),
        ("Darwin15.0", 2, 2),
        (None, 1, 1),
    ]
    # 8: events per OS version per day.
    assert dict(c.os_daily_events) == {
        "Darwin14.1": [1, 1, 2, 0],
        "Darwin13.6": [0, 2, 1, 0],
        "Darwin15.0": [0, 0, 0, 2],
        None: [0, 0, 1, 0],
    }
    w = to_json("compatibility", c)["widgets"]
    assert w["per_architecture"][0] == {
        "arch": "arm64",
        "events": 6,
        "success_rate": 83.33,
        "failure_rate": 16.67,
    }
    assert w["per_architecture"][1]["success_rate"] == 33.33
    assert w["architecture_vs_success_rate"][1] == {
        "arch": "x86_64",
        "events": 3,
        "success_rate": 33.33,
    }
    assert w["per_os_version"][2] == {"os": "Darwin15.0", "events": 2, "success_rate": 100.0}


def test_components_widgets(store: EventStore) -> None:
    c = compute("components", store, q())
    # 9: one failure each: ties by name.
    table = [(r.label, r.counts.successes, r.counts.failures) for r in c.by_component]
    assert table == [("brew_install", 3, 1), ("conda_install", 2, 1), ("vscode", 2, 1)]
    # 10: top failing.
    assert [(r.label, r.counts.failures) for r in c.top_failing] == [
        ("brew_install", 1),
        ("conda_install", 1),
        ("vscode", 1),
    ]
    # 11: daily success % of the most used; a day without events has no rate.
    rates = {k: [d.success_rate for d in v] for k, v in c.daily_success.items()}
    assert rates == {
        "brew_install": [100.0, 0.0, 100.0, 100.0],
        "conda_install": [None, 50.0, 100.0, None],
        "vscode": [None, None, 50.0, 100.0],
    }
    # 12: component x architecture.
    assert c.arches == ["arm64", "x86_64", None]
    heat = {k: [cell.total.success_rate for cell in v] for k, v in c.heat.items()}
    assert heat == {
        "brew_install": [100.0, 0.0, 100.0],
        "conda_install": [50.0, 100.0, None],
        "vscode": [100.0, 0.0, None],
    }
    # No cell has a day with 5 events: none has a worst day to colour by.
    assert all(cell.worst_day is None for cells in c.heat.values() for cell in cells)
    assert c.trend_reasons == dict.fromkeys(rates, "most used")
    w = to_json("components", c)["widgets"]
    assert w["per_component"][1]["success_rate"] == 66.67
    assert w["component_arch_heatmap"]["rows"][1]["success_rate"] == [50.0, 100.0, None]
    assert w["component_arch_heatmap"]["rows"][1]["worst_day"] == [None, None, None]


def test_development_widgets(store: EventStore) -> None:
    d = compute("development", store, q())
    # 13: newest first; first seen over the whole history (event 12), last seen before T
    # (event 3 at T is out).
    table = [
        (r.sha, r.counts.events, r.counts.successes, r.first_seen, r.last_seen, r.rollback)
        for r in d.by_sha
    ]
    assert table == [
        (B, 4, 2, NOV21 + 11 * 3600, NOV22 + 9 * 3600 + 1200, False),
        (A, 5, 4, NOV16_10H, NOV23 + 9 * 3600, True),
        (None, 1, 1, None, None, False),
    ]
    # 14: events per SHA per day; A came back on Nov 23 after B was seen on Nov 22.
    assert dict(d.sha_daily_events) == {B: [0, 1, 3, 0], A: [1, 2, 0, 2], None: [0, 0, 1, 0]}
    assert d.by_sha[1].returned_on == [NOV23]
    # 15: CI vs production per component.
    pairs = [
        (r.component, r.production.events, r.production.successes, r.ci.events, r.ci.successes)
        for r in d.ci_vs_production
    ]
    assert pairs == [
        ("brew_install", 4, 3, 0, 0),
        ("conda_install", 3, 2, 0, 0),
        ("vscode", 0, 0, 2, 1),
    ]
    assert d.ci_vs_production[2].production.success_rate is None  # no data, not 0%
    # 16: the last 7 days [Nov 16 12:00, T): event 2 is in, event 12 (10:00) is out.
    assert rows(d.by_category_7d) == [
        ("Installer", 8, 6),
        ("Installer_CI", 2, 1),
        ("Installer_TEST", 1, 1),
    ]
    w = to_json("development", d)["widgets"]
    assert w["per_sha"][1] == {
        "sha": A,
        "events": 5,
        "success_rate": 80.0,
        "failure_rate": 20.0,
        "first_seen": "2026-11-16T10:00:00Z",
        "last_seen": "2026-11-23T09:00:00Z",
        "rollback": True,
        "returned_on": ["2026-11-23"],
    }
    assert [c["pct"] for c in w["events_by_category_7d"]["categories"]] == [72.73, 18.18, 9.09]
    series = {x["sha"]: x["rollback_days"] for x in w["sha_daily_events"]["series"]}
    assert series == {B: [], A: ["2026-11-23"], None: []}
    assert w["ci_vs_production"][2]["production"] == {"events": 0, "success_rate": None}


NOV16_10H = NOV20 - 4 * DAY + 10 * 3600


def test_segments_filter_every_widget(store: EventStore) -> None:
    o = compute("overview", store, q(arch="x86_64"))
    assert (o.total.events, o.total.successes) == (3, 1)  # events 4, 5, 9
    o = compute("overview", store, q(os="Darwin15.0"))
    assert (o.total.events, o.total.successes) == (2, 2)
    o = compute("overview", store, q(categories=("Installer_CI",)))
    assert (o.total.events, o.total.successes, o.daily_events) == (2, 1, [0, 0, 2, 0])
    d = compute("development", store, q(arch="x86_64"))
    assert [(r.sha, r.first_seen) for r in d.by_sha] == [
        (B, NOV22 + 9 * 3600 + 1200),
        (A, NOV21 + 10 * 3600),
    ]


def test_an_empty_window_is_no_data_never_zero_or_hundred(store: EventStore) -> None:
    later = DashboardQuery(at=T + 400 * DAY, days=DAYS)
    o = compute("overview", store, later)
    assert o.total == Counts() and o.total.success_rate is None
    w = to_json("overview", o)["widgets"]
    assert w["success_rate"]["success_rate"] is None
    assert w["success_vs_failure"]["success_pct"] is None
    assert (
        to_json("components", compute("components", store, later))["widgets"]["per_component"] == []
    )


def test_rollback_needs_a_newer_sha_during_the_gap() -> None:
    days = [0, DAY, 2 * DAY, 3 * DAY]
    # A stops while B takes over on the same day: stragglers, not a rollback.
    assert rollbacks({"a": [5, 1, 0, 0], "b": [0, 4, 5, 5]}, days, {"a": 0, "b": DAY}, 0) == {}
    # A is absent on a day only B (newer) had events, then A is back: rolled back.
    assert rollbacks({"a": [5, 0, 3, 0], "b": [0, 4, 0, 5]}, days, {"a": 0, "b": DAY}, 0) == {
        "a": [2 * DAY]
    }
    # A gap with no newer SHA around (a quiet weekend) is not a rollback.
    assert rollbacks({"a": [5, 0, 3, 0], "b": [0, 0, 0, 5]}, days, {"a": 0, "b": 3 * DAY}, 0) == {}
    # An older SHA never "returns" to a newer one's disadvantage: b is newer than a.
    assert rollbacks({"a": [5, 0, 0, 0], "b": [0, 4, 0, 5]}, days, {"a": 0, "b": DAY}, 0) == {}
    # A SHA that existed before the window and reappears after the newer one ran.
    assert rollbacks({"a": [0, 0, 3, 0], "b": [4, 4, 0, 0]}, days, {"a": -DAY, "b": 0}, 0) == {
        "a": [2 * DAY]
    }


def test_terminal_sparklines_fit_and_show_no_data_as_blank() -> None:
    from installer.analytics.dashboards.terminal import SPARK_WIDTH, rate_text, sparkline

    assert len(sparkline([float(i) for i in range(365)]).plain) <= SPARK_WIDTH
    assert sparkline([1.0, None, 3.0]).plain == "▃ █"  # counts: 0 to the largest
    assert sparkline([None, None]).plain == "no data"
    assert rate_text(None).plain == "no data"
    assert rate_text(0.0).plain == "0.00%"  # a real 0% (all failed) is shown as such


def test_sparklines_of_rates_use_a_fixed_0_to_100_scale() -> None:
    """Issue 17: scaled per row, a 95.7 % day drew the same lowest bar as a 72 % outage."""
    from installer.analytics.dashboards.terminal import RATE_SCALE, SPARK, sparkline

    good_week = sparkline([95.0, 99.0, 100.0], RATE_SCALE).plain
    outage = sparkline([72.0, 99.0, 100.0], RATE_SCALE).plain
    assert good_week[0] != outage[0]  # a 95 % day and a 72 % day draw different bars
    assert SPARK.index(good_week[0]) > SPARK.index(outage[0])
    assert sparkline([0.0, 100.0], RATE_SCALE).plain == SPARK[0] + SPARK[-1]
    # The same day draws the same bar whatever the rest of the row.
    assert sparkline([95.0, 96.0], RATE_SCALE).plain[0] == good_week[0]


def test_heat_map_cell_is_coloured_by_its_worst_day() -> None:
    from installer.analytics.dashboards.components import WORST_DAY_MIN_EVENTS, worst_day
    from installer.analytics.query import Counts

    days = [0, DAY, 2 * DAY]
    per_day = {
        0: Counts(100, 99),
        DAY: Counts(40, 28),  # 70 %: a 6-hour outage
        2 * DAY: Counts(WORST_DAY_MIN_EVENTS - 1, 0),  # 0 % of too few events: not a day
    }
    assert worst_day(days, per_day) == (DAY, Counts(40, 28))
    assert worst_day(days, {2 * DAY: Counts(WORST_DAY_MIN_EVENTS, 0)}) == (
        2 * DAY,
        Counts(WORST_DAY_MIN_EVENTS, 0),
    )
    assert worst_day(days, {}) == (None, Counts())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(0, 60))),
        min_size=0,
        max_size=12,
    )
)
def test_worst_day_is_the_day_of_the_lowest_exact_rate(
    cells: list[tuple[int, int] | None],
) -> None:
    # worst_day compares rates as integer products; the definition compares the exact
    # fractions (ties: the earliest day).
    from installer.analytics.dashboards.components import WORST_DAY_MIN_EVENTS, worst_day

    days = [i * DAY for i in range(len(cells))]
    per_day = {
        d: Counts(max(a, b), min(a, b)) for d, cell in zip(days, cells) if cell for a, b in [cell]
    }
    qualifying = [
        (per_day[d].exact_success_rate, d)
        for d in days
        if d in per_day and per_day[d].events >= WORST_DAY_MIN_EVENTS
    ]
    if not qualifying:
        assert worst_day(days, per_day) == (None, Counts())
    else:
        lowest = min(r for r, _ in qualifying)
        day = min(d for r, d in qualifying if r == lowest)
        assert worst_day(days, per_day) == (day, per_day[day])
