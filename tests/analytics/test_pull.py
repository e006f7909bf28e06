"""`analytics pull` against a local server that speaks Piwik PRO's API (tests/helpers)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from installer.analytics.piwik_api import PiwikAuthError, PiwikClient, PiwikError
from installer.analytics.pull import (
    META_PREFIX,
    columns_for,
    pull,
    row_time,
)
from installer.analytics.settings import PiwikSettings, Secret
from installer.analytics.timeutil import parse_moment
from installer.analytics.timezones import zone
from installer.store.event_store import EventStore
from tests.helpers.piwik_fake import FakePiwik, Raw, Scripted, serve

SITE = "0b5c7e24-9a1c-4f5e-8d3a-2f6c1e9b7a10"
CLIENT_ID, SECRET = "client-abc", "s3cr3t-value-never-shown"
NOW = parse_moment("2026-11-23T12:00:00Z")
SINCE = datetime.date(2026, 11, 10)


def row(ts: str, name: str, value: Any = 1, run: str = "r1", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "timestamp": parse_moment(ts),
        "custom_event_category": "Installer",
        "custom_event_action": "Event",
        "custom_event_name": name,
        "custom_event_value": value,
        "event_custom_dimension_1": "Darwin14.2.1",
        "event_custom_dimension_2": "arm64",
        "event_custom_dimension_3": "abc1234",
        "event_custom_dimension_4": "1.250",
        "event_custom_dimension_5": None,
        "event_custom_dimension_6": run,
    }
    base.update(extra)
    return base


ROWS = [
    row("2026-11-10T08:00:00Z", "homebrew_install"),
    row(
        "2026-11-10T08:00:05Z",
        "miniforge_download_network_error",
        0,
        event_custom_dimension_5="network_error",
    ),
    {
        "timestamp": parse_moment("2026-11-11T09:00:00Z"),
        "custom_event_category": None,
        "custom_event_name": None,
    },  # a page view: not an installer event
    row("2026-11-12T10:00:00Z", "homebrew_install", 1.0, run="r2"),
    row("2026-11-13T10:00:00Z", "vscode_install", run="r3"),
    row("2026-11-14T10:00:00Z", "conda_init", run="r3"),
]
INSTALLER_ROWS = 5


@pytest.fixture
def fake() -> Iterator[FakePiwik]:
    with serve(FakePiwik({CLIENT_ID: SECRET}, {SITE: list(ROWS)})) as server:
        yield server


def settings(fake: FakePiwik, page_size: int = 2) -> PiwikSettings:
    return PiwikSettings(
        url=fake.url,
        website_id=SITE,
        client_id=Secret(CLIENT_ID),
        client_secret=Secret(SECRET),
        page_size=page_size,
    )


def client(fake: FakePiwik, secret: str = SECRET) -> PiwikClient:
    waits: list[float] = []
    return PiwikClient(
        fake.url,
        Secret(CLIENT_ID),
        Secret(secret),
        session=fake.session(),
        clock=fake.clock,
        sleep=waits.append,
    )


DIMENSIONS = {"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 6}
CATEGORIES = ("Installer", "Installer_CI", "Installer_TEST")
# What a page of the documented API holds: `timestamp` (unasked) and the columns asked for.
PAGE_COLUMNS = ["timestamp", *columns_for(PiwikSettings(), DIMENSIONS)]


def run_pull(
    store: EventStore,
    fake: FakePiwik,
    api: PiwikClient | None = None,
    since: datetime.date | None = SINCE,
) -> Any:
    return pull(
        store,
        api or client(fake),
        settings(fake),
        DIMENSIONS,
        now=NOW,
        categories=CATEGORIES,
        since=since,
    )


def _local(row: dict[str, Any], column: str) -> Any:
    """A cell as the documented API gives it (UTC website: the time without an offset)."""
    if column == "timestamp":
        return datetime.datetime.utcfromtimestamp(row["timestamp"]).isoformat()
    return row.get(column)


def settled_offsets(fake: FakePiwik) -> list[int]:
    return [
        s.body["offset"]
        for s in fake.event_requests()
        if s.body["date_to"] == "2026-11-21" and s.status == 200
    ]


def test_paging_over_three_pages_into_the_store(fake: FakePiwik, tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        result = run_pull(store, fake)
        # Settled days (up to today - 2) in pages of 2 rows: offsets 0, 2, 4 of the 5 rows of
        # the installer's categories (the page view is filtered out by the API).
        assert settled_offsets(fake) == [0, 2, 4]
        assert (result.rows, result.added, result.not_installer, result.invalid) == (5, 5, 0, 0)
        assert result.settled_through == "2026-11-21"
        body = fake.event_requests()[0].body
        assert body["website_id"] == SITE and body["limit"] == 2
        assert body["date_from"] == "2026-11-10"
        assert {"column_id": "event_custom_dimension_6"} in body["columns"]
        ts, component, success, os_name, arch, sha, error, run, duration = store.conn.execute(
            "SELECT ts, component, success, os, arch, sha, error, run, duration FROM events "
            "WHERE name = 'miniforge_download_network_error'"
        ).fetchone()
        assert (ts, component, success) == (
            parse_moment("2026-11-10T08:00:05Z"),
            "miniforge_download",
            0,
        )
        assert (os_name, arch, sha, error, run, duration) == (
            "Darwin14.2.1",
            "arm64",
            "abc1234",
            "network_error",
            "r1",
            1.25,
        )
        # Idempotent: the same days again add nothing (1.0 and 1 are the same e_v).
        again = run_pull(store, fake)
        assert (again.rows, again.added) == (5, 0)
        assert store.count() == INSTALLER_ROWS
        # Incremental: without --since the next pull starts after the settled days.
        fake.seen.clear()
        later = run_pull(store, fake, since=None)
        assert [s.body["date_from"] for s in fake.event_requests()] == ["2026-11-22"]
        assert later.added == 0


def test_token_is_refreshed_before_it_expires(fake: FakePiwik, tmp_path: Path) -> None:
    fake.advance_per_request = 900  # each page takes a quarter of an hour of the 30-minute token
    with EventStore(tmp_path / "e.db") as store:
        api = client(fake)
        run_pull(store, fake, api)
    assert len(fake.token_requests()) == 2 and api.tokens_fetched == 2
    assert all(s.status == 200 for s in fake.event_requests())  # never sent an expired token
    tokens = [s.token for s in fake.event_requests()]
    assert tokens[0] != tokens[-1]
    assert all(SECRET not in json.dumps(s.body) for s in fake.seen)


def test_a_revoked_token_is_replaced_once(fake: FakePiwik, tmp_path: Path) -> None:
    api = client(fake)
    api.token()
    fake.revoke_tokens()
    with EventStore(tmp_path / "e.db") as store:
        run_pull(store, fake, api)
        assert store.count() == INSTALLER_ROWS
    assert api.tokens_fetched == 2
    assert [s.status for s in fake.event_requests()][:2] == [401, 200]


def test_429_then_success_honours_retry_after(fake: FakePiwik, tmp_path: Path) -> None:
    fake.script = [Scripted(429, {"Retry-After": "3"})]
    api = client(fake)
    with EventStore(tmp_path / "e.db") as store:
        result = run_pull(store, fake, api)
        assert store.count() == INSTALLER_ROWS
    assert api.waited == [3.0]
    assert result.waited == 3.0
    assert [s.status for s in fake.event_requests()][:2] == [429, 200]


def test_a_body_that_breaks_off_is_retried_not_a_crash(fake: FakePiwik, tmp_path: Path) -> None:
    # The connection drops inside the body: requests raises ChunkedEncodingError, which is
    # not a ConnectionError; it used to escape as an unexpected error (exit 3).
    fake.script = [Scripted(200, body=Raw(b'{"data": [["2026-11-10T08', declared_length=500))]
    api = client(fake)
    with EventStore(tmp_path / "e.db") as store:
        run_pull(store, fake, api)
        assert store.count() == INSTALLER_ROWS
    assert api.waited == [1.0]  # one backoff, then the same page again
    assert [s.body["offset"] for s in fake.event_requests()][:2] == [0, 0]


def test_an_html_answer_is_a_clear_error(fake: FakePiwik, tmp_path: Path) -> None:
    fake.script = [Scripted(200, body=Raw(b"<html>maintenance</html>", "text/html"))]
    with EventStore(tmp_path / "e.db") as store, pytest.raises(PiwikError) as info:
        run_pull(store, fake)
    assert "a body that is not JSON (text/html)" in str(info.value)


def test_a_nan_timestamp_is_an_invalid_row_not_a_crash(fake: FakePiwik, tmp_path: Path) -> None:
    columns = PAGE_COLUMNS
    good = [_local(ROWS[0], c) for c in columns]
    nan = [float("nan") if c == "timestamp" else v for c, v in zip(columns, good)]
    inf = [float("inf") if c == "timestamp" else v for c, v in zip(columns, good)]
    page = {"data": [nan, good, inf], "meta": {"columns": columns, "count": 3}}
    fake.script = [Scripted(200, body=page)]  # json.dumps writes NaN and Infinity as such
    with EventStore(tmp_path / "e.db") as store:
        result = run_pull(store, fake)
    assert result.invalid == 2 and "timestamp nan is not a time" in result.invalid_samples[0]
    assert result.added >= 1


def test_a_lone_surrogate_is_an_invalid_row_named_by_page_and_row(
    fake: FakePiwik, tmp_path: Path
) -> None:
    # Issue 14 item 2: the escape `\\ud800` passed validation and failed the insert: the pull
    # ended with a traceback (exit 3) and nothing of the page was stored.
    columns = PAGE_COLUMNS
    good = [_local(ROWS[0], c) for c in columns]
    other = [_local(ROWS[3], c) for c in columns]
    bad = ["x\ud800" if c == "custom_event_name" else v for c, v in zip(columns, good)]
    pages = [[good, other], [bad]]
    fake.script = [
        Scripted(200, body={"data": data, "meta": {"columns": columns, "count": 3}})
        for data in pages
    ]
    with EventStore(tmp_path / "e.db") as store:
        result = run_pull(store, fake)
        assert result.invalid == 1 and result.added == 2
    assert "page 2, row 1: parameter 'e_n' holds a lone surrogate" in result.invalid_samples[0]


def test_columns_in_another_order_are_read_by_name(fake: FakePiwik, tmp_path: Path) -> None:
    columns = list(reversed(PAGE_COLUMNS))
    page = {
        "data": [[_local(ROWS[0], c) for c in columns]],
        "meta": {"columns": columns, "count": 1},
    }
    fake.script = [Scripted(200, body=page)]
    with EventStore(tmp_path / "e.db") as store:
        run_pull(store, fake)
        (name, arch) = store.conn.execute("SELECT name, arch FROM events").fetchone()
    assert (name, arch) == ("homebrew_install", "arm64")


def test_an_answer_without_the_columns_asked_for_is_refused(
    fake: FakePiwik, tmp_path: Path
) -> None:
    columns = [c for c in PAGE_COLUMNS if c != "timestamp"]
    page = {
        "data": [[_local(ROWS[0], c) for c in columns]],
        "meta": {"columns": columns, "count": 1},
    }
    fake.script = [Scripted(200, body=page)]
    with EventStore(tmp_path / "e.db") as store:
        with pytest.raises(PiwikError, match="lacks the columns asked for: timestamp"):
            run_pull(store, fake)
        position = json.loads(store.get_meta(META_PREFIX + SITE) or "{}")
        assert position["settled_through"] is None  # the days are not taken as pulled
        assert position["pending"]["offset"] == 0


def test_an_empty_page_before_meta_count_is_not_the_end(fake: FakePiwik, tmp_path: Path) -> None:
    columns = PAGE_COLUMNS
    fake.script = [
        Scripted(200, body={"data": [], "meta": {"columns": columns, "count": len(ROWS)}})
    ]
    with EventStore(tmp_path / "e.db") as store:
        with pytest.raises(PiwikError, match="no rows at offset 0 of 6"):
            run_pull(store, fake)
        position = json.loads(store.get_meta(META_PREFIX + SITE) or "{}")
        assert position["settled_through"] is None and position["pending"]["offset"] == 0
        run_pull(store, fake, since=None)  # the next run fetches the days after all
        assert store.count() == INSTALLER_ROWS


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-10T08:00:00",
        "2026-11-10 08:00:00",
        "2026-11-10T08:00:00Z",
        "2026-11-10T08:00:00.250Z",
        "2026-11-10T09:00:00+01:00",
        "2026-11-10T03:00:00-0500",
    ],
)
def test_timestamp_forms_give_the_same_moment(text: str) -> None:
    assert row_time(text, zone("UTC")).moments == (parse_moment("2026-11-10T08:00:00Z"),)


def test_wrong_credentials_give_a_clear_message(fake: FakePiwik, tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store, pytest.raises(PiwikAuthError) as info:
        run_pull(store, fake, client(fake, secret="wrong-secret-value"))
    message = str(info.value)
    assert "refused the API credentials (401" in message
    assert "PIWIK_PRO_CLIENT_ID" in message and "PIWIK_PRO_CLIENT_SECRET" in message
    assert "Client authentication failed" in message
    assert "wrong-secret-value" not in message and fake.event_requests() == []


def test_error_bodies_are_reported(fake: FakePiwik, tmp_path: Path) -> None:
    fake.script = [
        Scripted(
            400,
            body={
                "errors": [
                    {
                        "status": "400",
                        "title": "Invalid parameter",
                        "detail": "limit too large",
                        "source": {"parameter": "limit"},
                    }
                ]
            },
        )
    ]
    with EventStore(tmp_path / "e.db") as store, pytest.raises(PiwikError) as info:
        run_pull(store, fake)
    assert "400: Invalid parameter - limit too large (parameter limit)" in str(info.value)


def test_unknown_website_is_a_403_with_advice(fake: FakePiwik, tmp_path: Path) -> None:
    other = PiwikSettings(fake.url, "not-our-site", Secret(CLIENT_ID), Secret(SECRET))
    with EventStore(tmp_path / "e.db") as store, pytest.raises(PiwikAuthError) as info:
        pull(store, client(fake), other, DIMENSIONS, now=NOW, categories=CATEGORIES, since=SINCE)
    assert "no access to website not-our-site (403" in str(info.value)


def test_interrupted_pull_resumes_without_duplicates(fake: FakePiwik, tmp_path: Path) -> None:
    fake.drop_from_offset = 4  # the network breaks before the third page, every time
    with EventStore(tmp_path / "e.db") as store:
        with pytest.raises(PiwikError, match="cannot reach Piwik PRO"):
            run_pull(store, fake)
        assert store.count() == 4  # the first two pages are kept
        position = json.loads(store.get_meta(META_PREFIX + SITE) or "{}")
        assert position["pending"] == {
            "date_from": "2026-11-10",
            "date_to": "2026-11-21",
            "offset": 4,
        }
        fake.drop_from_offset = None
        fake.seen.clear()
        result = run_pull(store, fake, since=None)
        assert result.resumed_at == 4
        assert settled_offsets(fake) == [4]  # resumed at the page where it stopped
        assert store.count() == INSTALLER_ROWS
        (distinct,) = store.conn.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT ts, name, run FROM events)"
        ).fetchone()
        assert distinct == INSTALLER_ROWS
        position = json.loads(store.get_meta(META_PREFIX + SITE) or "{}")
        assert position == {"settled_through": "2026-11-21", "pending": None}


def _cli(tmp_path: Path, fake: FakePiwik, *args: str, secret: str = SECRET) -> Any:
    env = {
        **os.environ,
        "PIWIK_PRO_URL": fake.url,
        "PIWIK_PRO_WEBSITE_ID": SITE,
        "PIWIK_PRO_CLIENT_ID": CLIENT_ID,
        "PIWIK_PRO_CLIENT_SECRET": secret,
        "REQUESTS_CA_BUNDLE": fake.ca_path,
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "installer",
            "analytics",
            "pull",
            "--db",
            str(tmp_path / "e.db"),
            "--at",
            "2026-11-23T12:00:00Z",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_cli_pulls_and_never_prints_the_secret(fake: FakePiwik, tmp_path: Path) -> None:
    out = _cli(tmp_path, fake, "--since", "2026-11-10", "--json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["added"] == INSTALLER_ROWS and summary["settled_through"] == "2026-11-21"
    out = _cli(tmp_path, fake)
    assert out.returncode == 0 and "0 new events" in out.stdout
    bad = _cli(tmp_path, fake, secret="not-the-right-one")
    assert bad.returncode == 1
    assert "refused the API credentials (401" in bad.stderr and "Traceback" not in bad.stderr
    for text in (out.stdout, out.stderr, bad.stdout, bad.stderr):
        assert SECRET not in text and "not-the-right-one" not in text


def test_cli_names_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIWIK_PRO_")}
    out = subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "pull", "--db", str(tmp_path / "e.db")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert "analytics pull needs: piwik.url or PIWIK_PRO_URL" in out.stderr
    assert "PIWIK_PRO_CLIENT_SECRET" in out.stderr
    bad_since = subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "pull", "--since", "last week"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={
            **env,
            "PIWIK_PRO_URL": "https://x.piwik.pro",
            "PIWIK_PRO_WEBSITE_ID": SITE,
            "PIWIK_PRO_CLIENT_ID": "a",
            "PIWIK_PRO_CLIENT_SECRET": "b",
            "DTU_INSTALL_DB": str(tmp_path / "e.db"),
        },
    )
    assert bad_since.returncode == 2 and "--since: 'last week' is not a date" in bad_since.stderr


def test_a_later_since_does_not_skip_the_gap(fake: FakePiwik, tmp_path: Path) -> None:
    api = client(fake)
    s = settings(fake, page_size=100)
    early = parse_moment("2026-11-15T12:00:00Z")
    with EventStore(tmp_path / "e.db") as store:
        first = pull(store, api, s, DIMENSIONS, now=early, categories=CATEGORIES, since=SINCE)
        assert first.settled_through == "2026-11-13"
        jump = pull(
            store,
            api,
            s,
            DIMENSIONS,
            now=NOW,
            categories=CATEGORIES,
            since=datetime.date(2026, 11, 18),
        )
        assert jump.settled_through == "2026-11-13"  # Nov 14-17 were not pulled yet
        fake.seen.clear()
        pull(store, api, s, DIMENSIONS, now=NOW, categories=CATEGORIES)
        assert fake.event_requests()[0].body["date_from"] == "2026-11-14"
        assert store.count() == INSTALLER_ROWS
