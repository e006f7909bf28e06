"""Identity across sources (SPEC 6): the same step of the same run is one event, whether
it was collected, imported or pulled; and the store migration that merges the duplicates a
store made by the release before holds (tests/analytics/data/store-v4.sqlite3)."""

from __future__ import annotations

import datetime
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import requests

from installer.analytics.piwik_api import PiwikClient
from installer.analytics.pull import pull
from installer.analytics.settings import PiwikSettings, Secret
from installer.analytics.timeutil import parse_moment
from installer.cli.main import main
from installer.events.normalise import normalise_hit, run_identity
from installer.store.event_store import MIGRATIONS, EventStore
from installer.telemetry.hits import decode
from tests.helpers.collector import RunningCollector, start_collector
from tests.helpers.month_hits import SITE, month_hits, piwik_rows
from tests.helpers.piwik_fake import FakePiwik, serve

FIXTURE = Path(__file__).parent / "data" / "store-v4.sqlite3"
AT = "2026-12-01T00:00:00Z"
DIMENSIONS = {"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 6}
CATEGORIES = ("Installer", "Installer_CI", "Installer_TEST")
NO_RUN = (  # the original bash tracker: no run id, so identified by all its parameters
    "?idsite=1&rec=1&e_c=Installer&e_a=Event&e_n=homebrew_install&e_v=1&cdt=2026-11-03%2010%3A00%3A00",
    "?idsite=1&rec=1&e_c=Installer&e_a=Event&e_n=homebrew_install&e_v=1&cdt=2026-11-03%2010%3A00%3A09",
    "?idsite=1&rec=1&e_c=Installer&e_a=Event&e_n=conda_init_network_error&e_v=0&cdt=2026-11-04%2011%3A00%3A00",
)


def collect(collector: RunningCollector, hits: list[str]) -> None:
    for start in range(0, len(hits), 95):  # the tracker's bulk size
        answer = requests.post(
            collector.tracking_url, json={"requests": hits[start : start + 95]}, timeout=30
        )
        assert answer.status_code == 200, answer.text


def import_(db: Path, tmp_path: Path, hits: list[str]) -> None:
    lines = tmp_path / f"hits-{len(hits)}.txt"
    lines.write_text("\n".join(hits) + "\n", encoding="utf-8")
    assert main(["analytics", "import", str(lines), "--db", str(db)]) == 0


def pull_into(db: Path, fake: FakePiwik) -> int:
    client = PiwikClient(fake.url, Secret("id"), Secret("secret"), session=fake.session())
    settings = PiwikSettings(fake.url, SITE, Secret("id"), Secret("secret"), page_size=50)
    with EventStore(db) as store:
        result = pull(
            store,
            client,
            settings,
            DIMENSIONS,
            now=parse_moment("2026-12-05T12:00:00Z"),
            categories=CATEGORIES,
            since=datetime.date(2026, 10, 30),
        )
    return result.added


def outputs(db: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    """Every dashboard and report as JSON, at one moment."""
    results: dict[str, object] = {}
    commands = {
        "dashboards": ["analytics", "dashboard", "all", "--json", "--days", "40"],
        "weekly": ["analytics", "report", "weekly", "--json"],
        "health": ["analytics", "report", "component-health", "--json"],
        "compatibility": ["analytics", "report", "compatibility", "--json"],
    }
    for name, args in commands.items():
        capsys.readouterr()
        assert main([*args, "--db", str(db), "--at", AT]) == 0
        results[name] = json.loads(capsys.readouterr().out)
    return results


def events(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return sorted(
            conn.execute(
                "SELECT ts, category, action, name, component, value, success, os, arch, sha, "
                "duration, error, run FROM events"
            )
        )


def test_collected_imported_and_pulled_the_same_month_is_stored_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hits = month_hits()
    fake = FakePiwik({"id": "secret"}, {SITE: piwik_rows(hits)})
    single = {name: tmp_path / f"{name}.db" for name in ("collected", "imported", "pulled")}
    both = tmp_path / "all.db"
    with serve(fake):
        collector = start_collector(single["collected"])
        try:
            collect(collector, hits)
        finally:
            collector.stop()
        import_(single["imported"], tmp_path, hits)
        assert pull_into(single["pulled"], fake) == len(hits)

        collector = start_collector(both)
        try:
            collect(collector, hits)
        finally:
            collector.stop()
        import_(both, tmp_path, hits)
        assert pull_into(both, fake) == 0  # every pulled event was already stored
    # Every field of every event is the same whichever way it came (the pull reads e_v 1.0,
    # the times from the website's clock, the dimensions from their columns).
    reference = events(single["imported"])
    assert len(reference) == len(hits)
    for db in (*single.values(), both):
        assert events(db) == reference, db
    # Equal events give equal numbers; shown on the pulled store (the one source whose rows
    # differ most from the tracker's hits) and on the store of all three.
    expected = outputs(single["imported"], capsys)
    for db in (single["pulled"], both):
        assert outputs(db, capsys) == expected, db


def test_a_resent_step_keeps_the_first_arrival(tmp_path: Path) -> None:
    first = decode(month_hits()[0])
    again = {**first, "cdt": "2026-11-30 23:59:59", "r": "123456"}
    with EventStore(tmp_path / "e.db") as store:
        assert store.insert([normalise_hit(first, received_at=None)]) == 1
        assert store.insert([normalise_hit(again, received_at=None)]) == 0
        (ts,) = store.conn.execute("SELECT ts FROM events").fetchone()
    assert ts == normalise_hit(first, received_at=None).ts


def test_a_store_of_the_previous_release_is_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.db"
    shutil.copy(FIXTURE, old)
    with sqlite3.connect(old) as conn:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        before = conn.execute("SELECT id, ident, ts, run, name FROM events").fetchall()
        position = conn.execute("SELECT value FROM meta WHERE key LIKE 'piwik.pull.%'").fetchone()
    assert version == 4 and len(before) == 294  # 145 steps imported and pulled, 1 resent, 3
    earliest: dict[tuple[str, str], tuple[int, int]] = {}
    for row_id, _ident, ts, run, name in before:
        if run is not None and ((run, name) not in earliest or row_id < earliest[(run, name)][0]):
            earliest[(run, name)] = (row_id, ts)
    without_run = {(i, bytes(ident)) for i, ident, _, run, _ in before if run is None}

    with EventStore(old) as store:
        (version,) = store.conn.execute("PRAGMA user_version").fetchone()
        after = store.conn.execute("SELECT id, ident, ts, run, name FROM events").fetchall()
        assert (
            store.conn.execute("SELECT value FROM meta WHERE key LIKE 'piwik.pull.%'").fetchone()
            == position
        )  # the pull goes on where it was
    assert version == len(MIGRATIONS) >= 5
    assert len(after) == 145 + 3
    kept = {(run, name): (row_id, ts) for row_id, _, ts, run, name in after if run is not None}
    assert kept == earliest  # the earliest received of each step, with its own time
    for row_id, ident, _, run, name in after:
        if run is not None:
            assert bytes(ident) == run_identity(run, name), row_id
    assert {(i, bytes(ident)) for i, ident, _, run, _ in after if run is None} == without_run

    # Counts, dashboards and reports equal those of the events imported once by this release.
    fresh = tmp_path / "fresh.db"
    import_(fresh, tmp_path, [*month_hits(), *NO_RUN])
    assert events(old) == events(fresh)
    assert outputs(old, capsys) == outputs(fresh, capsys)
    # And the sources find their events there: nothing is added again.
    import_(old, tmp_path, month_hits())
    assert len(events(old)) == 148
