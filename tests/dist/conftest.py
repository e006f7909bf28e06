"""The zipapp, built once per test process from this checkout (offline, from the wheel
cache that `make zipapp-wheels` fills)."""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "tools" / "build_zipapp.py"


def _python39() -> str | None:
    """A Python 3.9 to run the zipapp with: the version macOS ships as /usr/bin/python3."""
    candidates = [
        os.environ.get("DTU_TEST_PYTHON39", ""),
        *sorted(glob.glob("/root/.pyenv/versions/3.9*/bin/python")),
        shutil.which("python3.9") or "",
    ]
    if sys.version_info[:2] == (3, 9):
        candidates.insert(0, sys.executable)
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


PYTHON39 = _python39()


def build_zipapp(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BUILD), "--offline", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="session")
def zipapp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per test session, shared by the xdist workers (the build compiles the
    bytecode of ~800 modules: seconds that need not be spent twice)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "zipapp" / "dtu-install.pyz"
    out.parent.mkdir(exist_ok=True)
    with (shared / "zipapp.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits for the first build
        if not out.exists():
            result = build_zipapp(out)
            assert result.returncode == 0, result.stderr + result.stdout
    return out
