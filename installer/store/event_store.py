"""The event store: one SQLite file (WAL), schema versioned with migrations.

Location: `--db PATH`, else `$DTU_INSTALL_DB`, else `<data dir>/events.sqlite3`.
Writes are idempotent: an event whose identity is already stored is not added again.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path

from installer import paths
from installer.errors import UsageError
from installer.events.normalise import Event, run_identity
from installer.store import deferred_indexes
from installer.store.sqlite_tx import rollback

# The daily rollup's position (`query.refresh_rollup`): events folded up to this id.
ROLLUP_POSITION = "rollup.daily.through_id"


def _identify_by_run(conn: sqlite3.Connection) -> None:
    """Version 5: events with a run id are identified by (run id, `e_n`) (SPEC 6).

    A store written before holds the same step of the same run once per source that brought
    it (pulled rows lack `_id`, `url`, `rec`, so their digest differed from the imported or
    collected hit's). Of each (run, name) the earliest received (lowest id) stays; the others
    go, and the daily rollup is folded again from what remains. The index on `run` serves
    `analytics run` (support ids) and this merge."""
    conn.create_function("dtu_run_identity", 2, run_identity, deterministic=True)
    conn.execute("CREATE INDEX events_run ON events (run, name)")
    # Every run event's ident changes, each a random place in the UNIQUE index: with the
    # default 2 MiB page cache that thrashes; the bulk load's cache (`_BULK_PRAGMAS`) keeps
    # the index in memory (1.1M rows on the shared 2 cores: 72-89 s before, 40-52 s with it).
    (cache,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute(f"PRAGMA cache_size={_BULK_CACHE}")
    try:
        removed = conn.execute(
            "DELETE FROM events WHERE run IS NOT NULL AND EXISTS (SELECT 1 FROM events AS "
            "first WHERE first.run = events.run AND first.name = events.name "
            "AND first.id < events.id)"
        ).rowcount
        conn.execute("UPDATE events SET ident = dtu_run_identity(run, name) WHERE run IS NOT NULL")
    finally:
        conn.execute(f"PRAGMA cache_size={int(cache)}")
    if removed:
        # The rollup counted the removed rows; it is rebuilt by the next reader.
        conn.execute("DELETE FROM daily")
        conn.execute("DELETE FROM meta WHERE key = ?", (ROLLUP_POSITION,))


# Each migration moves the schema from version i to i + 1 (`PRAGMA user_version`): SQL text,
# or a function of the connection for what SQL alone cannot do. Append new ones; never edit
# a released one.
MIGRATIONS: Sequence[str | Callable[[sqlite3.Connection], None]] = (
    """
    CREATE TABLE events (
        id        INTEGER PRIMARY KEY,
        ident     BLOB    NOT NULL UNIQUE,
        ts        INTEGER NOT NULL,
        category  TEXT    NOT NULL,
        action    TEXT    NOT NULL,
        name      TEXT    NOT NULL,
        component TEXT    NOT NULL,
        value     REAL,
        success   INTEGER NOT NULL,
        os        TEXT,
        arch      TEXT,
        sha       TEXT,
        duration  REAL,
        error     TEXT,
        run       TEXT
    );
    CREATE INDEX events_ts ON events (ts);
    CREATE INDEX events_category_ts ON events (category, ts);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # Alerts and notifications (reports/alerts issue). The (sha, category, ts) index makes a
    # SHA's first event an index seek (commit_regression), so alert checks read only their
    # windows, never the whole history. Alert state, the warning digest and the delivery
    # outbox live next to the events so that a restart neither forgets nor re-sends.
    """
    CREATE INDEX events_sha_category_ts ON events (sha, category, ts);
    CREATE TABLE alert_state (
        rule        TEXT    NOT NULL,
        key         TEXT    NOT NULL,
        severity    TEXT    NOT NULL,
        first_at    INTEGER NOT NULL,
        last_at     INTEGER NOT NULL,
        notified_at INTEGER,
        firing      TEXT    NOT NULL,
        PRIMARY KEY (rule, key)
    );
    CREATE TABLE alert_digest (
        id         INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        item       TEXT    NOT NULL
    );
    CREATE TABLE alert_outbox (
        id              INTEGER PRIMARY KEY,
        created_at      INTEGER NOT NULL,
        channel         TEXT    NOT NULL,
        message         TEXT    NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        sent_at         INTEGER
    );
    """,
    # Daily rollup of the events (dashboards issue): `query.counts` reads a window's whole
    # days from here and only its partial first and last day from `events`, so a year of a
    # large deployment answers in a fraction of a second. Filled incrementally by readers
    # (`query.refresh_rollup`; position in meta `rollup.daily.through_id`, events.id only
    # grows). '' stands for NULL so that the primary key stays unique.
    """
    CREATE TABLE daily (
        day       INTEGER NOT NULL,
        category  TEXT    NOT NULL,
        component TEXT    NOT NULL,
        os        TEXT    NOT NULL,
        arch      TEXT    NOT NULL,
        sha       TEXT    NOT NULL,
        error     TEXT    NOT NULL,
        success   INTEGER NOT NULL,
        events    INTEGER NOT NULL,
        PRIMARY KEY (day, category, component, os, arch, sha, error, success)
    ) WITHOUT ROWID;
    """,
    # When a message first failed to be delivered, and when the outbox stopped retrying it
    # (notify `give_up_after` after the first failure); such a message is kept for the record.
    """
    ALTER TABLE alert_outbox ADD COLUMN first_failed_at INTEGER;
    ALTER TABLE alert_outbox ADD COLUMN gave_up_at INTEGER;
    """,
    _identify_by_run,
    # The drill-down's runs list (`query.runs`) of one error category: failures are a few
    # per cent of the events, and through `events_ts` a year's runs list read every event
    # of the year (0.33 s at 1M events). Only events with an error are in this index, so it
    # is small; `error = ?` lets SQLite use it.
    """
    CREATE INDEX events_error_ts ON events (error, ts) WHERE error IS NOT NULL;
    """,
)

