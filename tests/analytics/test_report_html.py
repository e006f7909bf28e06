"""Each report's `--html` page in headless Chromium: loads offline without console errors,
shows its tables, fits a laptop screen."""

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

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.slow,
    pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make test installs it)"),
]

TABLES = {"weekly": 5, "component-health": 2, "compatibility": 4}  # tables with rows


@pytest.mark.parametrize("name", list(TABLES))
def test_report_page_in_chromium(tmp_path: Path, name: str) -> None:
    with EventStore(tmp_path / "events.db") as store:
        store.insert(
            mixed(T - HOUR, 5, 3, "vscode_install", arch="x86_64")
            + mixed(T - 2 * DAY, 9, 0, "homebrew_install", os="Darwin25.0")
            + [ev(T - 10 * DAY, "homebrew_install", sha="old0001")]
        )
        report = build(store, name, T, Scope.production())
        page = write_page(tmp_path / f"{name}.html", to_page(report))
    result = inspect(page, {"tables": "table", "rows": "tbody tr"})
    assert result.console_errors == [] and result.network_requests == []
    tables = [b for b in result.boxes["tables"] if b.width > 0 and b.height > 0]
    assert len(tables) == TABLES[name]
    assert result.document_size.width <= LAPTOP[0]
