"""Group commit: one writer thread turns the hits of many concurrent requests into one
SQLite transaction, and each request waits for its batch's COMMIT before it answers.

Why: a hit is acknowledged only after it is committed (SPEC 5), and one transaction per
request would cap the collector at the rate of SQLite commits. While a batch is being
written, newly arrived requests queue up and go together into the next one, so the number
of commits per second stays small however many clients send at once.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Sequence

from installer.store.event_store import EventStore

Row = tuple[object, ...]  # `event.normalise_row(...)`, or `store.event_row(event)`


LINGER_SECONDS = 0.001  # at most this much extra latency for a request, when others are open
# A batch already holding this many rows commits at once: the commit's fixed cost is shared
# well enough, and lingering would only leave the writer idle while bulk requests (95 hits
# each) wait behind it. Single hits, one row a request, still gather for up to a millisecond.
LINGER_MAX_ROWS = 64

# The writer's connection, tuned for a stream of small transactions. Durability is what
# `EventStore` sets (WAL, synchronous=NORMAL: a commit survives the process being killed).
# A checkpoint copies the WAL into the database and syncs both; it runs in the writer, so
# while it runs nothing commits. Every 32 MiB of WAL instead of SQLite's 4 MiB means an
# eighth of the syncs, and index pages rewritten by many batches are copied once. The page
# cache keeps the identity index (random keys) in memory well past a million events.
_WRITER_PRAGMAS = (
    ("wal_autocheckpoint", "8192"),  # pages of 4 KiB
    ("cache_size", "-65536"),  # KiB
)


class StoreUnavailable(Exception):
    """The store could not commit (disk full, I/O error, closing): answer 503, not 2xx."""


class _Ticket:
    """One request's place in a batch: set when its batch has committed (or failed)."""

    __slots__ = ("added", "done", "error", "on_done", "rows")

    def __init__(self, rows: Sequence[Row], on_done: Callable[[str | None], None] | None) -> None:
        self.rows = rows
        self.done = threading.Event()
        self.added = 0
        self.error: str | None = None
        self.on_done = on_done  # called in the writer thread: (None or the error)

    def settle(self) -> None:
        self.done.set()
        if self.on_done is not None:
            self.on_done(self.error)


class GroupCommitWriter:
    """Owns the store's connection; `submit` may be called from any number of threads."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        for name, value in _WRITER_PRAGMAS:
            store.conn.execute(f"PRAGMA {name}={value}")
        # How many senders may submit at the moment (the server sets it to its count of open
        # connections); the writer lingers briefly for that many before it commits.
        self.senders: Callable[[], int] = lambda: 1
        self._pending: list[_Ticket] = []
        self._pending_rows = 0
        self._wakeup = threading.Condition(threading.Lock())
        self._closing = False
        self.batches = 0  # how many transactions were committed (for logs and tests)
        # Why the last commit failed, while commits fail (disk full, I/O error); None when
        # they work. Clients only see 503s: the operator is told once when commits start
        # failing and once when they work again, on stderr (`report`), not once per batch.
        self.failing: str | None = None
        self.report: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
        self._thread = threading.Thread(target=self._run, name="collector-writer", daemon=True)
        self._thread.start()

    def submit(self, rows: Sequence[Row]) -> int:
        """Blocks until `rows` (from `event.normalise_row`) are committed; returns how many
        were new.

        Raises `StoreUnavailable` if they were not committed: the caller must not
        acknowledge them.
        """
        ticket = self.enqueue(rows)
        ticket.done.wait()
        if ticket.error is not None:
            raise StoreUnavailable(ticket.error)
        return ticket.added

    def enqueue(
        self, rows: Sequence[Row], on_done: Callable[[str | None], None] | None = None
    ) -> _Ticket:
        """Queues `rows` without waiting; `on_done(error)` runs in the writer thread once
        they are committed (error None) or were not (the reason). For an event loop, which
        must not block: `on_done` hands the outcome over with `call_soon_threadsafe`.

        Raises `StoreUnavailable` if the writer is closing.
        """
        ticket = _Ticket(rows, on_done)
        with self._wakeup:
            if self._closing:
                raise StoreUnavailable("the collector is shutting down")
            self._pending.append(ticket)
            self._pending_rows += len(rows)
            self._wakeup.notify()
        return ticket

    @property
    def closing(self) -> bool:
        """True once `close` was called: nothing more is taken (`StoreUnavailable`)."""
        return self._closing

    def close(self) -> None:
        """Commit what is queued, then stop the writer thread."""
        with self._wakeup:
            self._closing = True
            self._wakeup.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._pending and not self._closing:
                    self._wakeup.wait()
                # Commit delay (PostgreSQL's `commit_delay`): when several connections are
                # open, their next requests are usually on the way; waiting a fraction of a
                # millisecond for them turns N commits into one.
                deadline = time.monotonic() + LINGER_SECONDS
                while (
                    not self._closing
                    and len(self._pending) < self.senders()
                    and self._pending_rows < LINGER_MAX_ROWS
                    and (left := deadline - time.monotonic()) > 0
                ):
                    self._wakeup.wait(left)
                batch, self._pending, self._pending_rows = self._pending, [], 0
                if not batch and self._closing:
                    return
            self._commit(batch)

    def _commit(self, batch: list[_Ticket]) -> None:
        try:
            added = self._store.insert_groups([ticket.rows for ticket in batch])
        except sqlite3.OperationalError as exc:  # disk full, I/O error, locked: the store's
            self._fail(batch, exc)
            return
        except Exception as exc:  # any failure must release the waiters, not hang them
            # A row the store refuses (a value no check caught: issue 14 item 1) fails the
            # whole transaction; committed one request at a time, only its own sender is
            # refused and everyone who shared the batch is stored.
            if len(batch) > 1:
                for ticket in batch:
                    self._commit([ticket])
                return
            self._fail(batch, exc)
            return
        if self.failing is not None:
            self.failing = None
            self.report("collector: the event store commits again")
        self.batches += 1
        for ticket, count in zip(batch, added):
            ticket.added = count
            ticket.settle()

    def _fail(self, batch: list[_Ticket], exc: Exception) -> None:
        error = f"the event store could not commit: {exc}"
        if self.failing is None:
            self.report(f"collector: {error}; answering 503 until it can")
        self.failing = error
        for ticket in batch:
            ticket.error = error
            ticket.settle()
