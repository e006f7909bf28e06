"""Build hook only: the metadata is in pyproject.toml.

A wheel carries the recipes: `recipes/` is copied into the built package as
`installer/data/recipes`, where `installer.paths.project_recipes_dir()` looks first, so a
non-editable `pip install .` finds them (an editable install and a checkout use `recipes/`
beside the package instead). Checked by tests/dist/test_wheel.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RECIPES = Path(__file__).resolve().parent / "recipes"
BUNDLED = ("installer", "data", "recipes")  # inside the package, as paths.py expects


class BuildPyWithRecipes(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads recipes/ from the checkout itself
        target = Path(self.build_lib, *BUNDLED)
        shutil.rmtree(target, ignore_errors=True)  # a recipe deleted since the last build
        shutil.copytree(RECIPES, target, ignore=shutil.ignore_patterns(".*", "*~", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithRecipes})
