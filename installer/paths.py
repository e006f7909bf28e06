"""Where dtu-install keeps its config, data (spool, event store) and logs.

macOS follows Apple's layout (`~/Library/...`); elsewhere the XDG base directories.
Everything derives from `$HOME` and the XDG variables at call time, so tests point them at
a temporary directory (the test suite refuses to touch the real home).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "dtu-install"


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    # XDG says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return _home() / default


def config_dir() -> Path:
    """Settings that the user chose (telemetry consent, ...)."""
    if sys.platform == "darwin":
        return _home() / "Library" / "Application Support" / APP
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def data_dir() -> Path:
    """State the program keeps (telemetry spool, event store, alert state)."""
    if sys.platform == "darwin":
        return _home() / "Library" / "Application Support" / APP
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def log_dir() -> Path:
    """One log file per run; `~/Library/Logs/dtu-install/` on macOS."""
    if sys.platform == "darwin":
        return _home() / "Library" / "Logs" / APP
    return _xdg("XDG_STATE_HOME", ".local/state") / APP / "logs"


def project_recipes_dir() -> Path:
    """The recipes shipped with this checkout or build (`recipes/` beside `installer/`)."""
    override = os.environ.get("DTU_INSTALL_RECIPES")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    bundled = here / "data" / "recipes"  # inside a wheel or zipapp
    if bundled.is_dir():
        return bundled
    return here.parent / "recipes"
