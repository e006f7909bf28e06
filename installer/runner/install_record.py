"""What dtu-install itself did on this machine: the steps it ran with success.

`uninstall` removes only what is here (or what our markers mark): a Miniforge, VS Code or
course environment that the student had before, which the install check found and skipped,
is never recorded and never removed. The file is `installed.json` in the data directory:

    {"version": 1, "steps": {"miniforge_install": {"recipe": "miniforge", "at": 1764...}}}

It is written atomically after each recorded step, so a run stopped half-way keeps what it
did. A missing or unreadable file is an empty record: uninstall then removes nothing that
needs it (and says so).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from installer import paths
from installer.common.atomic_write import write_atomically
from installer.events.outcome import Status, StepOutcome

RECORD_FILE = "installed.json"
RECORD_VERSION = 1


def record_path() -> Path:
    return paths.data_dir() / RECORD_FILE


def read_record(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Step name -> {"recipe", "at"}; empty when there is no readable record."""
    try:
        data = json.loads((path or record_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, dict):
        return {}
    return {k: v for k, v in steps.items() if isinstance(k, str) and isinstance(v, dict)}


def _write(steps: dict[str, dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"version": RECORD_VERSION, "steps": steps}
    write_atomically(path, json.dumps(record, indent=1, sort_keys=True))


def forget(names: Iterable[str], path: Path | None = None) -> None:
    """Drop steps whose work an uninstall step removed."""
    target = path or record_path()
    steps = read_record(target)
    names = [n for n in names if n in steps]
    if names:
        for name in names:
            del steps[name]
        _write(steps, target)


class InstallRecord:
    """An outcome sink: every step that ran with success (not skipped: then the thing was
    there before) is added to the record. Never raises: the record must not break a run."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or record_path()

    def record(self, outcome: StepOutcome) -> None:
        if outcome.status is not Status.SUCCESS:
            return
        try:
            steps = read_record(self.path)
            at = outcome.finished_at or time.time()
            steps[outcome.step] = {"recipe": outcome.recipe, "at": round(at)}
            _write(steps, self.path)
        except OSError:
            pass  # a read-only data dir: the install goes on; uninstall will leave it

    def close(self) -> None:
        pass
