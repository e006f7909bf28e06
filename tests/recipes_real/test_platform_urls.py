"""The URLs SPEC 3 lists, rendered by `dtu-install plan` for each architecture, and the
Rosetta case: a Python translated by Rosetta 2 on an Apple-silicon Mac must still get the
arm64 builds and the arm64 Homebrew prefix (the original scripts trusted `uname -m`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from installer.platform.facts import Facts, detect_facts
from installer.recipes.loader import load_recipe_set
from installer.recipes.model import DownloadAction, Plan, ProfileBlockAction
from installer.recipes.plan import build_plan

ROOT = Path(__file__).resolve().parents[2]
MINIFORGE = "https://github.com/conda-forge/miniforge/releases/latest/download/"

# SPEC 3, "The default profile", per native architecture.
EXPECTED: dict[str, dict[str, str]] = {
    "arm64": {
        "miniforge": MINIFORGE + "Miniforge3-MacOSX-arm64.sh",
        "miniforge_sha256": MINIFORGE + "Miniforge3-MacOSX-arm64.sh.sha256",
        "vscode": "https://update.code.visualstudio.com/latest/darwin-arm64/stable",
        "vscode_sha256": "https://update.code.visualstudio.com/api/update/darwin-arm64/stable/latest",
        "homebrew_prefix": "/opt/homebrew",
    },
    "x86_64": {
        "miniforge": MINIFORGE + "Miniforge3-MacOSX-x86_64.sh",
        "miniforge_sha256": MINIFORGE + "Miniforge3-MacOSX-x86_64.sh.sha256",
        "vscode": "https://update.code.visualstudio.com/latest/darwin/stable",
        "vscode_sha256": "https://update.code.visualstudio.com/api/update/darwin/stable/latest",
        "homebrew_prefix": "/usr/local",
    },
}


def _plan_json(*args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "installer", "plan", *args, "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _step(plan: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in plan["steps"] if s["name"] == name)


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_plan_renders_the_spec_urls(arch: str) -> None:
    plan = _plan_json("default", "--arch", arch, "--os-version", "14.5")
    assert plan["platform"] == {"os_name": "Darwin", "os_version": "14.5", "arch": arch}
    want = EXPECTED[arch]
    miniforge = _step(plan, "miniforge_download")["action"]
    assert miniforge["url"] == want["miniforge"]
    assert miniforge["sha256_url"] == want["miniforge_sha256"]
    assert miniforge["sha256"] is None  # `latest` is never pinned
    vscode = _step(plan, "vscode_download")["action"]
    assert vscode["url"] == want["vscode"]
    assert vscode["sha256_url"] == want["vscode_sha256"]
    assert vscode["sha256_json_key"] == "sha256hash"
    install = _step(plan, "miniforge_install")["action"]["argv"]
    assert install[-4:] == ["-b", "-u", "-p", plan["variables"]["miniforge_prefix"]]
    assert plan["variables"]["miniforge_prefix"].endswith("/miniforge3")


def _fake_mac(answers: dict[tuple[str, ...], str | None]) -> Callable[[Sequence[str]], str | None]:
    """The facts seam: what a Mac's commands answer (None: the command fails)."""

    def run(argv: Sequence[str]) -> str | None:
        return answers.get(tuple(argv))

    return run


def _facts_on_mac(machine: str, translated: str | None, hw_arm64: str | None) -> Facts:
    run = _fake_mac(
        {
            ("sw_vers", "-productVersion"): "14.5",
            ("sysctl", "-n", "sysctl.proc_translated"): translated,
            ("sysctl", "-n", "hw.optional.arm64"): hw_arm64,
            ("id", "-Gn"): "staff admin",
        }
    )
    return detect_facts(
        run=run,
        env={"HOME": "/Users/student", "SHELL": "/bin/zsh"},
        system="Darwin",
        machine=machine,
        tty=False,
    )


def _homebrew_and_downloads(facts: Facts) -> tuple[str, list[str]]:
    plan: Plan = build_plan(load_recipe_set([ROOT / "recipes"]), ["with-homebrew"], facts)
    block = next(s.action for s in plan.steps if s.name == "homebrew_shellenv")
    assert isinstance(block, ProfileBlockAction)
    urls = [s.action.url for s in plan.steps if isinstance(s.action, DownloadAction)]
    return block.content, urls


def test_rosetta_translated_python_plans_for_apple_silicon() -> None:
    facts = _facts_on_mac("x86_64", translated="1", hw_arm64="1")
    assert (facts.arch, facts.translated) == ("arm64", True)
    shellenv, urls = _homebrew_and_downloads(facts)
    assert shellenv == 'eval "$(/opt/homebrew/bin/brew shellenv)"'
    assert EXPECTED["arm64"]["miniforge"] in urls
    assert EXPECTED["arm64"]["vscode"] in urls
    assert not any("x86_64" in u or "/darwin/" in u for u in urls)


def test_intel_mac_plans_for_intel() -> None:
    # On an Intel Mac `sysctl.proc_translated` does not exist (the command fails).
    facts = _facts_on_mac("x86_64", translated=None, hw_arm64=None)
    assert (facts.arch, facts.translated) == ("x86_64", False)
    shellenv, urls = _homebrew_and_downloads(facts)
    assert shellenv == 'eval "$(/usr/local/bin/brew shellenv)"'
    assert EXPECTED["x86_64"]["miniforge"] in urls
    assert EXPECTED["x86_64"]["vscode"] in urls


def test_native_apple_silicon() -> None:
    facts = _facts_on_mac("arm64", translated="0", hw_arm64="1")
    assert (facts.arch, facts.translated) == ("arm64", False)
    shellenv, _ = _homebrew_and_downloads(facts)
    assert "/opt/homebrew/bin/brew" in shellenv


def test_the_recipes_validate() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "installer", "validate", str(ROOT / "recipes")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