_ONE_ROW = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
_INSERT = (
    "INSERT OR IGNORE INTO events (ident, ts, category, action, name, component, value, "
    "success, os, arch, sha, duration, error, run) VALUES " + _ONE_ROW
)
# Rows per INSERT statement: one SQLite call per 32 rows instead of one per row. In the
# collector every call releases and retakes the GIL, which its many threads contend for.
# 32 x 14 parameters stays under the 999 that SQLite before 3.32 allows. The remainder goes
# in one statement of its own size (32 texts at most, kept by the connection's statement
# cache).
_ROWS_PER_STATEMENT = 32


@functools.lru_cache(maxsize=_ROWS_PER_STATEMENT)
def _insert_sql(rows: int) -> str:
    return _INSERT.replace(_ONE_ROW, ",".join([_ONE_ROW] * rows))


def _insert(conn: sqlite3.Connection, rows: Iterable[tuple[object, ...]]) -> None:
    """All rows, in order, through as few statements as possible (same effect as one
    `INSERT OR IGNORE` per row: a duplicate inside one statement is skipped alone)."""
    rows = rows if isinstance(rows, list) else list(rows)
    size = _ROWS_PER_STATEMENT
    whole = len(rows) - len(rows) % size
    flat = chain.from_iterable
    if whole:
        chunks = (tuple(flat(rows[i : i + size])) for i in range(0, whole, size))
        conn.executemany(_insert_sql(size), chunks)
    if whole < len(rows):
        conn.execute(_insert_sql(len(rows) - whole), tuple(flat(rows[whole:])))


def default_db_path() -> Path:
    override = os.environ.get("DTU_INSTALL_DB")
    return Path(override) if override else paths.data_dir() / "events.sqlite3"


def resolve_db_path(db: str | os.PathLike[str] | None) -> Path:
    """`--db` as given, or the default store when it was not given. `--db ''` (an unset
    shell variable) is refused rather than taken as "not given": it quietly read or wrote
    the default store instead of the one meant."""
    if db is None:
        return default_db_path()
    if not str(db).strip():
        raise UsageError("--db: the path is empty; give the event store's file")
    return Path(db)


