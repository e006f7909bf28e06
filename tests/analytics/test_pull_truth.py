"""`analytics pull` against the documented API (tests/helpers/piwik_fake.py, HTTPS): a
Europe/Copenhagen website with events on both clock-change days, and the credential cases
of issue 16 (an echoing server, a redirect, `http://`)."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import certifi
import pytest

from installer.analytics.fold import FoldResolver
from installer.analytics.piwik_api import PiwikClient, PiwikError, redact
from installer.analytics.pull import category_filter, columns_for, pull
from installer.analytics.settings import PiwikSettings, Secret
from installer.analytics.timeutil import parse_moment
from installer.store.event_store import EventStore
from tests.helpers.piwik_fake import FakePiwik, Scripted, serve

SITE = "5e1d2c3b-4a59-4f6e-8d7c-9b0a1f2e3d4c"
CLIENT_ID, SECRET = "api-client-7f3e", "very-secret-value-9c1d77"
ZONE = "Europe/Copenhagen"
DIMENSIONS = {"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 6}
# The tracking ids above; Piwik PRO keeps the run in session slot 2 and the OS in event
# slot 11 on this website: the columns are configured apart from the tracking ids.
COLUMNS = {"run": "session_custom_dimension_2", "os": "event_custom_dimension_11"}
CATEGORIES = ("Installer", "Installer_CI", "Installer_TEST")

# The truth, in UTC. Copenhagen: on 2026-03-29 01:00Z the clocks jump from 02:00 to 03:00;
# on 2026-10-25 01:00Z they go back from 03:00 to 02:00, so 02:00-03:00 local happens twice
# (00:00-01:00Z in summer time, then 01:00-02:00Z in winter time).
RUNS: dict[str, list[str]] = {
    # spring: before and after the skipped hour
    "spring": ["2026-03-29T00:50:00Z", "2026-03-29T01:05:00Z", "2026-03-29T01:20:00Z"],
    # autumn, first pass only (02:05 and 02:20 summer time), after an event at 01:50
    "first": ["2026-10-24T23:50:00Z", "2026-10-25T00:05:00Z", "2026-10-25T00:20:00Z"],
    # through the change: 02:40, 02:55 summer time, then 02:05, 02:20 winter time
    "through": [
        "2026-10-25T00:40:00Z",
        "2026-10-25T00:55:00Z",
        "2026-10-25T01:05:00Z",
        "2026-10-25T01:20:00Z",
    ],
    # second pass only (02:40, 02:55 winter time), then 03:10
    "second": ["2026-10-25T01:40:00Z", "2026-10-25T01:55:00Z", "2026-10-25T02:10:00Z"],
    # one event in each pass, 20 minutes apart
    "both": ["2026-10-25T00:50:00Z", "2026-10-25T01:10:00Z"],
    # ordinary days; the last ones are on Copenhagen's 27 October but UTC's 26th
    "summer": ["2026-06-15T10:00:00Z", "2026-06-15T10:02:00Z"],
    "midnight": ["2026-10-26T23:30:00Z", "2026-10-26T23:40:00Z"],
    "late": ["2026-10-27T22:50:00Z"],
}
NOW = parse_moment("2026-10-28T06:00:00Z")  # 07:00 in Copenhagen
SINCE = datetime.date(2026, 3, 28)


def run_id(name: str) -> str:
    return (name.encode().hex() + "0" * 32)[:32]


def truth() -> set[tuple[str, str, int]]:
    return {
        (run_id(run), f"step{i}", parse_moment(ts))
        for run, times in RUNS.items()
        for i, ts in enumerate(times)
    }


def website_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for run, times in RUNS.items():
        for i, ts in enumerate(times):
            rows.append(
                {
                    "timestamp": parse_moment(ts),
                    "visitor_id": run_id(run)[:16],
                    "custom_event_category": "Installer",
                    "custom_event_action": "Event",
                    "custom_event_name": f"step{i}",
                    "custom_event_value": 1.0,
                    "event_custom_dimension_11": "Darwin15.1.1",
                    "event_custom_dimension_2": "arm64",
                    "event_custom_dimension_3": "abc1234",
                    "event_custom_dimension_4": "3.000",
                    "session_custom_dimension_2": run_id(run),
                }
            )
    # Not the installer's: a page view and another team's event category.
    rows.append({"timestamp": parse_moment("2026-06-15T10:01:00Z"), "visitor_id": "p"})
    rows.append(
        {
            "timestamp": parse_moment("2026-06-15T10:03:00Z"),
            "visitor_id": "v",
            "custom_event_category": "Video",
            "custom_event_action": "Play",
            "custom_event_name": "intro",
        }
    )
    return rows


@pytest.fixture
def fake() -> Iterator[FakePiwik]:
    site = FakePiwik({CLIENT_ID: SECRET}, {SITE: website_rows()}, {SITE: ZONE})
    with serve(site) as server:
        yield server


def settings(fake: FakePiwik, page_size: int = 3) -> PiwikSettings:
    return PiwikSettings(
        url=fake.url,
        website_id=SITE,
        client_id=Secret(CLIENT_ID),
        client_secret=Secret(SECRET),
        page_size=page_size,
        timezone=ZONE,
        columns=COLUMNS,
    )


def client(fake: FakePiwik) -> PiwikClient:
    waits: list[float] = []
    return PiwikClient(
        fake.url,
        Secret(CLIENT_ID),
        Secret(SECRET),
        session=fake.session(),
        clock=fake.clock,
        sleep=waits.append,
    )


def stored(store: EventStore) -> set[tuple[str, str, int]]:
    return {(r, n, t) for r, n, t in store.conn.execute("SELECT run, name, ts FROM events")}


@pytest.mark.parametrize("newest_first", [False, True])
def test_stored_times_equal_the_truth_across_both_clock_changes(
    fake: FakePiwik, tmp_path: Path, newest_first: bool
) -> None:
    fake.reverse_rows = newest_first  # the API does not document an order: none is assumed
    fake.script = [Scripted(429, {"Retry-After": "2"})]
    api = client(fake)
    with EventStore(tmp_path / "e.db") as store:
        result = pull(
            store, api, settings(fake), DIMENSIONS, now=NOW, categories=CATEGORIES, since=SINCE
        )
        assert stored(store) == truth()
        assert (result.invalid, result.undecidable) == (0, 0)
        assert result.repeated_hour == 10  # the autumn events at 02:xx local
        assert api.waited == [2.0]
        requests_ = [s for s in fake.event_requests() if s.status == 200]
        # Days are the website's: today is 28 October in Copenhagen; settled up to the 26th.
        assert (requests_[0].body["date_from"], requests_[0].body["date_to"]) == (
            "2026-03-28",
            "2026-10-26",
        )
        assert requests_[-1].body["date_from"] == "2026-10-27"
        assert result.settled_through == "2026-10-26"
        # Only the installer's categories were asked for; timestamp was not asked (it comes).
        assert all(s.body["filters"] == category_filter(CATEGORIES) for s in requests_)
        asked = {c["column_id"] for c in requests_[0].body["columns"]}
        assert "timestamp" not in asked
        assert {"session_custom_dimension_2", "event_custom_dimension_11"} <= asked
        os_name, run = store.conn.execute(
            "SELECT os, run FROM events WHERE run = ?", (run_id("through"),)
        ).fetchone()
        assert (os_name, run) == ("Darwin15.1.1", run_id("through"))

        # The next pull is incremental: from the day after the settled ones, nothing new.
        fake.seen.clear()
        later = pull(
            store,
            api,
            settings(fake),
            DIMENSIONS,
            now=parse_moment("2026-10-30T06:00:00Z"),
            categories=CATEGORIES,
        )
        assert fake.event_requests()[0].body["date_from"] == "2026-10-27"
        assert later.added == 0 and stored(store) == truth()


def test_an_interrupted_pull_does_not_lose_the_repeated_hour(
    fake: FakePiwik, tmp_path: Path
) -> None:
    # The repeated hour's rows wait for the end of the range; the position must not pass
    # them, or a pull broken after their page would never store them.
    fake.drop_from_offset = 15
    with EventStore(tmp_path / "e.db") as store:
        with pytest.raises(PiwikError):
            pull(
                store,
                client(fake),
                settings(fake),
                DIMENSIONS,
                now=NOW,
                categories=CATEGORIES,
                since=SINCE,
            )
        fake.drop_from_offset = None
        pull(store, client(fake), settings(fake), DIMENSIONS, now=NOW, categories=CATEGORIES)
        assert stored(store) == truth()


def test_a_lone_event_in_the_repeated_hour_is_placed_first_and_counted() -> None:
    resolver: FoldResolver[str] = FoldResolver()
    hour = 3600
    resolver.hold("s1", 0, (600, 600 + hour), "alone")  # nothing else in its session
    resolver.hold(None, None, (900, 900 + hour), "no session")
    resolver.anchor("s2", 0, -600)  # 10 minutes before the hour: s2 is in the first pass
    resolver.hold("s2", 1, (300, 300 + hour), "anchored")
    assert sorted(resolver.resolve()) == [(300, "anchored"), (600, "alone"), (900, "no session")]
    assert resolver.undecidable == 2


def test_a_time_the_clocks_skipped_is_an_invalid_row(fake: FakePiwik, tmp_path: Path) -> None:
    columns = ["timestamp", *columns_for(settings(fake), DIMENSIONS)]
    cells = {"timestamp": "2026-03-29T02:30:00", "custom_event_category": "Installer"}
    cells.update(custom_event_name="x", custom_event_action="Event", custom_event_value=1)
    page = {"data": [[cells.get(c) for c in columns]], "meta": {"columns": columns, "count": 1}}
    fake.script = [Scripted(200, body=page)]
    with EventStore(tmp_path / "e.db") as store:
        result = pull(
            store,
            client(fake),
            settings(fake),
            DIMENSIONS,
            now=NOW,
            categories=CATEGORIES,
            since=datetime.date(2026, 10, 26),
        )
    assert result.invalid == 1 and "clocks skipped it" in result.invalid_samples[0]


# --- credentials -------------------------------------------------------------------------


class Listener:
    """A port that records every connection made to it (and answers nothing)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.received = b""
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(1)
            with contextlib.suppress(OSError):
                self.received += conn.recv(65536)
            conn.close()

    def close(self) -> None:
        self.stopping = True
        self.thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    other = Listener()
    yield other
    other.close()


