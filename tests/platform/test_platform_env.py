"""DTU_INSTALL_PLATFORM=darwin: facts read as on macOS through the commands on PATH, and the
platform-dependent choices (paths) follow those facts, not sys.platform (SPEC 3, "The Mac
sandbox"). Real subprocesses: stub macOS commands first on PATH."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from installer import paths
from installer.errors import UsageError
from installer.platform.facts import detect_facts, runs_as_macos

# What an Apple-silicon Mac answers from a Terminal running under Rosetta 2 (the process is
# x86_64; sysctl says translated).
ROSETTA_MAC = {
    "uname": '#!/bin/sh\ncase "$1" in -m) echo x86_64;; -s|"") echo Darwin;; esac\n',
    "sw_vers": '#!/bin/sh\n[ "$1" = -productVersion ] && echo 15.1\n',
    "sysctl": (
        '#!/bin/sh\ncase "$2" in sysctl.proc_translated|hw.optional.arm64) echo 1;;\n'
        "*) echo \"sysctl: unknown oid '$2'\" >&2; exit 1;; esac\n"
    ),
    "id": "#!/bin/sh\necho staff everyone admin\n",
}


@pytest.fixture
def mac_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in ROSETTA_MAC.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir


def test_darwin_facts_come_from_the_commands_on_path(
    mac_commands: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DTU_INSTALL_PLATFORM", "darwin")
    facts = detect_facts(tty=False)
    assert (facts.os_name, facts.os_version, facts.os_label) == ("Darwin", "15.1", "Darwin15.1")
    # uname -m says x86_64 (the process runs under Rosetta): the native arch is arm64.
    assert (facts.arch, facts.translated) == ("arm64", True)
    assert facts.is_admin is True


def test_without_the_variable_this_is_linux(mac_commands: Path) -> None:
    if sys.platform == "darwin":
        pytest.skip("on a Mac the real OS is Darwin anyway")
    facts = detect_facts(tty=False, env={"HOME": os.environ["HOME"]})
    assert facts.os_name == "Linux"
    assert facts.translated is False


def test_paths_follow_the_platform_not_sys_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DTU_INSTALL_PLATFORM", "darwin")
    assert runs_as_macos()
    assert paths.log_dir() == tmp_path / "Library" / "Logs" / "dtu-install"
    assert paths.cache_dir() == tmp_path / "Library" / "Caches" / "dtu-install"
    assert paths.config_dir() == tmp_path / "Library" / "Application Support" / "dtu-install"


@pytest.mark.parametrize("value", ["windows", "Darwin", "macos"])
def test_an_unknown_platform_is_bad_usage(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DTU_INSTALL_PLATFORM", value)
    with pytest.raises(UsageError, match="DTU_INSTALL_PLATFORM"):
        detect_facts(tty=False)


def test_cli_says_so_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "DTU_INSTALL_PLATFORM": "windows"}
    done = subprocess.run(
        [sys.executable, "-m", "installer", "plan", "default"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "DTU_INSTALL_PLATFORM='windows' is not a platform" in done.stderr
    assert "Traceback" not in done.stderr
