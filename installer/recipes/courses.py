"""Course environments: one conda environment per course, declared as data (`courses.yaml`).

DTU's own installer builds these with `constructor` (dtudk/pythonsupport-forge,
`dtu_constructor.yaml`, `extra_envs`): the environment `<course>-<semester><yy>` (e.g.
`02402-A26`) from the course's channels and specs. Here each course in `recipes/courses.yaml`
becomes a recipe `course-<id>` of three steps, built from the data below, so that `plan`,
`run`, `doctor` and telemetry treat it like any recipe:

- `course_create_<id>`: `conda create --name ENV` (skipped when the environment exists);
- `course_update_<id>`: `conda install --name ENV` the same specs (skipped when the
  environment's python is the course's version and every package imports);
- `course_kernel_<id>`: `python -m ipykernel install --user` (skipped when the kernel spec
  points at this environment's python), so VS Code's and Jupyter's kernel pickers list it.

`uninstall course 02402` removes the kernel and the environment (when dtu-install made them).

Semester and year are maintainer settings (`course_semester`, `course_year` in
settings.yaml), as `dtu_semester`/`dtu_year` are in dtu_constructor.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from installer.errors import UsageError
from installer.recipes.recipe_set import RecipeDef, RecipeSet, StepDef, VerifyDef
from installer.yaml_source.checked import Checked, did_you_mean
from installer.yaml_source.containers import Field, Map, Seq
from installer.yaml_source.scalars import Str

COURSES_FILE = "courses.yaml"
COURSE_KEYWORD = "course"  # `dtu-install run course 02402`
RECIPE_PREFIX = "course-"
# The variables the course steps use (settings.yaml).
SEMESTER_VARIABLE = "course_semester"
YEAR_VARIABLE = "course_year"
USED_VARIABLES = ("miniforge_prefix", "jupyter_data_dir", "course_kernel_packages")
# A conda match spec as dtu_constructor.yaml writes them: a name, then optionally a version
# constraint after a space ("python 3.12.*", "dtumathtools =2025", "matplotlib >=3.8"). No
# braces (they would be placeholders) and no leading '-' (it would be an option to conda).
SPEC = r"[A-Za-z0-9_][A-Za-z0-9_.-]*( *[<>=!~]{0,2} *[A-Za-z0-9_.*,<>=!|]+)?"
COURSE_ID = r"[0-9]{5}"  # DTU course numbers: five digits (01001, 02402, ...)
PYTHON_VERSION = r"3\.[0-9]+"

COURSE = Map(
    {
        "id": Field(
            Str(pattern=COURSE_ID, pattern_help="a five-digit course number", name="a course id"),
            required=True,
            doc='the course number, quoted (`"02402"`); the environment is `<id>-<semester><yy>`',
        ),
        "name": Field(Str(), required=True, doc="the course's name, shown by `list` and `plan`"),
        "python": Field(
            Str(pattern=PYTHON_VERSION, pattern_help="a version such as '3.12'"),
            required=True,
            doc='the Python version (`"3.12"`, installed as `python 3.12.*`)',
        ),
        "packages": Field(
            Seq(Str(pattern=SPEC, pattern_help="a conda spec such as 'matplotlib >=3.8'")),
            default=[],
            doc="conda specs besides python, as in dtu_constructor.yaml (`matplotlib >=3.8`)",
        ),
        "channels": Field(
            Seq(
                Str(pattern=r"[a-z0-9][a-z0-9_.-]*", pattern_help="a channel name"),
                min_items=1,
            ),
            required=True,
            doc="the only channels the environment is built from (`--override-channels`)",
        ),
        "imports": Field(
            Seq(Str(pattern=r"[A-Za-z_][A-Za-z0-9_.]*", pattern_help="a module name")),
            doc="modules that must import (default: each package's name, '-' read as '_')",
        ),
    },
    name="a course",
)

COURSES = Map(
    {"courses": Field(Seq(COURSE), required=True, doc="one entry per course")},
    name="the courses",
    doc="dtu-install course environments (docs/recipes.md, 'Courses')",
)


@dataclass(frozen=True)
class CourseDef:
    id: str
    name: str
    python: str
    packages: tuple[str, ...]
    channels: tuple[str, ...]
    imports: tuple[str, ...]
    file: str
    line: int

    @property
    def recipe(self) -> str:
        return RECIPE_PREFIX + self.id

    @property
    def specs(self) -> tuple[str, ...]:
        return (f"python {self.python}.*", *self.packages)


def package_name(spec: str) -> str:
    return re.split(r"[ <>=!~]", spec, maxsplit=1)[0]


def read_courses(doc: Checked) -> list[CourseDef]:
    """The valid courses of a checked `courses.yaml`; duplicate ids are reported."""
    value = doc.value
    items = value.get("courses") if isinstance(value, dict) else None
    out: list[CourseDef] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("id", "name", "python")
        ):
            continue
        if item["id"] in seen:
            doc.report(
                ("courses", i, "id"), f"course {item['id']} is also courses[{seen[item['id']]}]"
            )
            continue
        seen[item["id"]] = i
        packages = tuple(p for p in item.get("packages", ()) if isinstance(p, str))
        imports = item.get("imports")
        if imports is None:
            imports = [package_name(p).replace("-", "_") for p in packages]
        out.append(
            CourseDef(
                id=item["id"],
                name=item["name"],
                python=item["python"],
                packages=packages,
                channels=tuple(c for c in item.get("channels", ()) if isinstance(c, str)),
                imports=tuple(m for m in imports if isinstance(m, str)),
                file=doc.file,
                line=doc.mark(("courses", i))[0],
            )
        )
    return out


def term(variables: Mapping[str, Any], doc: Checked) -> str | None:
    """`A26` from course_semester `A` and course_year `2026` (dtu_constructor.yaml:
    `{{ dtu_semester }}{{ dtu_year[2:] }}`); a problem in the courses file when unset."""
    semester, year = variables.get(SEMESTER_VARIABLE), variables.get(YEAR_VARIABLE)
    if not isinstance(semester, str) or not re.fullmatch(r"[A-Z]", semester):
        doc.report(
            ("courses",),
            f"settings.yaml must set {SEMESTER_VARIABLE} to one capital letter (e.g. A)",
        )
        return None
    if not isinstance(year, str) or not re.fullmatch(r"[0-9]{4}", year):
        doc.report(("courses",), f'settings.yaml must set {YEAR_VARIABLE} to a year (e.g. "2026")')
        return None
    return semester + year[2:]


def missing_variables(variables: Mapping[str, Any], doc: Checked) -> bool:
    missing = [name for name in USED_VARIABLES if name not in variables]
    if missing:
        doc.report(
            ("courses",),
            "the course steps use {" + "}, {".join(missing) + "}: set them in settings.yaml",
        )
    return bool(missing)


def environment(course: CourseDef, term_: str) -> str:
    return f"{course.id}-{term_}"


def _step(course: CourseDef, index: int, data: dict[str, Any]) -> StepDef:
    return StepDef(data["name"], course.recipe, data, course.file, course.line, index)


def course_recipe(course: CourseDef, term_: str, requires: Sequence[str]) -> RecipeDef:
    """The recipe `course-<id>`, as if it had been written in YAML (placeholders included:
    the renderer fills in {miniforge_prefix} and the other settings)."""
    env = environment(course, term_)
    conda = "{miniforge_prefix}/bin/conda"
    prefix = f"{{miniforge_prefix}}/envs/{env}"
    python = f"{prefix}/bin/python"
    channels = [arg for channel in course.channels for arg in ("--channel", channel)]
    specs = [*course.specs, "{course_kernel_packages}"]
    version_check = {
        "command": [
            python,
            "-c",
            f"import sys; sys.exit('%d.%d' % sys.version_info[:2] != '{course.python}')",
        ]
    }
    imports_check = {
        "command": [
            python,
            "-c",
            "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]",
            *course.imports,
            "ipykernel",
        ]
    }
    # jupyter_client's install_kernel_spec lower-cases the name (jupyter/jupyter_client,
    # jupyter_client/kernelspec.py); the user's kernels live in the Jupyter data directory
    # (~/Library/Jupyter on macOS: jupyter/jupyter docs/source/projects/system.rst).
    kernel_json = f"{{jupyter_data_dir}}/kernels/{env.lower()}/kernel.json"
    retries = {"attempts": 3, "backoff": 10.0, "max_backoff": 60.0}
    steps: list[dict[str, Any]] = [
        {
            "name": f"course_create_{course.id}",
            "description": f"Create the conda environment {env} for {course.id} {course.name}",
            "check": {"path_exists": f"{prefix}/conda-meta"},
            "command": [
                conda,
                "create",
                "--name",
                env,
                "--yes",
                "--override-channels",
                *channels,
                *specs,
            ],
            "retries": retries,
            "timeout": "30m",
        },
        {
            "name": f"course_update_{course.id}",
            "description": f"Bring {env} up to date: {', '.join(course.specs)}",
            "check": [version_check, imports_check],
            "command": [
                conda,
                "install",
                "--name",
                env,
                "--yes",
                "--override-channels",
                *channels,
                *specs,
            ],
            "requires": [f"course_create_{course.id}"],
            "retries": retries,
            "timeout": "30m",
        },
        {
            "name": f"course_kernel_{course.id}",
            "description": f"Register the Jupyter kernel {env} so VS Code and Jupyter list it",
            "check": {"command": ["grep", "-qF", python, kernel_json]},
            "command": [
                python,
                "-m",
                "ipykernel",
                "install",
                "--user",
                "--name",
                env,
                "--display-name",
                f"{course.id} {course.name} ({env})",
            ],
            "requires": [f"course_update_{course.id}"],
        },
    ]
    verify = [
        VerifyDef(
            f"course_packages_{course.id}",
            course.recipe,
            f"{env}: the course packages import ({', '.join([*course.imports, 'ipykernel'])})",
            imports_check,
            course.file,
            course.line,
        ),
        VerifyDef(
            f"course_kernel_{course.id}",
            course.recipe,
            f"the Jupyter kernel {env.lower()} runs {env}'s python",
            {"command": ["grep", "-qF", python, kernel_json]},
            course.file,
            course.line,
        ),
    ]
    uninstall: list[dict[str, Any]] = [
        {
            "name": f"course_uninstall_kernel_{course.id}",
            "description": f"Remove the Jupyter kernel {env.lower()}",
            "undoes": [f"course_kernel_{course.id}"],
            "remove": f"{{jupyter_data_dir}}/kernels/{env.lower()}",
        },
        {
            "name": f"course_uninstall_{course.id}",
            "description": f"Remove the conda environment {env} ({prefix})",
            "undoes": [f"course_create_{course.id}"],
            "remove": prefix,
        },
    ]
    return RecipeDef(
        name=course.recipe,
        description=f"{course.id} {course.name}: the conda environment {env} and its kernel",
        file=course.file,
        requires=tuple(requires),
        steps=tuple(_step(course, i, s) for i, s in enumerate(steps)),
        verify=tuple(verify),
        uninstall=tuple(_step(course, i, s) for i, s in enumerate(uninstall)),
    )


def course_targets(targets: Sequence[str], courses: Mapping[str, CourseDef]) -> list[str]:
    """`course 02402 01001` -> the recipes `course-02402`, `course-01001`: every word after
    `course` is a course id; the targets before it are kept. An unknown or missing course id
    is a usage error listing the courses (exit 2)."""
    items = list(targets)
    if COURSE_KEYWORD not in items:
        return items
    at = items.index(COURSE_KEYWORD)
    ids = items[at + 1 :]
    if not ids:
        raise UsageError(f"name a course after 'course'; {known_courses(courses)}")
    out = items[:at]
    for course_id in ids:
        if course_id not in courses:
            raise UsageError(
                f"unknown course {course_id!r}{did_you_mean(course_id, list(courses))}; "
                + known_courses(courses)
            )
        out.append(courses[course_id].recipe)
    return out


def known_courses(courses: Mapping[str, CourseDef]) -> str:
    if not courses:
        return "no courses are declared (recipes/courses.yaml)"
    return "courses: " + ", ".join(f"{c.id} ({c.name})" for c in courses.values())


def with_courses(recipe_set: RecipeSet, docs: Mapping[str, tuple[str, Checked]]) -> RecipeSet:
    """`recipe_set` with the courses of its courses.yaml and their recipes `course-<id>`;
    problems (no semester/year, a name taken) go to the courses file's results."""
    courses: dict[str, CourseDef] = {}
    recipes = dict(recipe_set.recipes)
    for _, (kind, doc) in docs.items():
        if kind != "courses":
            continue
        found = read_courses(doc)
        if not found:
            continue
        term_ = term(recipe_set.variables, doc)
        if term_ is None or missing_variables(recipe_set.variables, doc):
            continue
        # Course steps come after conda is installed, when the recipes install it.
        requires = ("miniforge",) if "miniforge" in recipe_set.recipes else ()
        for course in found:
            if course.recipe in recipes or course.recipe in recipe_set.profiles:
                doc.report(("courses",), f"{course.recipe!r} is also a recipe or profile name")
                continue
            courses[course.id] = course
            recipes[course.recipe] = course_recipe(course, term_, requires)
    if not courses:
        return recipe_set
    return replace(recipe_set, recipes=recipes, courses=courses)
