"""`analytics serve` (issue 17) through Flask's test client on a real store file: every page
answers, filters come from the URL, the drill-down reaches one run, bad parameters are a
400 page that says what is wrong; and the real server (waitress) as users start it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from installer.analytics.serve.app import ServeConfig, create_app
from installer.analytics.settings import AnalyticsSettings
from installer.analytics.timeutil import DAY, format_moment
from tests.helpers.dashboard_events import T, make_store

AT = format_moment(T)
Q = f"at={AT}&days=3"
PAGES = ("overview", "compatibility", "components", "development")


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    db = make_store(tmp_path / "events.db")
    app = create_app(ServeConfig(db=db, settings=AnalyticsSettings(), clock=lambda: T))
    return app.test_client()


def _json(client: FlaskClient, url: str) -> Any:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return json.loads(answer.get_data(as_text=True))


@pytest.mark.parametrize("name", PAGES)
def test_every_dashboard_page_and_its_json(client: FlaskClient, name: str) -> None:
    answer = client.get(f"/{name}?{Q}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert "Data as of <b>2026-11-23T12:00:00Z</b>" in page  # event 3, at T: the newest
    assert "all categories" in page  # the scope next to the numbers
    assert 'id="alerts"' in page  # the banner is always there
    assert "/static/plotly.min.js" in page and "Plotly.newPlot" in page
    assert 'http-equiv="refresh"' not in page  # a fixed `at`: nothing to refresh
    doc = _json(client, f"/api/{name}?{Q}")
    assert doc["data_as_of"] == AT and doc["scope"]["description"] == "all categories"
    assert doc["dashboard"]["dashboard"] == name
    assert doc["window"] == {"from": format_moment(T - 3 * DAY), "to": AT}


def test_a_live_page_refreshes_itself_and_its_links_stay_live(client: FlaskClient) -> None:
    page = client.get("/overview?days=3").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="60">' in page
    assert "this page reloads every 60 s" in page
    assert 'href="/components?days=3"' in page  # the filters travel with the navigation


def test_filters_in_the_url_narrow_the_numbers(client: FlaskClient) -> None:
    overview = _json(client, f"/api/overview?{Q}")["dashboard"]["widgets"]
    assert overview["success_rate"]["events"] == 10
    prod = _json(client, f"/api/overview?{Q}&category=Installer")
    assert prod["dashboard"]["widgets"]["success_rate"]["events"] == 7
    assert prod["scope"]["description"] == "category Installer"
    arch = _json(client, f"/api/overview?{Q}&arch=x86_64")["dashboard"]["widgets"]
    assert arch["success_rate"]["events"] == 3
    os_doc = _json(client, f"/api/overview?{Q}&os=Darwin15.0")["dashboard"]["widgets"]
    assert os_doc["success_rate"]["events"] == 2
    comp = _json(client, f"/api/components?{Q}&component=vscode")["dashboard"]["widgets"]
    assert [r["component"] for r in comp["per_component"]] == ["vscode"]
    # from/to: whole UTC days, both included: Nov 21 and 22.
    days = _json(client, "/api/overview?from=2026-11-21&to=2026-11-22")
    assert days["window"] == {"from": "2026-11-21T00:00:00Z", "to": "2026-11-23T00:00:00Z"}
    assert days["dashboard"]["widgets"]["success_rate"]["events"] == 7
    # Empty form fields count as not given.
    same = _json(client, f"/api/overview?{Q}&arch=&os=&component=")
    assert same["dashboard"]["widgets"] == overview


def test_failures_over_time_are_hourly_up_to_7_days(client: FlaskClient) -> None:
    hourly = _json(client, f"/api/overview?{Q}")["dashboard"]["widgets"]["failures_over_time"]
    assert hourly["bucket"] == "hour" and len(hourly["points"]) == 72
    failed = {p["start"]: p["failures"] for p in hourly["points"] if p["failures"]}
    # Events 4 (Nov 21 10:00), 6 (Nov 21 11:00), 9 (Nov 22 09:20).
    assert failed == {
        "2026-11-21T10:00:00Z": 1,
        "2026-11-21T11:00:00Z": 1,
        "2026-11-22T09:00:00Z": 1,
    }
    daily = _json(client, f"/api/overview?at={AT}&days=8")["dashboard"]["widgets"]
    assert daily["failures_over_time"]["bucket"] == "day"


def test_deployment_markers_are_each_shas_first_event(client: FlaskClient) -> None:
    doc = _json(client, f"/api/overview?{Q}")
    # SHA bbb2222's first event is event 6 (Nov 21 11:00); aaa1111 started before the range.
    assert doc["dashboard"]["deployments"] == [
        {"sha": "bbb2222", "first_seen": "2026-11-21T11:00:00Z"}
    ]
    page = client.get(f"/overview?{Q}").get_data(as_text=True)
    assert "bbb2222 2026-11-21T11:00:00Z" in page


def test_drill_down_from_a_component_to_one_run(client: FlaskClient) -> None:
    page = client.get(f"/components?{Q}").get_data(as_text=True)
    link = re.search(r'<a href="(/component\?[^"]*component=conda_install[^"]*)"', page)
    assert link, "the component table links to the drill-down"
    level2 = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    link = re.search(r'<a href="(/errors\?[^"]*)">Darwin14.1 / arm64</a>', level2)
    assert link
    level3 = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    link = re.search(r'<a href="(/runs\?[^"]*)">disk_error</a>', level3)
    assert link
    level4 = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    link = re.search(r'<a href="(/run/run6[^"]*)">run6</a>', level4)
    assert link
    level5 = client.get(link.group(1).replace("&amp;", "&"))
    assert level5.status_code == 200
    timeline = level5.get_data(as_text=True)
    assert "conda_install" in timeline and "disk_error" in timeline and "failed" in timeline
    doc = _json(client, "/api/run/run6")
    assert [e["outcome"] for e in doc["events"]] == ["failed"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("days=abc", "days: &#x27;abc&#x27; is not a number of days from 1 to 3660"),
        ("days=0", "is not a number of days"),
        ("at=yesterday", "at: &#x27;yesterday&#x27; is not a UTC time"),
        ("from=2026-11-21", "from and to go together"),
        ("from=2026-11-22&to=2026-11-21", "is before from"),
        ("from=2026-11-31&to=2026-12-01", "is not a valid date"),
        ("from=2026-11-01&to=2026-11-02&days=3", "give either from/to or days/at"),
        ("arch=a&arch=b", "arch is given 2 times"),
        ("colour=red", "unknown parameter &#x27;colour&#x27;"),
        ("os=%0a", "is not a value this page can use"),
    ],
)
def test_bad_parameters_get_a_400_page_that_says_what_is_wrong(
    client: FlaskClient, query: str, message: str
) -> None:
    answer = client.get(f"/overview?{query}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400, page[:300]
    assert message in page and "Traceback" not in page
    api = client.get(f"/api/overview?{query}")
    assert api.status_code == 400 and "error" in json.loads(api.get_data(as_text=True))


def test_missing_pages_and_runs_are_404_pages(client: FlaskClient) -> None:
    answer = client.get("/nope")
    assert answer.status_code == 404 and "/overview" in answer.get_data(as_text=True)
    assert client.get("/run/no-such-run").status_code == 404
    assert client.get("/component").status_code == 400  # component is missing


def test_a_store_that_breaks_under_the_server_is_a_500_page_not_a_traceback(
    tmp_path: Path, client: FlaskClient
) -> None:
    db = tmp_path / "events.db"
    db.write_bytes(b"not a database" * 100)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    answer = client.get(f"/overview?{Q}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "Traceback" not in page
    assert "is not a usable event store" in page


def test_no_events_at_all_is_said_not_drawn_as_zero(tmp_path: Path) -> None:
    from installer.store.event_store import EventStore

    with EventStore(tmp_path / "empty.db"):
        pass
    app = create_app(ServeConfig(db=tmp_path / "empty.db", settings=AnalyticsSettings()))
    page = app.test_client().get("/overview").get_data(as_text=True)
    assert "no events yet" in page and "no data" in page


# --- the real server ----------------------------------------------------------------------


def _start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "installer", "analytics", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"at (http://\S+)/", line)
    assert match, line + (proc.stderr.read() if proc.poll() is not None else "")  # type: ignore[union-attr]
    return proc, match.group(1)


@pytest.mark.slow
def test_the_server_listens_on_loopback_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = make_store(tmp_path / "events.db")
    proc, base = _start(["--db", str(db)])
    try:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{base}/api/overview?{Q}", timeout=30) as answer:
            assert json.load(answer)["data_as_of"] == AT
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{base}/overview?days=-1", timeout=30)
        assert bad.value.code == 400
        with urllib.request.urlopen(f"{base}/static/plotly.min.js", timeout=30) as answer:
            assert "max-age" in answer.headers["Cache-Control"]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err
    assert "warning" not in err  # loopback: nothing to warn about


@pytest.mark.slow
def test_another_host_only_when_asked_and_with_a_warning(tmp_path: Path) -> None:
    db = make_store(tmp_path / "events.db")
    # 127.0.0.2 is loopback too; 0.0.0.0 would listen on every interface: the warning is
    # about what the address means, so ask for 0.0.0.0 but talk to it only over 127.0.0.1.
    proc, base = _start(["--db", str(db), "--host", "0.0.0.0"])
    try:
        port = base.rsplit(":", 1)[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/overview?{Q}", timeout=30):
            pass
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert "warning: serving on 0.0.0.0" in err and "no authentication" in err


def test_a_missing_store_is_refused_at_start(tmp_path: Path) -> None:
    began = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "serve", "--db", str(tmp_path / "no.db")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2 and "no event store at" in out.stderr
    assert "Traceback" not in out.stderr and time.monotonic() - began < 60


def test_open_incidents_are_on_top_of_every_page(tmp_path: Path) -> None:
    from installer.analytics.alerts.firing import Firing
    from installer.store.event_store import EventStore

    db = make_store(tmp_path / "events.db")
    firing = Firing(
        at=T - 3600,
        rule="success_rate_low",
        kind="success_rate_low",
        key=None,
        severity="critical",
        summary="success rate 61.00% over the last 2 h (<75%)",
        runbook="https://example.invalid/runbook#success_rate_low",
    )
    with EventStore(db) as store:  # what `alerts check --send` leaves (incident_state.save)
        store.conn.execute(
            "INSERT INTO alert_state (rule, key, severity, first_at, last_at, notified_at, "
            "firing) VALUES (?, '', 'critical', ?, ?, NULL, ?)",
            (
                firing.rule,
                T - 7200,
                T - 3600,
                json.dumps({**firing.serialize(), "kind": firing.kind, "firings": 2}),
            ),
        )
    client = create_app(ServeConfig(db=db, settings=AnalyticsSettings(), clock=lambda: T))
    client_ = client.test_client()
    for path in ("/overview", "/components", "/component?component=vscode", "/run/run6"):
        page = client_.get(f"{path}{'&' if '?' in path else '?'}{Q}").get_data(as_text=True)
        top = page.split('id="alerts"', 1)[1].split("</div>", 1)[0]
        assert "1 open incident(s)" in top and "success_rate_low" in top, path
        assert "open since 2026-11-23T10:00:00Z" in top and "61.00%" in top
    doc = _json(client_, f"/api/overview?{Q}")
    (incident,) = doc["open_incidents"]
    assert incident["rule"] == "success_rate_low" and incident["started"] == format_moment(T - 7200)