def _cli(fake_url: str, ca: str, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PIWIK_PRO_")},
        "PIWIK_PRO_URL": fake_url,
        "PIWIK_PRO_WEBSITE_ID": SITE,
        "PIWIK_PRO_CLIENT_ID": CLIENT_ID,
        "PIWIK_PRO_CLIENT_SECRET": SECRET,
        "PIWIK_PRO_TIMEZONE": ZONE,
        "REQUESTS_CA_BUNDLE": ca,
    }
    return subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "pull", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_an_echoing_server_never_gets_the_secret_printed(fake: FakePiwik, tmp_path: Path) -> None:
    fake.echo_status = 400  # the error text repeats the request, secret and all
    out = _cli(fake.url, fake.ca_path, tmp_path / "e.db", "--at", "2026-10-28T06:00:00Z")
    assert out.returncode == 1, out.stderr
    assert "refused the API credentials (400" in out.stderr and "you sent" in out.stderr
    assert "client_secret" in out.stderr  # the echo is shown, its values are not
    for text in (out.stdout, out.stderr):
        assert SECRET not in text and CLIENT_ID not in text


def test_an_echoed_bearer_token_is_not_shown(fake: FakePiwik) -> None:
    api = client(fake)
    token = api.token()
    fake.echo_status = 400
    with pytest.raises(PiwikError) as info:
        api.events(SITE, "2026-10-01", "2026-10-02", ["custom_event_name"], 0, 10)
    message = str(info.value)
    assert "events request failed with 400" in message and "Authorization: ***" in message
    assert token not in message and SECRET not in message


