"""`analytics serve` in a real browser (issue 17 acceptance): Debian's headless chromium
driven by Playwright (launched with `executable_path`; Playwright's own browser download is
never used). Each page loads cleanly, each filter applied through the page's form changes
the URL and the numbers, the numbers on the page equal the JSON of the same query, and a
drill-down leads from a component to one run's timeline. Screenshots are kept in
build/test-artifacts/serve/ (git-ignored)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from installer.analytics.timeutil import display_rate, format_moment
from tests.helpers.chromium import chromium_path
from tests.helpers.dashboard_events import T, make_store

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.chromium,
    pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make test installs it)"),
]

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "build" / "test-artifacts" / "serve"
AT = format_moment(T)
PAGES = ("overview", "compatibility", "components", "development")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = make_store(tmp_path_factory.mktemp("serve") / "events.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "installer", "analytics", "serve", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"at (http://\S+)/", proc.stdout.readline())
    assert match, "the server did not start"
    yield match.group(1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


class Tab:
    """One page with what it logged and every request it made."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.page = browser.new_page(viewport={"width": 1440, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def go(self, path: str) -> None:
        answer = self.page.goto(self.base + path)
        assert answer is not None and answer.status == 200, path
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(300)  # plotly draws in promise callbacks

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)

    def same_query_json(self) -> Any:
        """The JSON twin of the page now shown: the same path and query under /api."""
        url = urlparse(self.page.url)
        with urllib.request.urlopen(f"{self.base}/api{url.path}?{url.query}", timeout=30) as r:
            return json.load(r)

    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlparse(self.page.url).query)

    def apply(self, **fields: str) -> None:
        """Fill the filter form as a user would and press Apply."""
        form = self.page.locator("form.filters")
        for name, value in fields.items():
            form.locator(f'input[name="{name}"]').fill(value)
        form.locator('button[type="submit"]').click()
        self.settle()


def _headline_matches(tab: Tab) -> dict[str, Any]:
    doc = tab.same_query_json()
    numbers = doc["dashboard"]["widgets"]["success_rate"]
    headline = tab.page.locator(".headline").first.inner_text()
    assert headline == display_rate(numbers["success_rate"])
    body = tab.page.inner_text("main")
    assert f"{numbers['events']} events: {numbers['successes']} successes" in body
    assert doc["scope"]["description"] in body  # the scope is stated next to the numbers
    return doc


def test_every_page_loads_cleanly_with_its_numbers(browser: Any, server: str) -> None:
    tab = Tab(browser, server)
    for name in PAGES:
        tab.go(f"/{name}?at={AT}&days=3")
        tab.shot(name)
        assert tab.errors == [], (name, tab.errors)
        assert tab.page.locator("#alerts").count() == 1
        assert "Data as of" in tab.page.inner_text("#as-of")
        assert tab.page.locator(".js-plotly-plot").count() >= 1
    # Nothing leaves the machine: the page, plotly.js and the JSON all come from the server.
    assert all(u.startswith(server) for u in tab.requests), tab.requests
    # The components table against its JSON, row by row.
    tab.go(f"/components?at={AT}&days=3")
    doc = tab.same_query_json()["dashboard"]["widgets"]["per_component"]
    rows = tab.page.locator("table").first.locator("tbody tr").all_inner_texts()
    shown = [r.split("\t") for r in rows]
    expected = [
        [
            r["component"],
            str(r["events"]),
            str(r["successes"]),
            str(r["failures"]),
            display_rate(r["success_rate"]),
        ]
        for r in doc
    ]
    assert [[c.strip() for c in row] for row in shown] == expected


def test_each_filter_through_the_form(browser: Any, server: str) -> None:
    tab = Tab(browser, server)
    tab.go(f"/overview?at={AT}&days=3")
    everything = _headline_matches(tab)["dashboard"]["widgets"]["success_rate"]["events"]
    steps = [
        ({"category": "Installer"}, "category", "Installer"),
        ({"arch": "arm64"}, "arch", "arm64"),
        ({"os": "Darwin14.1"}, "os", "Darwin14.1"),
        ({"component": "brew_install"}, "component", "brew_install"),
    ]
    for fields, key, value in steps:
        tab.apply(**fields)
        assert tab.params()[key] == [value]  # in the URL: the page can be shared
        doc = _headline_matches(tab)
        assert doc["scope"][key if key != "category" else "categories"] in (value, [value])
        assert tab.errors == []
    narrowed = doc["dashboard"]["widgets"]["success_rate"]["events"]
    assert 0 < narrowed < everything
    tab.shot("overview-filtered")
    # A shared URL opens the same page.
    other = Tab(browser, server)
    other.go(tab.page.url.removeprefix(server))
    assert (
        other.page.locator(".headline").first.inner_text()
        == tab.page.locator(".headline").first.inner_text()
    )
    # Date range: the last N days, then whole days from .. to.
    tab.go("/overview")
    tab.apply(at=AT, days="1")
    assert tab.params()["days"] == ["1"]
    one_day = _headline_matches(tab)
    assert one_day["window"]["from"] == format_moment(T - 86400)
    tab.go("/overview")
    tab.page.locator('input[name="from"]').fill("2026-11-21")
    tab.page.locator('input[name="to"]').fill("2026-11-22")
    tab.page.locator('button[type="submit"]').click()
    tab.settle()
    assert tab.params()["from"] == ["2026-11-21"] and tab.params()["to"] == ["2026-11-22"]
    doc = _headline_matches(tab)
    assert doc["window"] == {"from": "2026-11-21T00:00:00Z", "to": "2026-11-23T00:00:00Z"}
    tab.shot("overview-from-to")
    # A bad value typed into the form: a 400 page that says what is wrong.
    tab.go("/overview")
    tab.apply(days="0")
    assert "is not a number of days" in tab.page.inner_text("#problem")
    tab.shot("bad-parameter")


def test_drill_down_from_a_component_to_one_run(browser: Any, server: str) -> None:
    tab = Tab(browser, server)
    tab.go(f"/components?at={AT}&days=3")
    tab.page.get_by_role("link", name="conda_install", exact=True).first.click()
    tab.settle()
    assert urlparse(tab.page.url).path == "/component"
    doc = tab.same_query_json()
    by_system = {(r["os"], r["arch"]): r for r in doc["by_os_arch"]}
    body = tab.page.inner_text("main")
    assert "Darwin14.1 / arm64" in body and "Darwin13.6 / x86_64" in body
    assert by_system[("Darwin14.1", "arm64")]["failures"] == 1
    tab.shot("drill-1-component")
    tab.page.get_by_role("link", name="Darwin14.1 / arm64").click()
    tab.settle()
    assert tab.same_query_json()["failures_by_error"] == [{"error": "disk_error", "failures": 1}]
    tab.shot("drill-2-errors")
    tab.page.get_by_role("link", name="disk_error").click()
    tab.settle()
    runs = tab.same_query_json()["runs"]
    assert [r["run"] for r in runs] == ["run6"]
    tab.shot("drill-3-runs")
    tab.page.get_by_role("link", name="run6").click()
    tab.settle()
    assert urlparse(tab.page.url).path == "/run/run6"
    timeline = tab.page.inner_text("main")
    assert "conda_install" in timeline and "failed" in timeline and "disk_error" in timeline
    assert tab.same_query_json()["events"][0]["outcome"] == "failed"
    assert tab.errors == []
    tab.shot("drill-4-run")
