"""Helpers for recipe tests: write recipe files into a directory, load them, read problems."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from installer.errors import InputFileError
from installer.platform.facts import Facts
from installer.recipes.loader import load_recipe_set
from installer.recipes.recipe_set import RecipeSet

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "recipes" / "fixtures"

# A recipe that validates, for tests that change one thing in it.
GOOD_RECIPE = """\
recipe: tool
description: A tool
steps:
  - name: tool_install
    check: {path_exists: "{home}/tool"}
    command: [echo, install]
"""


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write `{relative path: YAML text}` under root (text is dedented)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def load_tree(root: Path, files: Mapping[str, str]) -> RecipeSet:
    return load_recipe_set([write_tree(root, files)])


def problems_of(root: Path, files: Mapping[str, str]) -> list[str]:
    """The problem lines for these files, with paths relative to `root`."""
    write_tree(root, files)
    with pytest.raises(InputFileError) as info:
        load_recipe_set([root])
    lines = []
    prefix = str(root.resolve()) + "/"
    for problem in info.value.problems:
        problem.file = str(Path(problem.file).resolve().relative_to(root.resolve()))
        problem.message = problem.message.replace(prefix, "")
        lines.append(str(problem))
    return lines


def mac(arch: str = "arm64", version: str = "14.5", home: str = "/Users/student") -> Facts:
    """A Mac as planning sees it."""
    return Facts(
        os_name="Darwin",
        os_version=version,
        arch=arch,
        translated=False,
        shell="zsh",
        home=home,
        free_disk_bytes=50_000_000_000,
        is_admin=True,
        is_root=False,
        ci=False,
        interactive=False,
    )
