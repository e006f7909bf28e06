"""The dashboards page's charts (page.py) as figures: what each card draws, without a browser
(tests/analytics/test_dashboard_html.py loads the page in Chromium)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from installer.analytics.dashboards import DASHBOARDS, DashboardQuery, compute
from installer.analytics.dashboards.page import dashboards_page, widgets
from installer.analytics.html_page import Chart, figure_of, plotly_figure
from installer.analytics.timeutil import DAY, parse_moment
from installer.store.event_store import EventStore
from tests.helpers.dashboard_events import DAYS, T, make_store

PLOT = 'class="plotly-graph-div"'
FIXTURE = Path(__file__).parent / "data" / "store-v4.sqlite3"  # a month of realistic hits


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


def _charts(db: Path, at: int, days: int) -> list[Chart]:
    with EventStore(db) as store:
        query = DashboardQuery(at=at, days=days)
        found = [
            part
            for name in DASHBOARDS
            for w in widgets(compute(name, store, query), lambda c: f"/component?component={c}")
            for part in w.parts
            if isinstance(part, Chart)
        ]
    return found


@pytest.mark.parametrize("days", [DAYS, 7, 30, 365])
def test_every_chart_is_drawn_as_plotly_validation_would_draw_it(tmp_path: Path, days: int) -> None:
    # The pages skip plotly's Figure validation (0.1-0.2 s a page over a year of days) and
    # build its result themselves: every figure the dashboards make must come out as
    # plotly's own `Figure(figure).to_plotly_json()`, named colour scale, default template,
    # dropped None properties and all, once encoded as the page encodes it.
    db = shutil.copy(FIXTURE, tmp_path / "month.sqlite3")
    charts = _charts(make_store(tmp_path / "events.db"), T, days)
    charts += _charts(Path(db), parse_moment("2026-12-01T00:00:00Z"), days)
    assert len(charts) >= 20
    kinds = {t.get("type", "scatter") for c in charts for t in c.figure["data"]}
    assert {"scatter", "bar", "heatmap"} <= kinds
    for chart in charts:
        validated = go.Figure(figure_of(chart)).to_plotly_json()
        assert json.loads(to_json_plotly(plotly_figure(chart))) == json.loads(
            to_json_plotly(validated)
        )


def test_a_figure_with_none_empty_and_named_scale_comes_out_as_plotly_makes_it() -> None:
    chart = Chart(
        {
            "data": [
                {"x": (1, 2), "y": [None, 3], "name": None, "marker": {"color": None}},
                {"type": "heatmap", "z": [[1, None]], "colorscale": "RdYlGn"},
                {"type": "bar", "marker": {}, "text": ["a", None]},
            ],
            "layout": {"xaxis": {}, "shapes": [{"type": "line", "x0": 1, "line": {"dash": None}}]},
        }
    )
    validated = go.Figure(figure_of(chart)).to_plotly_json()
    assert json.loads(to_json_plotly(plotly_figure(chart))) == json.loads(to_json_plotly(validated))
