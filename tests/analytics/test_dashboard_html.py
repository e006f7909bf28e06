"""The HTML page in Debian's headless Chromium: loads offline with no console errors and no
network requests, every chart is drawn (elements with a real size), fits a laptop screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.dashboards import DASHBOARDS, DashboardQuery, compute
from installer.analytics.dashboards.page import dashboards_page
from installer.analytics.html_page import write_page
from installer.analytics.timeutil import DAY
from installer.store.event_store import EventStore
from tests.helpers.chromium import LAPTOP, browser, chromium_path
from tests.helpers.dashboard_events import DAYS, T, make_store

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make test installs it)"),
]

CHARTS = 11  # 3 overview + 2 compatibility + 3 components + 3 development (no pies)
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
    tmp_path.mkdir(parents=True, exist_ok=True)
    with EventStore(make_store(tmp_path / "events.db")) as store:
        query = DashboardQuery(at=at, days=DAYS)
        results = [(name, compute(name, store, query)) for name in DASHBOARDS]
    return write_page(tmp_path / "dashboards.html", dashboards_page(results))


def _sized(boxes: list) -> list:  # type: ignore[type-arg]
    return [b for b in boxes if b.width > 0 and b.height > 0]


@pytest.mark.timeout(400)  # one browser start can take a minute on a loaded 2-core machine
def test_pages_render_every_chart_offline(tmp_path: Path) -> None:
    full = _page(tmp_path / "full", T)
    empty = _page(tmp_path / "empty", T + 400 * DAY)  # a window without events
    # The checks can fail: a page that logs an error and fetches from the network is caught.
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><script>console.error('boom')</script>"
        '<img src="http://127.0.0.1:9/pixel.png"></body></html>',
        encoding="utf-8",
    )
    with browser() as page:
        bad_report = page.report(page.open(bad))
        report = page.report(page.open(full), SELECTORS)
        empty_report = page.report(page.open(empty), SELECTORS)
    assert any("boom" in e for e in bad_report.console_errors)
    assert "http://127.0.0.1:9/pixel.png" in bad_report.network_requests
    assert report.url in report.requests  # requests are recorded (the page itself is one)
    (tmp_path / "dashboards.png").write_bytes(report.screenshot)
    assert report.console_errors == []
    assert report.network_requests == []
    assert report.screenshot.startswith(b"\x89PNG") and len(report.screenshot) > 50_000
    charts = report.boxes["charts"]
    assert len(charts) == CHARTS and len(_sized(charts)) == CHARTS
    assert all(b.height >= 200 for b in charts)  # the category bars are 200 px
    # Each kind of chart drew its marks: lines, bars, the heat map; no pie (issue 17: the
    # success/failure numbers are a table, the categories bars with counts and shares).
    assert len(_sized(report.boxes["lines"])) >= 5
    assert len(_sized(report.boxes["bars"])) >= 6
    assert report.boxes["pie_slices"] == []
    assert len(_sized(report.boxes["heatmap"])) == 1
    assert len(_sized(report.boxes["tables"])) == 6
    # Readable on a laptop: nothing wider than the screen (no sideways scrolling).
    assert report.document_size.width <= LAPTOP[0]
    # No data: the page still loads cleanly and says so instead of drawing 0% or 100%.
    assert "no data" in empty.read_text(encoding="utf-8")
    assert empty_report.console_errors == [] and empty_report.network_requests == []
    assert empty_report.document_size.width <= LAPTOP[0]


LONG = "install_visual_studio_code_extensions_for_python_and_jupyter_notebooks"


@pytest.mark.timeout(400)
def test_long_component_names_leave_room_for_the_numbers(tmp_path: Path) -> None:
    from installer.events.normalise import normalise_hit

    hits = [
        normalise_hit(
            {
                "e_c": category,
                "e_a": "Event",
                "e_n": name + ("_network_error" if i % 3 == 0 else ""),
                "e_v": "0" if i % 3 == 0 else "1",
                "cdt": str(T - (i + 1) * 3600),
                "dimension2": ("arm64", "x86_64")[i % 2],
                "dimension6": f"run{i}",
            },
            received_at=None,
        )
        for i, (name, category) in enumerate(
            [
                (n, c)
                for n in (LONG, f"{LONG}_and_more", "git")
                for c in ("Installer", "Installer_CI")
            ]
            * 4
        )
    ]
    with EventStore(tmp_path / "events.db") as store:
        store.insert(hits)
        query = DashboardQuery(at=T, days=DAYS)
        results = [(name, compute(name, store, query)) for name in DASHBOARDS]
    path = write_page(tmp_path / "long.html", dashboards_page(results))
    with browser() as page:
        url = page.open(path)
        # Tables that need sideways scrolling inside their card hide the numbers.
        scrolling = page.evaluate(
            "Array.from(document.querySelectorAll('.tablewrap'))"
            ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
        )
        report = page.report(
            url,
            {"heatmap": ".heatmaplayer image", "charts": ".js-plotly-plot:has(.heatmaplayer)"},
        )
    (tmp_path / "long.png").write_bytes(report.screenshot)
    assert report.console_errors == [] and scrolling == 0
    # The heat map keeps most of its chart's width (its labels are cut, not the plot).
    (heat,) = report.boxes["heatmap"]
    assert heat.width >= 0.4 * max(b.width for b in report.boxes["charts"])