# One C-level call per event (a bool is stored as the integer 0 or 1): the import of a
# million events spends noticeable time building rows.
_row: Callable[[Event], tuple[object, ...]] = operator.attrgetter(
    "ident",
    "ts",
    "category",
    "action",
    "name",
    "component",
    "value",
    "success",
    "os",
    "arch",
    "sha",
    "duration",
    "error",
    "run",
)

event_row = _row  # public: the importer's worker processes send rows, not Event objects

# While a file is imported: more page cache, and no fsync per transaction. A crash of the
# machine mid-import can lose the last transactions but not corrupt the database (WAL), and
# importing again is idempotent, so nothing is lost for good.
_BULK_CACHE = "-131072"  # KiB: 128 MiB, the unique index on `ident` stays in memory
_BULK_PRAGMAS: Sequence[tuple[str, str]] = (
    ("synchronous", "OFF"),
    ("cache_size", _BULK_CACHE),
    ("temp_store", "MEMORY"),
)


_OPEN_TIMEOUT_SECONDS = 30.0  # how long an opener waits for another's write lock


def _use_wal(conn: sqlite3.Connection) -> None:
    """`PRAGMA journal_mode=WAL`, waiting for the lock it needs. Switching a new file to WAL
    takes an exclusive lock and SQLite reports "database is locked" at once, without its
    busy timeout, when another opener holds one: two processes creating one store failed
    (issue 14 item 8)."""
    deadline = time.monotonic() + _OPEN_TIMEOUT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


def _writable(path: Path) -> bool:
    """Whether this process may write the store and create its `-wal` and `-shm` beside it
    (`os.access` also says no on a read-only mount, even to root)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection. A WAL store whose `-shm` cannot be created (its directory is
    read-only) opens only as immutable, which is then true: nobody can write there either."""
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + "?mode=ro"
    try:
        return _connect_checked(uri)
    except sqlite3.OperationalError:  # "unable to open database file": no -shm, none allowed
        return _connect_checked(uri + "&immutable=1")


