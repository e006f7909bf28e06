"""The HTML page in Debian's headless Chromium: loads offline with no console errors and no
network requests, every chart is drawn (elements with a real size), fits a laptop screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.dashboards import DASHBOARDS, DashboardQuery, compute
from installer.analytics.dashboards.page import dashboards_page
from installer.analytics.html_page import write_page
from installer.analytics.store import EventStore
from installer.analytics.timeutil import DAY
from tests.helpers.chromium import LAPTOP, chromium_path, inspect
from tests.helpers.dashboard_events import DAYS, T, make_store

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make test installs it)"),
]

CHARTS = 11  # 3 overview + 2 compatibility + 3 components + 3 development
SELECTORS = {
    "charts": ".js-plotly-plot",
    "plot_areas": ".js-plotly-plot .main-svg .cartesianlayer .plot, .js-plotly-plot .pielayer",
    "lines": ".scatterlayer .trace .js-line",
    "bars": ".barlayer .point path",
    "pie_slices": ".pielayer .slice path",
    "heatmap": ".heatmaplayer image",
    "tables": "table",
}


def _page(tmp_path: Path, at: int) -> Path:
    with EventStore(make_store(tmp_path / "events.db")) as store:
        query = DashboardQuery(at=at, days=DAYS)
        results = [(name, compute(name, store, query)) for name in DASHBOARDS]
    return write_page(tmp_path / "dashboards.html", dashboards_page(results))


def _sized(boxes: list) -> list:  # type: ignore[type-arg]
    return [b for b in boxes if b.width > 0 and b.height > 0]


def test_page_renders_every_chart_offline(tmp_path: Path) -> None:
    report = inspect(_page(tmp_path, T), SELECTORS)
    (tmp_path / "dashboards.png").write_bytes(report.screenshot)
    assert report.console_errors == []
    assert report.network_requests == []
    assert report.screenshot.startswith(b"\x89PNG") and len(report.screenshot) > 50_000
    charts = report.boxes["charts"]
    assert len(charts) == CHARTS and len(_sized(charts)) == CHARTS
    assert all(b.height >= 300 for b in charts)
    # Each kind of chart drew its marks: lines, bars, pie slices, the heat map.
    assert len(_sized(report.boxes["lines"])) >= 5
    assert len(_sized(report.boxes["bars"])) >= 6
    assert len(_sized(report.boxes["pie_slices"])) >= 4  # success/failure + 3 categories
    assert len(_sized(report.boxes["heatmap"])) == 1
    assert len(_sized(report.boxes["tables"])) == 5
    # Readable on a laptop: nothing wider than the screen (no sideways scrolling).
    assert report.document_size.width <= LAPTOP[0]


def test_page_with_no_data_still_loads_cleanly(tmp_path: Path) -> None:
    page = _page(tmp_path, T + 400 * DAY)
    assert "no data" in page.read_text(encoding="utf-8")
    report = inspect(page, SELECTORS)
    assert report.console_errors == [] and report.network_requests == []
