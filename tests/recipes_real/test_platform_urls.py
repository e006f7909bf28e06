"""The URLs SPEC 3 lists, rendered by `dtu-install plan` for each architecture, and the
Rosetta case: a Python translated by Rosetta 2 on an Apple-silicon Mac must still get the
arm64 builds and the arm64 Homebrew prefix (the original scripts trusted `uname -m`)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from installer.kinds.actions.profile_block import ProfileBlockAction
from installer.platform.facts import Facts, detect_facts
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.steps.download_action import DownloadAction
from installer.steps.model import Plan

ROOT = Path(__file__).resolve().parents[2]
MINIFORGE = "https://github.com/conda-forge/miniforge/releases/download/{v}/Miniforge3-{v}-MacOSX-"
VSCODE = "https://update.code.visualstudio.com/{v}/"
SHA256 = re.compile(r"[0-9a-f]{64}")
COMMIT = re.compile(r"[0-9a-f]{40}")

# SPEC 3, "The default profile" and "Upstream versions", per native architecture: pinned,
# versioned URLs (never `latest`), `{v}` being the recipe's pinned version.
EXPECTED: dict[str, dict[str, str]] = {
    "arm64": {
        "miniforge": MINIFORGE + "arm64.sh",
        "vscode": VSCODE + "darwin-arm64/stable",
        "homebrew_prefix": "/opt/homebrew",
    },
    "x86_64": {
        "miniforge": MINIFORGE + "x86_64.sh",
        "vscode": VSCODE + "darwin/stable",
        "homebrew_prefix": "/usr/local",
    },
}


def _pinned_url(action: dict[str, Any], template: str) -> None:
    """A pinned download: its URL is the template at its version, its sha256 is a pin."""
    assert action["version"], action
    assert action["url"] == template.format(v=action["version"])
    assert SHA256.fullmatch(action["sha256"] or "")
    assert action["sha256_url"] is None and "latest" not in action["url"]


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
    _pinned_url(miniforge, want["miniforge"])
    vscode = _step(plan, "vscode_download")["action"]
    _pinned_url(vscode, want["vscode"])
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
    assert any(u.endswith("-MacOSX-arm64.sh") for u in urls)
    assert any(u.endswith("/darwin-arm64/stable") for u in urls)
    assert not any("x86_64" in u or "/darwin/" in u for u in urls)


def test_intel_mac_plans_for_intel() -> None:
    # On an Intel Mac `sysctl.proc_translated` does not exist (the command fails).
    facts = _facts_on_mac("x86_64", translated=None, hw_arm64=None)
    assert (facts.arch, facts.translated) == ("x86_64", False)
    shellenv, urls = _homebrew_and_downloads(facts)
    assert shellenv == 'eval "$(/usr/local/bin/brew shellenv)"'
    assert any(u.endswith("-MacOSX-x86_64.sh") for u in urls)
    assert any(u.endswith("/darwin/stable") for u in urls)


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


@pytest.mark.parametrize("arch", ["arm64", "x86_64"])
def test_pins_differ_per_arch_and_homebrew_is_at_a_commit(arch: str) -> None:
    plan = _plan_json("with-homebrew", "--arch", arch, "--os-version", "14.5")
    other = _plan_json("with-homebrew", "--arch", "x86_64" if arch == "arm64" else "arm64")
    for name in ("miniforge_download", "vscode_download"):
        mine, theirs = _step(plan, name)["action"], _step(other, name)["action"]
        assert mine["version"] == theirs["version"]  # one version per component
        assert mine["sha256"] != theirs["sha256"]  # each arch's own file
    brew = _step(plan, "homebrew_download")["action"]
    assert COMMIT.fullmatch(brew["version"])  # a commit of Homebrew/install, not HEAD
    want = f"https://raw.githubusercontent.com/Homebrew/install/{brew['version']}/install.sh"
    assert brew["url"] == want
    assert SHA256.fullmatch(brew["sha256"]) and brew["unverified_reason"] is None