def _connect_checked(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # opens the WAL index
    except BaseException:
        conn.close()
        raise
    return conn


class EventStore:
    """A connection to the store. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        restore_indexes: bool = True,
    ) -> None:
        """`restore_indexes`: rebuild indexes an unfinished bulk load dropped
        (`deferred_indexes`); False only for a connection that takes part in that load."""
        self.path = Path(path)
        if readonly and not self.path.exists():
            raise UsageError(
                f"no event store at {self.path}: collect, import or pull events first "
                "(see `dtu-install analytics --help`)"
            )
        if not readonly:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        try:
            if readonly and not _writable(self.path):
                # Dashboards and reports on a store they may only read (a copy on a read-only
                # mount, a file of another user's): they exited 2, as opening tried to write.
                self.conn = _open_readonly(self.path)
                self._refuse_foreign()
                if self._schema_version() < len(MIGRATIONS):
                    raise UsageError(
                        f"{self.path} needs an upgrade of its schema, which a file this "
                        "process may not write cannot take; open it once with write access"
                    )
                return
            # isolation_level=None: we manage transactions explicitly (BEGIN IMMEDIATE).
            self.conn = sqlite3.connect(
                str(self.path),
                timeout=_OPEN_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            self._refuse_foreign()  # before the switch to WAL, which writes the file's header
            _use_wal(self.conn)
            # NORMAL in WAL mode is durable against process crashes (a killed collector);
            # only an OS crash/power loss can lose the last transactions.
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
            if restore_indexes and not readonly:
                deferred_indexes.restore(self.conn, abandoned_only=True)
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{self.path} is not a usable event store: {exc}") from None

    def _refuse_foreign(self) -> None:
        """`UsageError` for an SQLite file that holds tables but is no event store (schema
        version 0): `--db` pointed at another program's database got the event tables added
        to it (issue 14 item 17). A new, empty file is fine: it becomes a store."""
        # The version and the table list are read in one read transaction, so from one
        # snapshot: read apart, another process could create the store in between, and this
        # one saw version 0 and then its tables, and called the new store foreign.
        self.conn.execute("BEGIN")
        try:
            if self._schema_version():
                return
            names = [
                str(name)
                for (name,) in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' LIMIT 4"
                )
            ]
        finally:
            self.conn.execute("COMMIT")
        if names:
            shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            self.conn.close()
            raise UsageError(
                f"{self.path} is an SQLite database but not an event store (it holds {shown}); "
                "it was left unchanged. Give --db an event store or a new file"
            )

    def _migrate(self) -> None:
        if self._schema_version() == len(MIGRATIONS):
            return  # the usual case: nothing to do, no write lock taken
        # The version is read again inside the write transaction: two processes opening a new
        # store at once both saw version 0, and the second failed with "table events already
        # exists" (issue 14 item 8). Inside it, the second waits and then finds nothing to do.
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for number in range(self._schema_version(), len(MIGRATIONS)):
                self._apply(MIGRATIONS[number])
                self.conn.execute(f"PRAGMA user_version = {number + 1}")
            self.conn.execute("COMMIT")
        except BaseException:
            rollback(self.conn)
            raise

    def _schema_version(self) -> int:
        (version,) = self.conn.execute("PRAGMA user_version").fetchone()
        if version > len(MIGRATIONS):
            raise UsageError(
                f"{self.path} was written by a newer dtu-install (schema {version}); upgrade"
            )
        return int(version)

    def _apply(self, script: str | Callable[[sqlite3.Connection], None]) -> None:
        if callable(script):
            script(self.conn)  # inside the migration's transaction, like the SQL ones
            return
        # executescript would COMMIT our transaction; run the statements one by one instead.
        for statement in script.split(";"):
            if statement.strip():
                self.conn.execute(statement)

    def insert(self, events: Iterable[Event]) -> int:
        """Store events in one transaction; returns how many were new."""
        before = self.conn.total_changes
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            _insert(self.conn, map(_row, events))
            self.conn.execute("COMMIT")
        except BaseException:
            rollback(self.conn)
            raise
        return self.conn.total_changes - before

    def insert_rows(self, rows: Iterable[tuple[object, ...]]) -> int:
        """Rows made by `event_row` (in another process, for a parallel import) in one
        transaction; returns how many were new."""
        before = self.conn.total_changes
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            _insert(self.conn, rows)
            self.conn.execute("COMMIT")
        except BaseException:
            rollback(self.conn)
            raise
        return self.conn.total_changes - before

    def insert_groups(self, groups: Sequence[Sequence[tuple[object, ...]]]) -> list[int]:
        """Several requests' rows (made by `event_row`) in ONE transaction (the collector's
        group commit); returns how many of each group were new."""
        added: list[int] = []
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for rows in groups:
                before = self.conn.total_changes
                _insert(self.conn, rows)
                added.append(self.conn.total_changes - before)
            self.conn.execute("COMMIT")
        except BaseException:
            rollback(self.conn)
            raise
        return added

    @contextlib.contextmanager
    def bulk_loading(self, *, defer_indexes: bool = False) -> Iterator[None]:
        """Tune the connection for a large import; restores the normal settings after.
        `defer_indexes`: drop the secondary indexes now and rebuild them at the end (worth
        it when the load is about as large as the table, see `deferred_indexes`)."""
        saved = [
            (name, self.conn.execute(f"PRAGMA {name}").fetchone()[0]) for name, _ in _BULK_PRAGMAS
        ]
        for name, value in _BULK_PRAGMAS:
            self.conn.execute(f"PRAGMA {name}={value}")
        try:
            if defer_indexes:
                deferred_indexes.drop(self.conn)
            yield
        finally:
            try:
                if defer_indexes:
                    deferred_indexes.restore(self.conn)  # with the bulk cache: faster
            finally:
                for name, value in saved:
                    self.conn.execute(f"PRAGMA {name}={value}")

    def count(self) -> int:
        (n,) = self.conn.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(n)

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
