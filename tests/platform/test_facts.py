"""Platform facts: native arch under Rosetta, CI, interactivity, and planning overrides."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from installer.errors import UsageError
from installer.platform.env_flags import is_ci
from installer.platform.facts import Facts, detect_facts, override_facts
from tests.helpers.recipes import mac


class FakeMac:
    """Answers the commands detection runs, like a Mac would; records what was asked."""

    def __init__(self, answers: dict[str, str | None]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def __call__(self, argv: Sequence[str]) -> str | None:
        key = " ".join(argv)
        self.asked.append(key)
        return self.answers.get(key)


APPLE_SILICON_UNDER_ROSETTA = {
    "sw_vers -productVersion": "14.5",
    "sysctl -n sysctl.proc_translated": "1",
    "sysctl -n hw.optional.arm64": "1",
    "id -Gn": "staff everyone admin",
}
INTEL_MAC = {
    "sw_vers -productVersion": "12.7.4",
    "sysctl -n sysctl.proc_translated": None,  # the sysctl does not exist on Intel Macs
    "sysctl -n hw.optional.arm64": None,
    "id -Gn": "staff everyone",
}


def detect(answers: dict[str, str | None], machine: str, **env: str) -> Facts:
    base = {"HOME": "/Users/s", "SHELL": "/bin/zsh"}
    return detect_facts(
        run=FakeMac(answers),
        env={**base, **env},
        system="Darwin",
        machine=machine,
        tty=True,
        euid=501,
    )


def test_rosetta_translated_process_reports_arm64() -> None:
    facts = detect(APPLE_SILICON_UNDER_ROSETTA, machine="x86_64")
    assert facts.arch == "arm64"
    assert facts.translated is True
    assert facts.os_label == "Darwin14.5"


def test_translated_alone_is_enough() -> None:
    answers = {**APPLE_SILICON_UNDER_ROSETTA, "sysctl -n hw.optional.arm64": None}
    assert detect(answers, machine="x86_64").arch == "arm64"


def test_hw_optional_arm64_alone_is_enough() -> None:
    answers = {**APPLE_SILICON_UNDER_ROSETTA, "sysctl -n sysctl.proc_translated": "0"}
    facts = detect(answers, machine="x86_64")
    assert facts.arch == "arm64"
    assert facts.translated is False


def test_intel_mac_stays_x86_64() -> None:
    facts = detect(INTEL_MAC, machine="x86_64")
    assert facts.arch == "x86_64"
    assert facts.os_version == "12.7.4"
    assert facts.is_admin is False
    assert facts.is_root is False


def test_root_is_root() -> None:
    facts = detect_facts(run=FakeMac(INTEL_MAC), env={}, system="Darwin", machine="x86_64", euid=0)
    assert facts.is_root is True


def test_native_arm64_and_admin_and_shell() -> None:
    facts = detect(APPLE_SILICON_UNDER_ROSETTA, machine="arm64")
    assert facts.arch == "arm64"
    assert facts.is_admin is True
    assert facts.shell == "zsh"
    assert facts.home == "/Users/s"


@pytest.mark.parametrize("var", ["CI", "GITHUB_ACTIONS", "GITHUB_CI"])
def test_ci_makes_it_non_interactive(var: str) -> None:
    facts = detect(INTEL_MAC, machine="x86_64", **{var: "true"})
    assert facts.ci is True
    assert facts.interactive is False


def test_noninteractive_variable() -> None:
    facts = detect(INTEL_MAC, machine="x86_64", NONINTERACTIVE="1")
    assert facts.ci is False
    assert facts.interactive is False
    assert detect(INTEL_MAC, machine="x86_64").interactive is True


def test_is_ci_values() -> None:
    assert is_ci({"CI": "TRUE"})
    assert not is_ci({"CI": "false"})
    assert not is_ci({})


def test_real_subprocesses_with_stub_sysctl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default runner runs real commands: stub `sysctl` and `sw_vers` first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "sysctl": '#!/bin/sh\ncase "$2" in sysctl.proc_translated) echo 1;; *) exit 1;; esac\n',
        "sw_vers": "#!/bin/sh\necho 13.6.1\n",
        "id": "#!/bin/sh\necho staff admin\n",
    }
    for name, text in scripts.items():
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    facts = detect_facts(system="Darwin", machine="x86_64", tty=False)
    assert (facts.arch, facts.translated, facts.os_version) == ("arm64", True, "13.6.1")
    assert facts.is_admin is True
    assert facts.free_disk_bytes > 0


def test_this_machine() -> None:
    facts = detect_facts()
    assert facts.os_name  # Linux here, Darwin on a Mac
    assert facts.home == os.environ["HOME"]
    assert facts.interactive is False or sys.stdin.isatty()


def test_override_from_linux_plans_for_macos() -> None:
    linux = Facts(
        "Linux", "6.1.0", "x86_64", False, "bash", "/home/u", 1, False, False, False, False
    )
    facts = override_facts(linux, arch="arm64", os_version="14.5")
    assert (facts.os_name, facts.os_version, facts.arch) == ("Darwin", "14.5", "arm64")
    assert override_facts(linux) is linux
    assert override_facts(linux, arch="arm64").os_version == "15.0"


def test_override_on_a_mac_keeps_its_version() -> None:
    assert override_facts(mac("arm64", "13.1"), arch="x86_64").os_version == "13.1"


@pytest.mark.parametrize(("arch", "version"), [("arm", None), ("x86_64", "fourteen")])
def test_override_rejects_bad_values(arch: str, version: str | None) -> None:
    with pytest.raises(UsageError):
        override_facts(mac(), arch=arch, os_version=version)


def test_no_stdin_is_not_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    facts = detect_facts(run=FakeMac(INTEL_MAC), env={}, system="Darwin", machine="x86_64")
    assert facts.interactive is False
