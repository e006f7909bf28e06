"""Find, parse and validate recipe files into a `RecipeSet`, reporting every problem at once.

Layout (docs/recipes.md): `recipes/*.yaml` are recipes, `recipes/profiles/*.yaml` profiles,
`recipes/settings.yaml` the maintainer variables.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from installer import paths as app_paths
from installer.errors import InputFileError, Problem
from installer.recipes.courses import COURSES_FILE, with_courses
from installer.recipes.recipe_set import ProfileDef, RecipeDef, RecipeSet, StepDef, VerifyDef
from installer.recipes.schema import SCHEMAS
from installer.yaml_source.checked import Checked
from installer.yaml_source.document import YNode, read_yaml_file
from installer.yaml_source.schema import check_document

SETTINGS_FILE = "settings.yaml"
PROFILES_DIR = "profiles"
SUFFIX = ".yaml"
OTHER_SUFFIX = ".yml"  # YAML's other common suffix, which the loader does not read


def display_path(path: Path) -> str:
    """Relative to the working directory when under it (clickable in editors and terminals)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _yaml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SUFFIX}")) + sorted(
        (directory / PROFILES_DIR).glob(f"*{SUFFIX}")
    )


def _misnamed_files(directory: Path) -> list[Problem]:
    """A `.yml` file where recipes are looked for would be left out without a word (and
    `validate` would say OK): the maintainer is told to rename it."""
    misnamed = sorted(directory.glob(f"*{OTHER_SUFFIX}")) + sorted(
        (directory / PROFILES_DIR).glob(f"*{OTHER_SUFFIX}")
    )
    return [
        Problem(display_path(p), 1, 1, "", f"not read: recipe files end in {SUFFIX}")
        for p in misnamed
    ]


def _context_dir(file: Path) -> Path:
    """The recipes directory a single file belongs to (its settings and sibling recipes)."""
    parent = file.parent
    return parent.parent if parent.name == PROFILES_DIR else parent


def find_files(roots: Sequence[Path]) -> tuple[list[Path], set[Path], list[Problem]]:
    """(files to load, the ones asked for, problems). A single file comes with its recipes
    directory as context, so that its placeholders and references resolve; only the files
    asked for (directly or through a directory) have their problems reported."""
    asked: list[Path] = []
    context: list[Path] = []
    problems: list[Problem] = []
    for path in roots:
        if path.is_dir():
            found = _yaml_files(path)
            problems += _misnamed_files(path)
            if not found:
                problems.append(
                    Problem(display_path(path), 1, 1, "", f"no {SUFFIX} files in this directory")
                )
            asked += found
        elif path.exists():
            asked.append(path)
            context += _yaml_files(_context_dir(path.resolve()))
        else:
            problems.append(Problem(display_path(path), 1, 1, "", "no such file or directory"))
    wanted = [_real(p) for p in asked]
    files = list(dict.fromkeys([*wanted, *(_real(p) for p in context)]))
    return files, set(wanted), problems


def _real(path: Path) -> Path:
    """`path` with its directory resolved (the same file reached two ways is loaded once)
    but not the file itself: a recipe linked elsewhere keeps the name it is known by (a link
    to /dev/zero is reported as the link, not as /dev/zero)."""
    return path.parent.resolve() / path.name


def file_kind(path: Path, root: YNode) -> str:
    if path.name == SETTINGS_FILE:
        return "settings"
    if path.name == COURSES_FILE and path.parent.name != PROFILES_DIR:
        return "courses"
    if path.parent.name == PROFILES_DIR:
        return "profile"
    # Only scalar keys: `? [a]` is a list as a key, unhashable (a TypeError crash, issue 14
    # item 10); the schema check reports it at its place.
    keys = {k.value for k, _ in root.value if k.kind == "scalar"} if root.kind == "map" else set()
    return "profile" if "profile" in keys and "recipe" not in keys else "recipe"


