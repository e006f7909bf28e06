"""The dashboards page's charts (page.py) as figures: what each card draws, without a browser
(tests/analytics/test_dashboard_html.py loads the page in Chromium)."""

from __future__ import annotations

from pathlib import Path

from installer.analytics.dashboards import DASHBOARDS, DashboardQuery, compute
from installer.analytics.dashboards.page import dashboards_page
from installer.analytics.timeutil import DAY
from installer.store.event_store import EventStore
from tests.helpers.dashboard_events import DAYS, T, make_store

PLOT = 'class="plotly-graph-div"'


def _page(db: Path, at: int) -> str:
    with EventStore(db) as store:
        query = DashboardQuery(at=at, days=DAYS)
        return dashboards_page([(name, compute(name, store, query)) for name in DASHBOARDS])


def test_a_window_without_events_draws_no_empty_charts(tmp_path: Path) -> None:
    db = make_store(tmp_path / "events.db")
    assert _page(db, T).count(PLOT) == 11  # every chart has something to draw
    # No events: only the daily volume is drawn (a row of real zeros); every other chart
    # says "no data" instead of empty axes (a date axis without points is a smear of ticks).
    empty = _page(db, T + 400 * DAY)
    assert empty.count(PLOT) == 1
    # Failures over time, success vs failure, categories; 2 compatibility; trend and heat
    # map; SHA lines, CI chart, category bars.
    assert empty.count('<p class="note">no data</p>') == 10


def test_the_page_says_how_tables_are_ordered_and_what_a_rollback_is(tmp_path: Path) -> None:
    page = _page(make_store(tmp_path / "events.db"), T)
    assert "Per commit SHA (newest first: latest first seen on top)" in page
    assert "Per component (most failures first, then by name)" in page
    assert "Per OS version (most events first, then by name)" in page
    assert "Rollback (x): a SHA has events again on a UTC day after" in page
