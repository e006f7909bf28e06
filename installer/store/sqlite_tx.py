"""Ending a failed SQLite transaction without hiding why it failed."""

from __future__ import annotations

import sqlite3


def rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already undone it.

    On some errors (SQLITE_FULL when the disk is full, SQLITE_IOERR, SQLITE_NOMEM) SQLite
    rolls the whole transaction back itself; a ROLLBACK then raises "cannot rollback - no
    transaction is active", and that error replaced the real one: the collector answered
    503 "cannot rollback" instead of "database or disk is full".
    """
    if conn.in_transaction:
        conn.execute("ROLLBACK")
