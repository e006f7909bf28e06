"""Shared fixtures. Every test runs with HOME and the XDG dirs in a temporary directory,
and fails if anything writes to the real home."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

REAL_HOME = Path(os.path.expanduser("~")).resolve()


def pytest_configure(config: pytest.Config) -> None:
    """Children get SIGINT at its default, however the suite was started.

    A shell without job control (`nohup make test`, `make test &` in a script, some CI
    runners) starts the suite with SIGINT ignored, and an ignored signal stays ignored across
    fork and exec: every product process a test starts would ignore Ctrl-C, and Python would
    not even install its KeyboardInterrupt handler. That is right for the product (what was
    ignored on entry stays ignored, like POSIX shells do), but the Ctrl-C tests stand for a
    student at a terminal. A handler, unlike SIG_IGN, is reset to the default at exec, so
    this process (the controller and each xdist worker load this file) takes Python's own
    handler back. tests/test_sigint_start.py shows it."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    # Never send real telemetry from a test, and never consult the maintainer's settings.
    monkeypatch.setenv("DTU_INSTALL_NO_TELEMETRY", "1")
    for var in (
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_CI",
        "TESTING_MODE",
        "DTU_INSTALL_DB",
        "DTU_INSTALL_MIRRORS",  # plans and downloads must not follow the caller's mirrors
    ):
        monkeypatch.delenv(var, raising=False)
    before = _snapshot(REAL_HOME)
    yield home
    after = _snapshot(REAL_HOME)
    touched = sorted(after - before)
    assert not touched, f"test wrote to the real home directory: {touched[:5]}"


def _snapshot(home: Path) -> set[str]:
    """Names of dtu-install's own places in the real home (cheap: no full walk)."""
    places = [
        home / ".config" / "dtu-install",
        home / ".local" / "share" / "dtu-install",
        home / ".local" / "state" / "dtu-install",
        home / "Library",
        home / "miniforge3",
        home / ".zprofile",
        home / ".bash_profile",
    ]
    return {str(p) for p in places if p.exists()}