class _Collector:
    """Builds the definitions from checked documents, leniently: a file with problems still
    registers what is valid in it, so one mistake does not cascade into many."""

    def __init__(self) -> None:
        self.recipes: dict[str, RecipeDef] = {}
        self.profiles: dict[str, ProfileDef] = {}
        self.variables: dict[str, Any] = {}
        self.mirrors: dict[str, str] = {}
        self.docs: dict[str, tuple[str, Checked]] = {}  # display path -> (kind, checked)
        self.problems: list[Problem] = []

    def add(self, kind: str, path: Path, doc: Checked) -> None:
        self.docs[doc.file] = (kind, doc)
        value = doc.value
        if not isinstance(value, dict):
            return
        if kind == "settings":
            for name, var in value.get("variables", {}).items():
                if name in self.variables:
                    doc.report(("variables", name), f"variable {name!r} is set twice")
                self.variables[name] = var
            self.mirrors.update(value.get("mirrors", {}))
        elif kind == "profile" and "profile" in value:
            self._add_profile(path, doc, value)
        elif kind == "recipe" and "recipe" in value:
            self._add_recipe(path, doc, value)

    def _name_matches_file(self, path: Path, doc: Checked, key: str, name: str) -> None:
        if name != path.stem:
            doc.report((key,), f"{key} {name!r} must be named like its file ({path.stem!r})")

    def _add_profile(self, path: Path, doc: Checked, value: dict[str, Any]) -> None:
        name = value["profile"]
        self._name_matches_file(path, doc, "profile", name)
        if name in self.profiles:
            doc.report(("profile",), f"profile {name!r} also in {self.profiles[name].file}")
        self.profiles[name] = ProfileDef(
            name, value.get("description", ""), doc.file, tuple(value.get("recipes", ()))
        )

    def _add_recipe(self, path: Path, doc: Checked, value: dict[str, Any]) -> None:
        name = value["recipe"]
        self._name_matches_file(path, doc, "recipe", name)
        if name in self.recipes:
            doc.report(("recipe",), f"recipe {name!r} also in {self.recipes[name].file}")
        steps = tuple(
            StepDef(s["name"], name, s, doc.file, doc.mark(("steps", i))[0], i)
            for i, s in enumerate(value.get("steps", ()))
            if isinstance(s, dict) and "name" in s
        )
        verify = tuple(
            VerifyDef(
                v["name"],
                name,
                v.get("description", ""),
                v["check"],
                doc.file,
                doc.mark(("verify", i))[0],
            )
            for i, v in enumerate(value.get("verify", ()))
            if isinstance(v, dict) and "name" in v and "check" in v
        )
        uninstall = tuple(
            StepDef(s["name"], name, s, doc.file, doc.mark(("uninstall", i))[0], i)
            for i, s in enumerate(value.get("uninstall", ()))
            if isinstance(s, dict) and "name" in s
        )
        self.recipes[name] = RecipeDef(
            name=name,
            description=value.get("description", ""),
            file=doc.file,
            requires=tuple(value.get("requires", ())),
            when=value.get("when"),
            steps=steps,
            minimum_macos=value.get("minimum_macos"),
            verify=verify,
            uninstall=uninstall,
        )


def load_recipe_set(paths: Sequence[Path] | None = None) -> RecipeSet:
    """Load recipes, profiles and settings; InputFileError with every problem found."""
    from installer.recipes.validate import validate_recipe_set

    roots = list(paths) if paths else [app_paths.project_recipes_dir()]
    files, asked, problems = find_files(roots)
    reported = {display_path(p) for p in asked}
    collector = _Collector()
    for path in files:
        display = display_path(path)
        root, read_problems = read_yaml_file(path, display)
        problems += [p for p in read_problems if display in reported]
        if root is None:
            continue
        kind = file_kind(path, root)
        doc = check_document(root, SCHEMAS[kind], display)
        collector.add(kind, path, doc)
    recipe_set = RecipeSet(
        recipes=dict(sorted(collector.recipes.items())),
        profiles=dict(sorted(collector.profiles.items())),
        variables=collector.variables,
        mirrors=collector.mirrors,
        files=tuple(collector.docs),
        checked=tuple(f for f in collector.docs if f in reported),
    )
    validate_recipe_set(recipe_set, collector.docs)
    recipe_set = with_courses(recipe_set, collector.docs)  # after: they are generated, valid
    for file, (_, doc) in collector.docs.items():
        if file in reported:
            problems += doc.problems
    if problems:
        raise InputFileError(problems)
    return recipe_set
