"""The real profiles end to end in the Mac sandbox (SPEC 3, "The Mac sandbox"; issue 13):
the zipapp, run with the sandbox's /usr/bin/python3, installs `default` on Apple silicon,
under Rosetta and on Intel, and `with-homebrew` under Rosetta, from the upstream simulator
through DTU_INSTALL_MIRRORS. Each run: exit 0, `doctor` all PASS, a second run skips every
step, and every step's event reaches the local collector with the Mac's dimensions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.conftest import MacFactory
from tests.sandbox.harness import Mac
from tests.sandbox.mac import MacModel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# The steps every run of `default` must have (the full list comes from `plan`).
CORE_STEPS = {"xcode_clt_install", "miniforge_install", "python_install", "vscode_install"}
HOMEBREW_STEPS = ["homebrew_download", "homebrew_install", "homebrew_shellenv"]
# Done already on a Mac with the Command Line Tools; conda does not know the setting.
ALREADY_DONE = {"xcode_clt_install", "miniforge_config_usage"}


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {s["step"]: s["status"] for s in result["steps"]}


def install_once(box: Mac, profile: str, steps: list[str]) -> dict[str, Any]:
    """One run that installs every step (exit 0); returns its result."""
    code, first, err = box.run_profile(profile)
    assert code == 0, err
    assert statuses(first) == {s: "skipped" if s in ALREADY_DONE else "success" for s in steps}
    return first


def install_twice(box: Mac, profile: str, steps: list[str]) -> tuple[dict[str, Any], str]:
    """First run installs, doctor passes, the second run skips everything; returns the first
    run's result and the log file's text."""
    first = install_once(box, profile, steps)
    doctor = box.doctor(profile)
    assert doctor["ok"] is True, doctor
    assert {c["name"]: c["result"] for c in doctor["checks"]} == {
        c["name"]: "PASS" for c in doctor["checks"]
    }
    code, second, err = box.run_profile(profile)
    assert code == 0, err
    assert statuses(second) == dict.fromkeys(steps, "skipped")
    log = box.sandbox.host_path(first["log"]).read_text()
    return first, log


def assert_events(box: Mac, steps: list[str], os_label: str, arch: str) -> None:
    rows = box.collector.rows("category, action, name, success, os, arch, error")
    assert len(rows) == 2 * len(steps)  # one per step per run, skipped ones included
    assert {r[0] for r in rows} == {"Installer_TEST"}
    assert sorted(r[2] for r in rows) == sorted(steps * 2)
    assert all(r[3] == 1 and not r[6] for r in rows)
    assert {(r[4], r[5]) for r in rows} == {(os_label, arch)}


def assert_native_arm64_installers(box: Mac, log: str) -> None:
    """Apple silicon: the arm64 Miniforge ran as a native process (it warns when uname -m
    differs from its own architecture) and conda is arm64's (osx-arm64 channel)."""
    assert "Miniforge3-MacOSX-arm64.sh" in log or "MacOSX-arm64" in log
    assert "but this installer is for" not in log
    assert "Platform: osx-arm64" in log


def test_default_on_apple_silicon(make_mac: MacFactory) -> None:
    with make_mac(MacModel(arch="arm64", macos="15.1")) as box:
        steps = box.steps("default")
        assert set(steps) >= CORE_STEPS
        _, log = install_twice(box, "default", steps)
        assert_native_arm64_installers(box, log)
        assert_events(box, steps, "Darwin15.1", "arm64")
        # The app came out of the zip through /usr/bin/ditto, links intact.
        assert "-x -k" in box.sandbox.host_path("/Library/Logs/sandbox-ditto.log").read_text()
        app = box.sandbox.host_path("/Applications/Visual Studio Code.app/Contents")
        assert (app / "Frameworks/Electron Framework.framework/Electron Framework").is_symlink()
        home = box.sandbox.home
        assert (home / ".zshrc").read_text().count("# >>> conda initialize >>>") == 1


def test_default_under_rosetta(make_mac: MacFactory) -> None:
    """A Terminal under Rosetta: the facts say arm64, and the installers run natively."""
    with make_mac(MacModel(arch="arm64", rosetta=True, macos="15.1")) as box:
        steps = box.steps("default")
        _, log = install_twice(box, "default", steps)
        assert_native_arm64_installers(box, log)
        assert_events(box, steps, "Darwin15.1", "arm64")


def test_default_on_intel(make_mac: MacFactory) -> None:
    with make_mac(MacModel(arch="x86_64", macos="14.5")) as box:
        steps = box.steps("default")
        _, log = install_twice(box, "default", steps)
        assert "but this installer is for" not in log and "Platform: osx-64" in log
        assert_events(box, steps, "Darwin14.5", "x86_64")


def test_with_homebrew_under_rosetta(make_mac: MacFactory) -> None:
    """Homebrew's installer picks its prefix from `uname -m`: started natively (arch -arm64)
    it installs into /opt/homebrew, where the recipe looks, so the second run skips it."""
    with make_mac(MacModel(arch="arm64", rosetta=True, macos="15.1")) as box:
        steps = box.steps("with-homebrew")
        assert set(HOMEBREW_STEPS) <= set(steps)
        install_twice(box, "with-homebrew", steps)
        assert box.sandbox.host_path("/opt/homebrew/bin/brew").exists()
        assert not box.sandbox.host_path("/usr/local/bin/brew").exists()
        assert not box.sandbox.host_path("/usr/local/Homebrew").exists()
        assert_events(box, steps, "Darwin15.1", "arm64")
