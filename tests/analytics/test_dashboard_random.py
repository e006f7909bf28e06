"""Dashboards against a brute-force count of random events, for windows that start and end
mid-day (so whole days come from the daily rollup and the edges from the events)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.analytics.dashboards import DashboardQuery, compute
from installer.analytics.timeutil import DAY, parse_moment
from installer.events.normalise import normalise_hit
from installer.store.event_store import EventStore

T0 = parse_moment("2026-11-01T00:00:00Z")

events = st.lists(
    st.tuples(
        st.integers(0, 10 * DAY),  # offset from T0
        st.sampled_from(["a", "b", "a_network_error", "c_disk_error"]),
        st.sampled_from(["1", "0"]),
        st.sampled_from(["arm64", "x86_64", ""]),
    ),
    max_size=60,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=events, at=st.integers(2 * DAY, 11 * DAY), days=st.integers(1, 5))
def test_overview_and_components_match_a_brute_force_count(
    tmp_path: Path, batch: list[tuple[int, str, str, str]], at: int, days: int
) -> None:
    db = tmp_path / f"r{len(batch)}-{at}-{days}.db"
    db.unlink(missing_ok=True)
    hits = [
        normalise_hit(
            {
                "e_c": "Installer",
                "e_a": "Event",
                "e_n": name,
                "e_v": value,
                "cdt": str(T0 + offset),
                "dimension2": arch,
                "dimension6": f"r{i}",
            },
            received_at=None,
        )
        for i, (offset, name, value, arch) in enumerate(batch)
    ]
    end = T0 + at
    start = end - days * DAY
    inside = [e for e in hits if start <= e.ts < end]
    with EventStore(db) as store:
        store.insert(hits)
        query = DashboardQuery(at=end, days=days)
        o = compute("overview", store, query)
        c = compute("components", store, query)
    assert (o.total.events, o.total.successes) == (len(inside), sum(e.success for e in inside))
    per_day = Counter((e.ts // DAY) * DAY for e in inside)
    assert o.daily_events == [per_day.get(d, 0) for d in o.days]
    assert sum(o.daily_events) == len(inside)
    failures = Counter(e.component for e in inside if not e.success)
    assert {r.label: r.counts.failures for r in c.by_component} == {
        comp: failures.get(comp, 0) for comp in {e.component for e in inside}
    }
    for component, cells in c.heat.items():
        for arch, cell in zip(c.arches, cells):
            group = [e for e in inside if e.component == component and e.arch == arch]
            assert (cell.total.events, cell.total.successes) == (
                len(group),
                sum(e.success for e in group),
            )
