"""Whole file or nothing: the one way every part of the program replaces a file.

A temporary file in the same directory (a rename is atomic only within one file system),
written, flushed to the disk (`fsync`: after a crash the new name never points at a file
whose data never arrived), then renamed over the old one. A reader sees the old file or the
new one, never a part; a failure (full disk, Ctrl-C) removes the temporary file and leaves
the old one as it was.

Links: a file the user owns and may have linked elsewhere (a dotfiles manager links
`~/.zprofile` into a repository) is written `through_links`: at the link's target, so the
link stays a link (issue 14 item 6). Our own files (the spool, the consent, a report page)
are replaced whatever is at their path: a link there is damage, not a choice.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

# Permission bits a new file asks for; the process's umask takes away from them, as for
# any file `open()` creates (mkstemp's 0600 would make a shared page or a dotfile private).
NEW_FILE_MODE = 0o666
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_atomically(
    path: Path,
    data: str | bytes,
    *,
    mode: int | None = None,
    through_links: bool = False,
) -> Path:
    """Replace the file at `path` with `data` (str: UTF-8). Returns the path written (the
    link's target when `through_links`). `mode`: the file's permission bits; by default an
    existing file keeps its own and a new one gets `NEW_FILE_MODE` less the umask. Raises
    `OSError`; the directory must exist."""
    target = Path(os.path.realpath(path)) if through_links else Path(path)
    tmp, fd = _create_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is None:
                mode = _existing_mode(target)
            if mode is not None:
                os.fchmod(f.fileno(), mode)
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _create_beside(target: Path) -> tuple[Path, int]:
    """A new, empty temporary file next to `target` (hidden, named after it)."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            return tmp, os.open(tmp, _CREATE, NEW_FILE_MODE)
        except FileExistsError:  # pragma: no cover - 32 random bits taken: draw again
            continue


def _existing_mode(target: Path) -> int | None:
    """The permission bits of the regular file at `target`, if there is one (not those of
    a link or a device we are about to replace)."""
    try:
        status = os.lstat(target)
    except OSError:
        return None
    return stat.S_IMODE(status.st_mode) if stat.S_ISREG(status.st_mode) else None
