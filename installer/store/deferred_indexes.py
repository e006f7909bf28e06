"""Secondary indexes of `events` dropped for a large import and rebuilt after it.

Maintaining the time-window indexes row by row costs a large import about a third of its
insert time; building them once from the loaded table is several times cheaper. Only the
secondary indexes go: the UNIQUE identity stays, since `INSERT OR IGNORE` needs it to keep
the import idempotent.

The indexes are rebuilt from the exact SQL SQLite kept for them (`sqlite_master.sql`), which
is saved in `meta` in the same transaction that drops them. A load that never finishes
(SIGKILL, power loss) therefore leaves a note, and the next writer that opens the store
rebuilds the indexes from it (`restore`): queries are never left slow for good. The note
names the loading process, so a writer opened while that load is still running (a pull, a
collector start) leaves the rebuild to it rather than taking the write lock for long.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3

from installer.store.sqlite_tx import rollback

# While they are dropped: JSON {"pid": .., "host": .., "indexes": [[name, sql], ...]}.
META_KEY = "bulk_load.deferred_indexes"

# `sql IS NOT NULL`: SQLite's own index for the UNIQUE identity has no SQL and is never
# dropped.
_SECONDARY = (
    "SELECT name, sql FROM sqlite_master "
    "WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL ORDER BY name"
)
_SECONDARY_NAMES = _SECONDARY.replace("name, sql", "name")


def drop(conn: sqlite3.Connection) -> None:
    """Drops the secondary indexes of `events`, noting their SQL in `meta` (one transaction)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        indexes = [(str(name), str(sql)) for name, sql in conn.execute(_SECONDARY)]
        indexes += _noted(conn)  # an unfinished load dropped some already: keep them
        note = {"pid": os.getpid(), "host": socket.gethostname(), "indexes": sorted(set(indexes))}
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (META_KEY, json.dumps(note)),
        )
        for name, _ in indexes:
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def restore(conn: sqlite3.Connection, *, abandoned_only: bool = False) -> bool:
    """Rebuilds the indexes a load dropped, if any (one transaction); True if it did.
    `abandoned_only`: not while the process that dropped them is still running."""
    note = _note(conn)  # the common case (no note) is checked without the write lock
    if note is None or (abandoned_only and _loader_alive(note)):
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        indexes = _noted(conn)  # another process may have restored them meanwhile
        present = {name for (name,) in conn.execute(_SECONDARY_NAMES)}
        for name, sql in indexes:
            if name not in present:
                conn.execute(sql)
        conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
    return bool(indexes)


def are_deferred(conn: sqlite3.Connection) -> bool:
    return _note(conn) is not None


def _note(conn: sqlite3.Connection) -> dict[str, object] | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None:
        return None
    note = json.loads(row[0])
    return note if isinstance(note, dict) else {"indexes": note}


def _noted(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    note = _note(conn)
    pairs = note.get("indexes", []) if note else []
    return [(str(name), str(sql)) for name, sql in pairs]  # type: ignore[attr-defined]  # JSON object values; this module wrote [[name, sql], ...]


def _loader_alive(note: dict[str, object]) -> bool:
    """Whether the process named in the note still runs (on another host: assume so)."""
    pid = note.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    if note.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True
