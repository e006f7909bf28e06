"""Unpacking into place without a half-unpacked state: a hidden staging folder inside the
destination, then one rename per top-level entry.

An archive unpacked straight into /Applications leaves, when the unpack is killed half-way,
a `Visual Studio Code.app` that passes the "the app exists" check forever (SPEC 3, "The
default profile"). Unpacked into `DEST/.dtu-install-unpack-XXXXXXXX/` (the same volume, so
`rename` is atomic; hidden, so Finder does not show it) and renamed into place only once the
tool has finished, an entry is either absent or complete. What a killed run left behind is
removed by the next one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

STAGING_PREFIX = ".dtu-install-unpack-"
REPLACED = ".replaced"  # inside the staging folder: an older copy moved out of the way


def remove_leftovers(dest: str) -> list[str]:
    """Delete the staging folders a killed run left in `dest`; returns their paths."""
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(dest):
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
    return removed


def new_staging(dest: str) -> str:
    """A fresh staging folder inside `dest` (which exists)."""
    return tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=dest)


def move_into_place(staging: str, dest: str) -> list[str]:
    """Rename every top-level entry of `staging` into `dest`, then delete `staging`. An entry
    already in `dest` (an older or damaged copy) is first moved into the staging folder and
    deleted with it. Returns the names moved."""
    names = sorted(n for n in os.listdir(staging) if n != REPLACED)
    replaced = Path(staging, REPLACED)
    for name in names:
        target = os.path.join(dest, name)
        if os.path.lexists(target):
            replaced.mkdir(exist_ok=True)
            os.rename(target, replaced / name)
        os.rename(os.path.join(staging, name), target)
    shutil.rmtree(staging, ignore_errors=True)
    return names