def test_token_like_texts_are_redacted() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    text = (
        f'{{"access_token": "abc123xyz", "client_secret":"s3"}} Bearer tok.en-1 {jwt} '
        "client_id=me&x=1 my-secret-value\nnext line"
    )
    clean = redact(text, ("my-secret-value",))
    for leaked in ("abc123xyz", '"s3"', "tok.en-1", jwt, "client_id=me", "my-secret-value", "\n"):
        assert leaked not in clean
    assert "x=1" in clean and "next line" in clean


@pytest.mark.parametrize("path", ["/auth/token", "/api/analytics/v1/events/"])
def test_a_redirect_is_not_followed_with_credentials(
    fake: FakePiwik, listener: Listener, path: str
) -> None:
    api = client(fake)
    if path != "/auth/token":
        api.token()
    fake.redirects[path] = (307, f"https://127.0.0.1:{listener.port}{path}?x=1")
    with pytest.raises(PiwikError) as info:
        api.events(SITE, "2026-10-01", "2026-10-02", ["custom_event_name"], 0, 10)
    message = str(info.value)
    assert f"redirect (307 to https://127.0.0.1:{listener.port}{path})" in message
    assert "never follow a redirect" in message
    assert listener.connections == 0 and listener.received == b""


def test_http_is_refused_before_any_connection(listener: Listener, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{listener.port}"
    with pytest.raises(PiwikError, match="plain http"):
        PiwikClient(url, Secret(CLIENT_ID), Secret(SECRET))
    out = _cli(url, "", tmp_path / "e.db")
    assert out.returncode == 2
    assert f"PIWIK_PRO_URL: '{url}' is plain http" in out.stderr
    assert f"use https://127.0.0.1:{listener.port}" in out.stderr
    assert listener.connections == 0 and not (tmp_path / "e.db").exists()


def test_an_untrusted_certificate_is_one_clear_error(fake: FakePiwik, tmp_path: Path) -> None:
    out = _cli(fake.url, certifi.where(), tmp_path / "e.db")  # public CAs only
    assert out.returncode == 1
    assert "TLS certificate is not trusted" in out.stderr and "Traceback" not in out.stderr
    assert len(fake.seen) == 0


def test_the_cli_summary_names_the_zone(fake: FakePiwik, tmp_path: Path) -> None:
    out = _cli(fake.url, fake.ca_path, tmp_path / "e.db", "--at", "2026-10-28T06:00:00Z", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["timezone"] == ZONE and summary["date_to"] == "2026-10-28"
