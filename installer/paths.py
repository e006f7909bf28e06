"""Where dtu-install keeps its config, data (spool, event store) and logs.

macOS follows Apple's layout (`~/Library/...`); elsewhere the XDG base directories.
Everything derives from `$HOME` and the XDG variables at call time, so tests point them at
a temporary directory (the test suite refuses to touch the real home).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

APP = "dtu-install"


def _macos() -> bool:
    # Follows the facts (DTU_INSTALL_PLATFORM=darwin in the Mac sandbox), not sys.platform.
    from installer.platform.facts import runs_as_macos

    return runs_as_macos()


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
    if _macos():
        return _home() / "Library" / "Application Support" / APP
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def data_dir() -> Path:
    """State the program keeps (telemetry spool, event store, alert state)."""
    if _macos():
        return _home() / "Library" / "Application Support" / APP
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def log_dir() -> Path:
    """One log file per run; `~/Library/Logs/dtu-install/` on macOS."""
    if _macos():
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
    archive = _enclosing_zip(here)
    if archive is not None:  # the zipapp: files inside it are no directory to walk
        return _unpacked(archive, here.relative_to(archive).as_posix() + "/data/recipes/")
    return here.parent / "recipes"


def cache_dir() -> Path:
    """Re-creatable files (downloads, the recipes unpacked from the zipapp)."""
    if _macos():
        return _home() / "Library" / "Caches" / APP
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def _enclosing_zip(path: Path) -> Path | None:
    for parent in path.parents:
        if parent.is_file():
            return parent if zipfile.is_zipfile(parent) else None
    return None


def _unpacked(archive: Path, prefix: str) -> Path:
    """The recipes inside the zipapp, unpacked once per build (keyed by its sha256) into the
    cache dir: the loader reads plain files and reports `FILE:LINE:COL` against them."""
    data = archive.read_bytes()
    target = cache_dir() / f"recipes-{hashlib.sha256(data).hexdigest()[:16]}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".recipes-", dir=target.parent))
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                out = staging / name[len(prefix) :]
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(zf.read(name))
    try:
        staging.rename(target)
    except OSError:  # another run unpacked the same build first
        shutil.rmtree(staging, ignore_errors=True)
    return target
