"""The reports' `--html` pages: each is one self-contained file with its tables; the weekly
one (the page a team opens on Mondays) in headless Chromium loads offline without console
errors, shows every table and fits a laptop screen. One browser run keeps the suite fast;
the pages share the shell and the renderer, so the others are checked as files."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.html_page import write_page
from installer.analytics.query import Scope
from installer.analytics.reports.commands import build
from installer.analytics.reports.render import to_html, to_page, to_text
from installer.analytics.timeutil import DAY, HOUR
from installer.store.event_store import EventStore
from tests.helpers.alert_events import T, ev, mixed
from tests.helpers.chromium import LAPTOP, chromium_path, inspect

# Tables with rows. Compatibility: nothing before its window, so no "new macOS" table.
TABLES = {"weekly": 5, "component-health": 2, "compatibility": 3}


def _page(tmp_path: Path, name: str) -> Path:
    with EventStore(tmp_path / "events.db") as store:
        store.insert(
            mixed(T - HOUR, 5, 3, "vscode_install", arch="x86_64")
            + mixed(T - 2 * DAY, 9, 0, "homebrew_install", os="Darwin25.0")
            + [ev(T - 10 * DAY, "homebrew_install", sha="old0001")]
        )
        report = build(store, name, T, Scope.production())
        return write_page(tmp_path / f"{name}.html", to_page(report))


@pytest.mark.parametrize("name", list(TABLES))
def test_report_page_is_one_offline_file_with_its_tables(tmp_path: Path, name: str) -> None:
    text = _page(tmp_path, name).read_text(encoding="utf-8")
    assert text.count("<table") == TABLES[name]
    assert "<script src=" not in text and "<link " not in text and "@import" not in text
    # No chart on a report page, so no charting library either (issue 17: 4.8 MB of plotly).
    assert "<script" not in text and "plotly" not in text.lower()
    assert len(text) < 50_000
    # The scope, next to the numbers, in the page and in the JSON.
    assert "Scope: category Installer (every number below)" in text
    with EventStore(tmp_path / "events.db") as store:
        doc = build(store, name, T, Scope.production()).serialize()
    assert doc["scope"]["description"] == "category Installer"


WINDOWS = {
    "weekly": [
        "This week: 2026-11-16T12:00:00Z to 2026-11-23T12:00:00Z (end excluded)",
        "Last week: 2026-11-09T12:00:00Z to 2026-11-16T12:00:00Z (end excluded)",
    ],
    "component-health": [
        "Window: 2026-11-22T12:00:00Z to 2026-11-23T12:00:00Z (end excluded)",
        "Triggers' baseline: 2026-11-15T12:00:00Z to 2026-11-22T12:00:00Z (end excluded)",
    ],
    "compatibility": [
        "Window: 2026-10-24T12:00:00Z to 2026-11-23T12:00:00Z (end excluded)",
        "Previous 30 days: 2026-09-24T12:00:00Z to 2026-10-24T12:00:00Z (end excluded)",
    ],
}


@pytest.mark.parametrize("name", list(WINDOWS))
def test_every_form_of_a_report_says_t_and_its_windows(tmp_path: Path, name: str) -> None:
    with EventStore(tmp_path / "events.db") as store:
        report = build(store, name, T, Scope.production())
    for form in (to_text(report), to_html(report), to_page(report)):
        for line in ["T = 2026-11-23T12:00:00Z (UTC)", *WINDOWS[name]]:
            assert line.replace("'", "&#x27;") in form or line in form, (name, line)


@pytest.mark.chromium
@pytest.mark.slow
@pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make test installs it)")
def test_weekly_page_in_chromium(tmp_path: Path) -> None:
    name = "weekly"
    result = inspect(_page(tmp_path, name), {"tables": "table", "rows": "tbody tr"})
    assert result.console_errors == [] and result.network_requests == []
    tables = [b for b in result.boxes["tables"] if b.width > 0 and b.height > 0]
    assert len(tables) == TABLES[name]
    assert result.document_size.width <= LAPTOP[0]
