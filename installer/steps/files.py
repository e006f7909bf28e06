"""The built-in file actions: a marked block in shell profiles, and JSON settings files.

Both are idempotent (running them twice changes nothing the second time), write atomically
(a temporary file renamed into place) and back a file up once, before its first edit.

A symlinked file (a dotfiles manager links `~/.zprofile` into a repository) is edited at its
target, so the link stays a link; anything that is not a regular file (a device such as
`/dev/null`, a FIFO, a directory) is refused before it is read (issue 14 item 6). A profile
whose markers are not paired is refused too, with the line, and left as it is: rewriting it
would replace the user's lines between an orphan marker and a new one (issue 14 item 4).
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from installer.common.atomic_write import write_atomically
from installer.events.outcome import ErrorCategory
from installer.steps import jsonc
from installer.steps.failure import StepError, from_os_error

BACKUP_SUFFIX = ".dtu-install.bak"


def block_markers(marker: str) -> tuple[str, str]:
    return f"# >>> dtu-install {marker} >>>", f"# <<< dtu-install {marker} <<<"


def with_block(text: str, marker: str, content: str, where: str = "the file") -> str:
    """`text` with exactly one marked block holding `content` (replaced, or appended).

    A marker is a line of its own (surrounding blanks allowed). Markers that do not form one
    begin ... end pair raise `StepError` naming `where` and the line: the step fails and
    the file stays as it is."""
    begin, end = block_markers(marker)
    block = f"{begin}\n{content.rstrip()}\n{end}\n"
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if not begins and not ends:
        if text and not text.endswith("\n"):
            text += "\n"
        return text + block
    if len(begins) == 1 and len(ends) == 1 and begins[0] < ends[0]:
        return "".join(lines[: begins[0]]) + block + "".join(lines[ends[0] + 1 :])
    raise StepError(
        ErrorCategory.UNKNOWN,
        f"{where}:{_unpaired(begins, ends) + 1}: the dtu-install '{marker}' block's markers "
        f"are not paired ({_why_unpaired(begins, ends)}); the file was left unchanged: "
        f"fix or delete the '{begin}' and '{end}' lines by hand, then run again",
    )


def _unpaired(begins: list[int], ends: list[int]) -> int:
    """The first marker line (0-based) that breaks the pairing."""
    if len(begins) > 1:
        return begins[1]
    if len(ends) > 1:
        return ends[1]
    return ends[0] if ends else begins[0]  # a lone end, an end before its begin; a lone begin


def _why_unpaired(begins: list[int], ends: list[int]) -> str:
    if len(begins) > 1:
        return f"{len(begins)} begin markers"
    if len(ends) > 1:
        return f"{len(ends)} end markers"
    if not ends:
        return "a begin marker without its end marker"
    if not begins:
        return "an end marker without its begin marker"
    return "the end marker comes before the begin marker"


def _backup_once(path: Path) -> None:
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if path.exists() and not backup.exists():
        shutil.copy2(path, backup)


def write_if_changed(path: Path, new: str, old: str | None) -> bool:
    if new == old:
        return False
    try:
        _backup_once(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The user's file: keeps its mode, and a link stays a link (written at its target).
        write_atomically(path, new, through_links=True)
    except OSError as exc:
        raise from_os_error(exc, f"cannot write {path}") from exc
    return True


def target(name: str) -> Path:
    """The regular file that the action on `name` edits: `~` expanded and symlinks followed
    (written there, atomically, the link stays a link). A path that exists and is not a
    regular file is refused with `StepError` before anything reads it."""
    path = Path(os.path.expanduser(name))
    real = Path(os.path.realpath(path))
    shown = str(path) if real == path else f"{path} (a link to {real})"
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real  # created on the first edit (a dangling link: at its target)
    except OSError as exc:  # a loop of links, a directory we may not search
        raise from_os_error(exc, f"cannot read {shown}") from exc
    if not stat.S_ISREG(mode):
        raise StepError(
            ErrorCategory.UNKNOWN,
            f"{shown} is {_file_kind(mode)}, not a regular file; it was left unchanged",
        )
    return real


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise StepError(
            ErrorCategory.UNKNOWN, f"{path} is not UTF-8 text; it was left unchanged"
        ) from exc
    except OSError as exc:
        raise from_os_error(exc, f"cannot read {path}") from exc


def apply_profile_block(files: tuple[str, ...], marker: str, content: str) -> list[str]:
    """Returns the files that changed. Every file is read and checked before any is written:
    one refused file leaves all of them as they were."""
    edits = []
    for name in files:
        path = target(name)
        old = _read(path)
        edits.append((path, with_block(old or "", marker, content, str(path)), old))
    return [str(path) for path, new, old in edits if write_if_changed(path, new, old)]


def apply_json_settings(name: str, settings: Mapping[str, Any]) -> bool:
    """Set `settings` in a JSON settings file, keeping everything else in it: the user's own
    keys, their order and comments (VS Code's settings.json is JSON with comments; see
    jsonc.py). Only keys whose value differs are written; the file is backed up first."""
    path = target(name)
    old = _read(path)
    try:
        current = jsonc.parse(old or "")
        changes = jsonc.differing(current, settings)
        if not changes and old is not None:
            return False
        new = jsonc.set_keys(old or "", changes)
    except jsonc.JsoncError as exc:
        # Never rewrite what we cannot read: the student's file stays as it is.
        raise StepError(
            ErrorCategory.UNKNOWN,
            f"{path} is not a JSON object (with comments) at {exc}; it was left unchanged",
        ) from exc
    return write_if_changed(path, new, old)
