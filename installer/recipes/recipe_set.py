"""The validated recipe files, before they are rendered for one Mac.

`load_recipe_set` produces a `RecipeSet`; `build_plan` renders it for some `Facts`. Values
here are the schema-checked YAML (defaults filled in), with the file and line they came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from installer.recipes.courses import CourseDef


@dataclass(frozen=True)
class StepDef:
    name: str
    recipe: str
    data: Mapping[str, Any]  # the checked step mapping (defaults filled in)
    file: str
    line: int
    index: int  # position in its recipe's `steps`

    @property
    def source(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class VerifyDef:
    name: str
    recipe: str
    description: str
    check: Mapping[str, Any]
    file: str
    line: int


@dataclass(frozen=True)
class RecipeDef:
    name: str
    description: str
    file: str
    requires: tuple[str, ...] = ()
    when: Mapping[str, Any] | None = None
    steps: tuple[StepDef, ...] = ()
    minimum_macos: Mapping[str, str] | None = None  # {version, component}
    verify: tuple[VerifyDef, ...] = ()
    uninstall: tuple[StepDef, ...] = ()  # `dtu-install uninstall` (installer/runner/uninstall.py)


@dataclass(frozen=True)
class ProfileDef:
    name: str
    description: str
    file: str
    recipes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecipeSet:
    recipes: Mapping[str, RecipeDef] = field(default_factory=dict)
    profiles: Mapping[str, ProfileDef] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)  # str | list | {arch: str}
    mirrors: Mapping[str, str] = field(default_factory=dict)  # settings.yaml `mirrors`
    files: tuple[str, ...] = ()  # every file loaded (display paths)
    checked: tuple[str, ...] = ()  # the files asked for; the others were context
    # courses.yaml (installer/recipes/courses.py): each course is also the recipe course-<id>.
    courses: Mapping[str, CourseDef] = field(default_factory=dict)

    def steps(self) -> dict[str, StepDef]:
        return {s.name: s for r in self.recipes.values() for s in r.steps}
