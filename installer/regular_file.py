"""Reading a small file that must be a regular file, without ever blocking or reading
without end: a FIFO's open waits for a writer (a `run` or `validate` hung there), a link to
/dev/zero never ends (it read until MemoryError). Issue 14 item 11.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """Something other than a regular file (or a directory) at the path. An OSError, so
    that callers which treat an unreadable file as absent do the same with this one."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", str(path))
        self.kind = kind


def read_regular(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes of the regular file at `path` (one more than allowed, so a
    caller can tell "too large"). Raises `NotRegularFile`, `IsADirectoryError` or another
    `OSError` before reading anything that is not a regular file."""
    # O_NONBLOCK: the open of a FIFO returns at once, and fstat then tells what it is.
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, kind_of(mode))
        return f.read(limit + 1)


def kind_of(mode: int) -> str:
    """`st_mode` of something that is not a regular file, in words."""
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")
