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
from installer.analytics.reports.render import to_page
from installer.analytics.store import EventStore
from installer.analytics.timeutil import DAY, HOUR
from tests.helpers.alert_events import T, ev, mixed
from tests.helpers.chromium import LAPTOP, chromium_path, inspect

TABLES = {"weekly": 5, "component-health": 2, "compatibility": 4}  # tables with rows


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
