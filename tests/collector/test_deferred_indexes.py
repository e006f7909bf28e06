"""A large import drops the secondary indexes and rebuilds them exactly; a load that never
finished leaves a note from which the next writer rebuilds them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from installer.analytics import importer
from installer.store import deferred_indexes
from installer.store.event_store import EventStore
from tests.collector.hits import query


def schema(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
        ).fetchall()
    return [(str(name), str(sql)) for name, sql in rows]


def hits_file(tmp_path: Path, count: int, tag: str) -> Path:
    path = tmp_path / f"{tag}.txt"
    path.write_text("".join(f"?{query(dimension6=f'{tag}{i}')}\n" for i in range(count)))
    return path


@pytest.mark.parametrize("workers", [1, 2])
def test_large_import_rebuilds_the_same_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    db = tmp_path / "e.sqlite3"
    with EventStore(db):
        pass
    before = schema(db)
    assert any(name == "events_sha_category_ts" for name, _ in before)
    monkeypatch.setattr(importer, "DEFER_INDEXES_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(importer, "CHUNK_LINES", 50)
    dropped: list[bool] = []
    real_drop = deferred_indexes.drop

    def spy(conn: sqlite3.Connection) -> None:
        dropped.append(True)
        real_drop(conn)

    monkeypatch.setattr(deferred_indexes, "drop", spy)
    with EventStore(db) as store:
        report = importer.import_files(store, [hits_file(tmp_path, 400, "a")], workers=workers)
        assert not deferred_indexes.are_deferred(store.conn)
    assert dropped == [True]
    assert report.added == 400
    assert schema(db) == before
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE category = 'x' AND ts > 5"
        ).fetchall()
    assert "events_category_ts" in str(plan)


def test_small_import_into_a_large_store_keeps_the_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "e.sqlite3"
    monkeypatch.setattr(importer, "DEFER_INDEXES_MIN_BYTES", 0)
    with EventStore(db) as store:
        importer.import_files(store, [hits_file(tmp_path, 300, "big")])
        monkeypatch.setattr(deferred_indexes, "drop", pytest.fail)  # must not be called
        report = importer.import_files(store, [hits_file(tmp_path, 10, "small")])
    assert report.added == 10


def test_an_unfinished_load_is_repaired_by_the_next_writer(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    with EventStore(db):
        pass
    before = schema(db)
    with EventStore(db) as store:
        deferred_indexes.drop(store.conn)  # then the importer is killed: no restore
    assert all(name.startswith("sqlite_autoindex") for name, _ in schema(db))
    with EventStore(db, readonly=True):
        pass  # a reader changes nothing
    with EventStore(db, restore_indexes=False):
        pass  # nor does a connection taking part in a load
    assert schema(db) != before
    with EventStore(db) as store:
        assert not deferred_indexes.are_deferred(store.conn)
    assert schema(db) == before


def test_a_second_drop_during_an_unfinished_load_keeps_the_first_note(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    with EventStore(db):
        pass
    before = schema(db)
    with EventStore(db) as store:
        deferred_indexes.drop(store.conn)
        deferred_indexes.drop(store.conn)  # nothing left to drop; the note must survive
        assert deferred_indexes.restore(store.conn)
        assert not deferred_indexes.restore(store.conn)
    assert schema(db) == before


def test_a_load_still_running_elsewhere_is_left_to_finish(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite3"
    with EventStore(db):
        pass
    before = schema(db)
    loader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with EventStore(db) as store:
            deferred_indexes.drop(store.conn)
            note = json.loads(store.get_meta(deferred_indexes.META_KEY) or "{}")
            note["pid"] = loader.pid  # as if that process were importing
            store.set_meta(deferred_indexes.META_KEY, json.dumps(note))
        with EventStore(db) as store:  # e.g. a pull started during the import
            assert deferred_indexes.are_deferred(store.conn)
    finally:
        loader.kill()
        loader.wait()
    with EventStore(db) as store:  # the loader is gone: its indexes are rebuilt
        assert not deferred_indexes.are_deferred(store.conn)
    assert schema(db) == before
