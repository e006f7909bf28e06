"""Telemetry tests talk to a real HTTP server (tests/helpers/hit_recorder.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer import paths
from installer.platform.facts import Facts
from tests.helpers.collector import collector  # noqa: F401 - the real collector, a fixture
from tests.helpers.hit_recorder import HitRecorder

FACTS = Facts(
    os_name="Darwin",
    os_version="14.5",
    arch="arm64",
    translated=False,
    shell="zsh",
    home="/Users/student",
    free_disk_bytes=50 * 2**30,
    is_admin=True,
    is_root=False,
    ci=False,
    interactive=False,
)


@pytest.fixture
def recorder() -> Iterator[HitRecorder]:
    with HitRecorder() as rec:
        yield rec


@pytest.fixture
def telemetry_on(monkeypatch: pytest.MonkeyPatch, recorder: HitRecorder) -> HitRecorder:
    """Telemetry allowed (the maintainer policy `on`) and pointed at the recorder."""
    monkeypatch.delenv("DTU_INSTALL_NO_TELEMETRY", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_URL", recorder.url)
    monkeypatch.setenv("DTU_INSTALL_SITE_ID", "test-site")
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_POLICY", "on")
    return recorder


@pytest.fixture
def data_dir() -> Path:
    return paths.data_dir()


def read_only_dir(tmp_path: Path) -> Path:
    """A directory this process cannot write to, even as root (then /sys, which is not)."""
    if os.geteuid() != 0:
        path = tmp_path / "ro"
        path.mkdir()
        path.chmod(0o500)
        return path
    path = Path("/sys/fs")
    try:
        (path / "dtu-install-probe").mkdir()
    except OSError:
        return path
    pytest.skip("no read-only directory available as root here")
