"""The spool: hits that could not be delivered during a run, sent at the next run.

One hit per line (its encoded query string, which carries its own `cdt`). Bounded in age
(Piwik PRO accepts backdated events for about 24 h, so older hits are dropped and counted)
and in size (the oldest go first). Two runs at once are serialised by a lock file; a run
that takes the spool empties it, so a hit is sent by exactly one run. Every failure (corrupt
file, unreadable or read-only directory, full disk, lock held too long) is logged and
swallowed: the spool never raises and never blocks an install for longer than its timeout.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from installer.common.atomic_write import write_atomically
from installer.regular_file import NotRegularFile, kind_of
from installer.telemetry.hits import decode, hit_time

log = logging.getLogger(__name__)

SPOOL_NAME = "telemetry-spool.txt"
LOCK_NAME = "telemetry-spool.lock"
LOCK_POLL_SECONDS = 0.01
REQUIRED_PARAMS = ("idsite", "e_c", "e_a", "e_n", "cdt")
MAX_HIT_CHARS = 8000  # a real hit is well under 1,000 characters; longer lines are damage


class LockTimeout(Exception):
    """Another run holds the spool for longer than we may wait."""


@dataclass(frozen=True)
class Taken:
    hits: list[str]
    too_old: int = 0
    corrupt: int = 0
    oversize_bytes: int = 0  # the oldest part of a file larger than the bound, not read


def _valid(line: str) -> bool:
    if not line.startswith("?") or len(line) > MAX_HIT_CHARS or not line.isascii():
        return False
    params = decode(line)
    return all(params.get(k) for k in REQUIRED_PARAMS) and hit_time(line) is not None


class Spool:
    def __init__(self, directory: Path, *, max_bytes: int, max_age: float) -> None:
        self.directory = directory
        self.path = directory / SPOOL_NAME
        self.lock_path = directory / LOCK_NAME
        self.max_bytes = max_bytes
        self.max_age = max_age

    @contextlib.contextmanager
    def _locked(self, timeout: float) -> Iterator[None]:
        import fcntl  # POSIX only; the installer runs on macOS (and Linux in CI)

        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise LockTimeout(f"{self.lock_path} is held by another run") from None
                    time.sleep(LOCK_POLL_SECONDS)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _read_newest(self) -> tuple[bytes, int]:
        """At most `max_bytes` of the file's newest complete lines, and how many bytes before
        them were not read. Our own writes never exceed the bound, but a damaged or foreign
        file can be any size, and reading it all would stall the install's start and exit
        (a 50 MB file took 25 s to take), far past the flush bound (SPEC 4)."""
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. A FIFO or
        # a link to /dev/zero blocked the run's start or read without end (issue 14 item 11).
        with os.fdopen(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
            status = os.fstat(f.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise NotRegularFile(self.path, kind_of(status.st_mode))
            size = status.st_size
            if size <= self.max_bytes:
                return f.read(), 0
            # One byte more than the bound, so that a line starting exactly at the cut is
            # kept: everything up to the first newline is part of an older, cut line.
            f.seek(size - self.max_bytes - 1)
            data = f.read(self.max_bytes + 1)
        _, _, newest = data.partition(b"\n")
        return newest, size - len(newest)

    def _read(self, now: float) -> Taken:
        try:
            data, oversize = self._read_newest()
        except FileNotFoundError:
            return Taken([])
        except NotRegularFile:
            log.info("telemetry spool %s is not a regular file: not read", self.path)
            return Taken([], corrupt=1)  # taking the spool removes it, putting replaces it
        hits: list[str] = []
        too_old = corrupt = 0
        # Every hit we write ends with a newline, so text after the last one is a hit cut
        # short (a damaged file). It may still parse, with its last values cut (`url`,
        # `action_name` come after `cdt`), and would be sent wrong: drop it.
        complete, _, cut = data.rpartition(b"\n")
        if cut.strip():
            corrupt += 1
        for raw in complete.splitlines():
            line = raw.decode("ascii", errors="replace").strip()
            if not line:
                continue
            if not _valid(line):
                corrupt += 1
                continue
            when = hit_time(line)
            if when is None or now - when > self.max_age:
                too_old += 1
                continue
            hits.append(line)
        return Taken(hits, too_old, corrupt, oversize)

    def _write(self, hits: list[str]) -> None:
        if not hits:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        # Newest last; keep the newest that fit (the oldest would be dropped by age first).
        kept: list[str] = []
        size = 0
        for hit in reversed(hits):
            size += len(hit) + 1
            if size > self.max_bytes:
                break
            kept.append(hit)
        kept.reverse()
        dropped = len(hits) - len(kept)
        if dropped:
            log.info("telemetry spool full: dropped the %d oldest hits", dropped)
        # Whole file or nothing; whatever was at the path (a FIFO, a link) is replaced.
        write_atomically(self.path, "".join(h + "\n" for h in kept))

    def take(self, *, now: float, lock_timeout: float) -> Taken:
        """Everything spooled and still young enough; the spool is left empty."""
        try:
            with self._locked(lock_timeout):
                taken = self._read(now)
                if taken.hits or taken.too_old or taken.corrupt or self.path.exists():
                    self._write([])
        except (OSError, LockTimeout) as exc:
            log.info("telemetry spool not read: %s", exc)
            return Taken([])
        if taken.too_old:
            log.info(
                "telemetry spool: dropped %d hits older than %.0f h",
                taken.too_old,
                self.max_age / 3600,
            )
        if taken.corrupt:
            log.info("telemetry spool: dropped %d unreadable lines", taken.corrupt)
        if taken.oversize_bytes:
            log.info(
                "telemetry spool over %d bytes: dropped its oldest %d bytes unread",
                self.max_bytes,
                taken.oversize_bytes,
            )
        return taken

    def put(self, hits: list[str], *, now: float, lock_timeout: float) -> bool:
        """Add hits for a later run (merged with what another run left); True if written."""
        if not hits:
            return True
        try:
            with self._locked(lock_timeout):
                existing = self._read(now)
                self._write(existing.hits + [h for h in hits if _valid(h)])
        except (OSError, LockTimeout) as exc:
            log.info("telemetry spool not written, %d hits lost: %s", len(hits), exc)
            return False
        return True

    def peek(self, *, now: float) -> list[str]:
        """What the next run would send from the spool (for `telemetry show`); no lock."""
        try:
            return self._read(now).hits
        except OSError:
            return []
