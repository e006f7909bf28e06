"""The built-in file actions: a marked block in shell profiles, and JSON settings files.

Both are idempotent (running them twice changes nothing the second time), write atomically
(a temporary file renamed into place) and back a file up once, before its first edit.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from installer.runner.failure import StepError, from_os_error
from installer.runner.outcome import ErrorCategory

BACKUP_SUFFIX = ".dtu-install.bak"


def block_markers(marker: str) -> tuple[str, str]:
    return f"# >>> dtu-install {marker} >>>", f"# <<< dtu-install {marker} <<<"


def with_block(text: str, marker: str, content: str) -> str:
    """`text` with exactly one marked block holding `content` (replaced, or appended)."""
    begin, end = block_markers(marker)
    block = f"{begin}\n{content.rstrip()}\n{end}\n"
    start = text.find(begin)
    stop = text.find(end, start + 1) if start >= 0 else -1
    if start >= 0 and stop >= 0:
        stop += len(end)
        if text[stop : stop + 1] == "\n":
            stop += 1
        return text[:start] + block + text[stop:]
    if text and not text.endswith("\n"):
        text += "\n"
    return text + block


def _backup_once(path: Path) -> None:
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    if path.exists() and not backup.exists():
        shutil.copy2(path, backup)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, new: str, old: str | None) -> bool:
    if new == old:
        return False
    try:
        _backup_once(path)
        _atomic_write(path, new)
    except OSError as exc:
        raise from_os_error(exc, f"cannot write {path}") from exc
    return True


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise from_os_error(exc, f"cannot read {path}") from exc


def apply_profile_block(files: tuple[str, ...], marker: str, content: str) -> list[str]:
    """Returns the files that changed."""
    changed = []
    for name in files:
        path = Path(os.path.expanduser(name))
        old = _read(path)
        if write_if_changed(path, with_block(old or "", marker, content), old):
            changed.append(str(path))
    return changed


def apply_json_settings(name: str, settings: Mapping[str, Any]) -> bool:
    path = Path(os.path.expanduser(name))
    old = _read(path)
    current: Any = {}
    if old is not None and old.strip():
        try:
            current = json.loads(old)
        except ValueError as exc:
            # VS Code allows comments in settings.json; we never rewrite what we cannot parse.
            raise StepError(
                ErrorCategory.UNKNOWN,
                f"{path} is not plain JSON (comments?); it was left unchanged: {exc}",
            ) from exc
    if not isinstance(current, dict):
        raise StepError(
            ErrorCategory.UNKNOWN, f"{path} does not hold a JSON object; left unchanged"
        )
    merged = {**current, **settings}
    if merged == current and old is not None:
        return False
    return write_if_changed(path, json.dumps(merged, indent=4) + "\n", old)
