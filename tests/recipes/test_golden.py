"""Golden files: "these recipes on this Mac plan these steps", one JSON file per Mac.

The JSON is `serialize_plan`, the same function `dtu-install plan --json` prints. After an
intended change, regenerate with `DTU_UPDATE_GOLDEN=1 .venv/bin/pytest tests/recipes/test_golden.py`
and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.recipes.serialize import serialize_plan
from tests.helpers.recipes import FIXTURES, REPO, mac

GOLDEN = Path(__file__).parent / "golden"

# (golden file, recipe fixture, targets, arch, macOS version)
CASES = [
    ("basic-default-arm64-14.5", "basic", [], "arm64", "14.5"),
    ("basic-default-x86_64-12.7", "basic", [], "x86_64", "12.7"),
    ("basic-default-arm64-11.7", "basic", [], "arm64", "11.7"),
    ("basic-minimal-x86_64-15.1", "basic", ["minimal"], "x86_64", "15.1"),
]


@pytest.mark.parametrize(
    ("golden", "fixture", "targets", "arch", "version"), CASES, ids=[c[0] for c in CASES]
)
def test_plan_matches_golden_file(
    golden: str,
    fixture: str,
    targets: list[str],
    arch: str,
    version: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)  # `source` paths are relative to the working directory
    recipe_set = load_recipe_set([FIXTURES / fixture])
    actual = serialize_plan(build_plan(recipe_set, targets, mac(arch, version)))
    path = GOLDEN / f"{golden}.json"
    if os.environ.get("DTU_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert actual == expected


def test_golden_files_differ_where_the_recipes_say_so() -> None:
    arm = json.loads((GOLDEN / "basic-default-arm64-14.5.json").read_text())
    intel = json.loads((GOLDEN / "basic-default-x86_64-12.7.json").read_text())

    def urls(plan: dict[str, object]) -> dict[str, str]:
        return {
            s["name"]: s["action"]["url"]  # type: ignore[index]
            for s in plan["steps"]  # type: ignore[attr-defined]
            if s["action"]["kind"] == "download"  # type: ignore[index]
        }

    arm_urls, intel_urls = urls(arm), urls(intel)
    assert arm_urls["vscode_download"].endswith("/darwin-arm64/stable")
    assert intel_urls["vscode_download"].endswith("/darwin/stable")
    assert arm_urls["miniforge_download"].endswith("Miniforge3-MacOSX-arm64.sh")
    assert intel_urls["miniforge_download"].endswith("Miniforge3-MacOSX-x86_64.sh")
