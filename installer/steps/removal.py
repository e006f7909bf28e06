"""The built-in actions of `uninstall` steps: remove a path, remove a marked profile block.

DTU's own uninstall scripts `rm -rf` whatever conda `conda info --base` names, and the whole
VS Code configuration (dtudk/pythonsupport-scripts, dev branch, Utils/Conda/uninstall_macOS.sh,
Utils/VsCode/uninstall_macOS.sh). Here a path is removed only when an uninstall step names
it (and `uninstall` runs that step only for what dtu-install installed), `/`, the home
directory and its ancestors are refused like DTU's script refuses them, and a profile loses
exactly the lines between our markers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from installer.events.outcome import ErrorCategory
from installer.steps import files
from installer.steps.failure import StepError, from_os_error

REMOVING_SUFFIX = ".dtu-install-removing"


def refused(path: str, home: str) -> str | None:
    """Why removing `path` is refused, or None. Its real location counts (a link to `/`)."""
    if not os.path.isabs(path):
        return f"{path} is not an absolute path"
    real = os.path.realpath(path) if not os.path.islink(path) else os.path.abspath(path)
    home_real = os.path.realpath(home) if home else ""
    parts = [p for p in real.split(os.sep) if p]
    if len(parts) < 2:
        return f"{path} is a top-level directory"
    if home_real and (real == home_real or home_real.startswith(real.rstrip(os.sep) + os.sep)):
        return f"{path} is the home directory or holds it"
    return None


def remove_path(path: str, home: str) -> bool:
    """Remove a file, link (not its target) or directory; False when nothing was there.

    A directory is first renamed beside itself (same volume, so atomic): from that moment
    the path is gone, and a run killed half-way leaves a hidden `.NAME.dtu-install-removing`
    directory, never a half-removed one under the real name."""
    path = os.path.expanduser(path)
    why = refused(path, home)
    if why is not None:
        raise StepError(ErrorCategory.UNKNOWN, f"not removed: {why}")
    if not os.path.lexists(path):
        return False
    try:
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return True
        parent, name = os.path.split(path.rstrip(os.sep))
        aside = os.path.join(parent, f".{name}{REMOVING_SUFFIX}-{os.getpid()}")
        os.rename(path, aside)
    except OSError as exc:
        raise from_os_error(exc, f"cannot remove {path}") from exc
    shutil.rmtree(aside, ignore_errors=True)
    if os.path.lexists(aside):
        raise StepError(
            ErrorCategory.PERMISSION,
            f"{path} was moved to {aside} but could not be deleted completely; delete it by hand",
        )
    return True


def without_block(text: str, marker: str, where: str) -> str:
    """`text` without the marked block (markers included); unchanged when it has none.
    Markers that are not one pair raise `StepError` naming the line: nothing is removed."""
    begin, end = files.block_markers(marker)
    lines = text.splitlines(keepends=True)
    begins = [i for i, line in enumerate(lines) if line.strip() == begin]
    ends = [i for i, line in enumerate(lines) if line.strip() == end]
    if not begins and not ends:
        return text
    if len(begins) == 1 and len(ends) == 1 and begins[0] < ends[0]:
        return "".join(lines[: begins[0]] + lines[ends[0] + 1 :])
    if len(begins) > 1:
        line = begins[1] + 1
    elif len(ends) > 1:
        line = ends[1] + 1
    else:  # a lone marker, or an end before its begin
        line = (ends[0] if ends else begins[0]) + 1
    raise StepError(
        ErrorCategory.UNKNOWN,
        f"{where}:{line}: the dtu-install '{marker}' block's markers are not one pair; the "
        f"file was left unchanged: remove the block between '{begin}' and '{end}' by hand",
    )


def has_block(name: str, marker: str) -> bool:
    """True when the file holds a begin or end marker of `marker`."""
    try:
        text = Path(os.path.expanduser(name)).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    begin, end = files.block_markers(marker)
    return any(line.strip() in (begin, end) for line in text.splitlines())


def remove_profile_block(names: tuple[str, ...], marker: str) -> list[str]:
    """Remove the block from every file that has it; returns those changed. All files are
    read and checked before any is written (one refused file leaves all unchanged); each is
    backed up before its first change."""
    edits = []
    for name in names:
        path = files.target(name)
        try:
            old = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise StepError(
                ErrorCategory.UNKNOWN, f"cannot read {path} ({exc}); it was left unchanged"
            ) from exc
        edits.append((path, without_block(old, marker, str(path)), old))
    return [str(path) for path, new, old in edits if files.write_if_changed(path, new, old)]
