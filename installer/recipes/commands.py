"""The foundation commands as plain functions: typed values in, exit code out.

`installer/cli/recipes_cmds.py` only parses options and calls these.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from installer.errors import ExitCode, InputFileError
from installer.platform.facts import Facts, detect_facts, override_facts
from installer.recipes.loader import load_recipe_set
from installer.recipes.recipe_set import RecipeSet


def _load(paths: Sequence[Path]) -> RecipeSet:
    return load_recipe_set(list(paths) or None)


def report_problems(error: InputFileError) -> int:
    """Every problem on its own `FILE:LINE:COL: key.path: message` line, on stderr."""
    for problem in error.problems:
        print(problem, file=sys.stderr)
    files = len({p.file for p in error.problems})
    count = len(error.problems)
    print(f"{count} problem(s) in {files} file(s)", file=sys.stderr)
    return ExitCode.USAGE


def validate(paths: Sequence[Path]) -> int:
    try:
        recipe_set = _load(paths)
    except InputFileError as exc:
        return report_problems(exc)
    steps = sum(len(r.steps) for r in recipe_set.recipes.values())
    context = len(recipe_set.files) - len(recipe_set.checked)
    print(
        f"OK: {len(recipe_set.checked)} file(s) checked"
        + (f" (with {context} more as context)" if context else "")
        + f": {len(recipe_set.recipes)} recipe(s), {len(recipe_set.profiles)} profile(s), "
        f"{steps} step(s)"
    )
    return ExitCode.OK


def schema(kind: str) -> int:
    from installer.recipes.schema import json_schema

    print(json.dumps(json_schema(kind), indent=2))
    return ExitCode.OK


def _describer(recipe_set: RecipeSet) -> Callable[[str], str]:
    """Descriptions rendered for this machine ("installed in {miniforge_prefix}")."""
    from installer.errors import UsageError
    from installer.recipes.render import Renderer

    try:
        renderer = Renderer(detect_facts(), recipe_set.variables)
    except UsageError:  # e.g. a per-arch variable and a machine of another architecture
        return lambda text: text
    return lambda text: renderer.text(text, "description")


def list_recipes(paths: Sequence[Path], as_json: bool) -> int:
    try:
        recipe_set = _load(paths)
    except InputFileError as exc:
        return report_problems(exc)
    describe = _describer(recipe_set)
    course_recipes = {c.recipe for c in recipe_set.courses.values()}
    recipes = [r for r in recipe_set.recipes.values() if r.name not in course_recipes]
    if as_json:
        data = {
            "profiles": [
                {
                    "name": p.name,
                    "description": describe(p.description),
                    "recipes": list(p.recipes),
                }
                for p in recipe_set.profiles.values()
            ],
            "recipes": [
                {
                    "name": r.name,
                    "description": describe(r.description),
                    "steps": [s.name for s in r.steps],
                }
                for r in recipes
            ],
            "courses": [
                {
                    "id": c.id,
                    "name": c.name,
                    "recipe": c.recipe,
                    "python": c.python,
                    "packages": list(c.packages),
                    "channels": list(c.channels),
                }
                for c in recipe_set.courses.values()
            ],
        }
        print(json.dumps(data, indent=2))
        return ExitCode.OK
    names = [*recipe_set.profiles, *(r.name for r in recipes), "course " + "0" * 5]
    width = max((len(n) for n in names), default=0)
    print("Profiles:")
    for p in recipe_set.profiles.values():
        print(f"  {p.name:<{width}}  {describe(p.description)}  ({', '.join(p.recipes)})")
    if not recipe_set.profiles:
        print("  (none)")
    print("Recipes:")
    for r in recipes:
        print(f"  {r.name:<{width}}  {describe(r.description)}  ({len(r.steps)} step(s))")
    if not recipes:
        print("  (none)")
    if recipe_set.courses:
        print("Courses (dtu-install run course ID):")
        for c in recipe_set.courses.values():
            what = ", ".join(c.specs)
            print(f"  {'course ' + c.id:<{width}}  {c.name}  ({what}; {', '.join(c.channels)})")
    return ExitCode.OK


def planning_facts(arch: str | None, os_version: str | None) -> Facts:
    return override_facts(detect_facts(), arch=arch, os_version=os_version)


def plan(
    targets: Sequence[str],
    *,
    arch: str | None,
    os_version: str | None,
    as_json: bool,
    paths: Sequence[Path] = (),
) -> int:
    from installer.recipes.display import plan_lines
    from installer.recipes.plan import build_plan
    from installer.recipes.serialize import serialize_plan

    facts = planning_facts(arch, os_version)  # bad --arch is a usage error before loading
    try:
        recipe_set = _load(paths)
    except InputFileError as exc:
        return report_problems(exc)
    result = build_plan(recipe_set, targets, facts)
    if as_json:
        print(json.dumps(serialize_plan(result), indent=2))
    else:
        for line in plan_lines(result):
            print(line)
    return ExitCode.OK
