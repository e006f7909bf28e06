"""The real recipes, planned for real Macs: golden files pin the whole plan.

One file per (profile, arch, macOS version) under `golden/`. After an intended change to the
recipes, regenerate them and review the diff like code:

    DTU_UPDATE_GOLDEN=1 .venv/bin/pytest tests/recipes_real -q
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.recipes.serialize import serialize_plan
from tests.helpers.recipes import mac

ROOT = Path(__file__).resolve().parents[2]
RECIPES = ROOT / "recipes"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("DTU_UPDATE_GOLDEN") == "1"

# (profile, arch, macOS version): Apple silicon on a current and an older macOS, and an
# Intel Mac on the oldest supported one (SPEC 1: macOS 12-26).
CASES: list[tuple[str, str, str]] = [
    (profile, arch, version)
    for profile in ("default", "with-homebrew")
    for arch, version in (("arm64", "15.1"), ("arm64", "13.6"), ("x86_64", "12.7"))
]


def _normalised(plan: dict[str, Any]) -> dict[str, Any]:
    """`source` points into the checkout; keep it from `recipes/` on."""
    for step in plan["steps"]:
        step["source"] = re.sub(r"^.*?(recipes/)", r"\1", step["source"])
    return plan


def planned(profile: str, arch: str, version: str) -> dict[str, Any]:
    plan = build_plan(load_recipe_set([RECIPES]), [profile], mac(arch, version))
    return _normalised(serialize_plan(plan))


@pytest.mark.parametrize(("profile", "arch", "version"), CASES)
def test_plan_matches_golden_file(profile: str, arch: str, version: str) -> None:
    golden = GOLDEN / f"{profile}-{arch}-{version}.json"
    actual = planned(profile, arch, version)
    if UPDATE:
        golden.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert golden.exists(), f"missing {golden.name}: run with DTU_UPDATE_GOLDEN=1"
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_every_golden_file_belongs_to_a_case() -> None:
    expected = {f"{p}-{a}-{v}.json" for p, a, v in CASES}
    assert {p.name for p in GOLDEN.glob("*.json")} == expected


def test_default_profile_is_what_a_student_needs() -> None:
    steps = [s["name"] for s in planned("default", "arm64", "15.1")["steps"]]
    recipes = {s.split("_")[0] for s in steps}
    assert recipes == {"xcode", "miniforge", "python", "vscode"}  # no Homebrew by default
    assert steps.index("miniforge_install") < steps.index("python_install")
    with_brew = [s["name"] for s in planned("with-homebrew", "arm64", "15.1")["steps"]]
    assert {"homebrew_install", "homebrew_shellenv"} <= set(with_brew)
