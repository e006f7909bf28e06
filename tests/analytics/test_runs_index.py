"""Store migration 6: the partial index on (error, ts) that the drill-down's runs list of one
error category reads, added to a store of an earlier release (tests/analytics/data/
store-v4.sqlite3, which also takes migration 5 on the way)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from installer.analytics.query import Scope, runs
from installer.analytics.timeutil import Window
from installer.store.event_store import MIGRATIONS, EventStore

FIXTURE = Path(__file__).parent / "data" / "store-v4.sqlite3"
EVERYTHING = Window(0, 2**40)


def _by_scan(db: Path, window: Window, scope: Scope) -> list[tuple[object, ...]]:
    """The runs list as it was read before the index: through `events_ts`."""
    where, args = scope.where()
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT run, MIN(ts), MAX(ts), COUNT(*), SUM(success) FROM events INDEXED BY "
            f"events_ts WHERE ts >= ? AND ts < ? AND run IS NOT NULL{where} "
            "GROUP BY run ORDER BY MAX(ts) DESC, run LIMIT 200",
            [window.start, window.end, *args],
        ).fetchall()


def test_an_old_store_gets_the_error_index_and_the_runs_list_is_unchanged(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.db"
    shutil.copy(FIXTURE, old)
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (4,)
        errors = [e for (e,) in conn.execute("SELECT DISTINCT error FROM events") if e]
    assert len(errors) >= 5
    with EventStore(old) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
        (sql,) = store.conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'events_error_ts'"
        ).fetchone()
        assert "WHERE error IS NOT NULL" in sql
        (indexed,) = store.conn.execute(
            "SELECT COUNT(*) FROM events INDEXED BY events_error_ts WHERE error IS NOT NULL"
        ).fetchone()
        (failures,) = store.conn.execute(
            "SELECT COUNT(*) FROM events WHERE error IS NOT NULL"
        ).fetchone()
        assert indexed == failures > 0
        (ts_min, ts_max) = store.conn.execute("SELECT MIN(ts), MAX(ts) + 1 FROM events").fetchone()
        windows = [EVERYTHING, Window(ts_min + (ts_max - ts_min) // 3, ts_max)]
        for error in errors:
            for window in windows:
                scope = Scope(error=error)
                plan = " ".join(
                    str(row[-1])
                    for row in store.conn.execute(
                        "EXPLAIN QUERY PLAN SELECT run FROM events WHERE ts >= ? AND ts < ? "
                        "AND run IS NOT NULL AND error = ?",
                        (window.start, window.end, error),
                    )
                )
                assert "events_error_ts" in plan
                found = [
                    (r.run, r.first, r.last, r.counts.events, r.counts.successes)
                    for r in runs(store, window, scope)
                ]
                assert found == _by_scan(old, window, scope)
        assert any(runs(store, EVERYTHING, Scope(error=e)) for e in errors)
