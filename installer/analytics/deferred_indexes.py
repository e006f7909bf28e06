"""Secondary indexes of `events` dropped for a large import and rebuilt after it.

Maintaining the time-window indexes row by row costs a large import about a third of its
insert time; building them once from the loaded table is several times cheaper. Only the
secondary indexes go: the UNIQUE identity stays, since `INSERT OR IGNORE` needs it to keep
the import idempotent.

The indexes are rebuilt from the exact SQL SQLite kept for them (`sqlite_master.sql`), which
is saved in `meta` in the same transaction that drops them. A load that never finishes
(SIGKILL, power loss) therefore leaves a note, and the next writer that opens the store
rebuilds the indexes from it (`restore`): queries are never left slow for good.
"""

from __future__ import annotations

import json
import sqlite3

META_KEY = "bulk_load.deferred_indexes"  # JSON [[name, sql], ...] while they are dropped

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
        noted = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        indexes = [(str(name), str(sql)) for name, sql in conn.execute(_SECONDARY)]
        if noted is not None:  # an unfinished load dropped some already: keep its note
            indexes = [(str(name), str(sql)) for name, sql in json.loads(noted[0])] + indexes
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (META_KEY, json.dumps(sorted(set(indexes)))),
        )
        for name, _ in indexes:
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def restore(conn: sqlite3.Connection) -> bool:
    """Rebuilds the indexes a load dropped, if any (one transaction); True if it did."""
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (META_KEY,)).fetchone() is None:
        return False  # the common case, checked without taking the write lock
    conn.execute("BEGIN IMMEDIATE")
    try:
        noted = conn.execute("SELECT value FROM meta WHERE key = ?", (META_KEY,)).fetchone()
        if noted is not None:  # another process may have restored them meanwhile
            present = {name for (name,) in conn.execute(_SECONDARY_NAMES)}
            for name, sql in json.loads(noted[0]):
                if name not in present:
                    conn.execute(sql)
            conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return noted is not None


def are_deferred(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key = ?", (META_KEY,)).fetchone() is not None
