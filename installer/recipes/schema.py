"""The recipe, profile and settings formats, declared once as data.

These schema objects drive validation (with defaults), `dtu-install schema` (JSON Schema for
editors) and the key tables of docs/recipes.md (`doc_tables()`, checked by a test). The
action and check keys, and their schemas, come from the kinds' registry
(installer/kinds/registry.py); the value types they are made of from fields.py.
Rules that span several values (placeholders, names across files, cycles, URLs) live in
`validate.py`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from installer.kinds.fields import one_or_list, version_problem
from installer.kinds.kind import ActionKind, CheckKind
from installer.kinds.registry import ACTIONS, CHECKS
from installer.mirrors import HTTPS_URL, HTTPS_URL_HELP
from installer.platform.facts import ARCHITECTURES
from installer.recipes.courses import COURSES
from installer.yaml_source.choice import Either
from installer.yaml_source.containers import DictOf, Field, Map, Seq
from installer.yaml_source.duration import duration_seconds
from installer.yaml_source.scalars import Bool, Int, Number, Str

STEP_NAME = r"[a-z][a-z0-9]*(_[a-z0-9.]+)+"
STEP_NAME_HELP = "a step name: <component>_<action>[_<detail>], lower case (e.g. homebrew_install)"
RECIPE_NAME = r"[a-z][a-z0-9-]*"
RECIPE_NAME_HELP = "a name: lower case letters, digits and '-' (e.g. xcode-clt)"
VARIABLE_NAME = r"[a-z][a-z0-9_]*"
OS_NAMES: tuple[str, ...] = ("Darwin", "Linux")
ON_FAILURE: tuple[str, ...] = ("abort", "continue")
MAX_ATTEMPTS = 10  # more than this hides a broken step behind minutes of retrying
# A step's timeout in words: the duration grammar (yaml_source/duration.py) with a unit
# required and no days or weeks (a step that may take a day is a broken step).
TIMEOUT_UNITS: Mapping[str, float] = {"s": 1.0, "m": 60.0, "h": 3600.0}
# The same thought as a bound: `timeout: 9999...9s` validated and planned as "(timeout infs)".
MAX_TIMEOUT_SECONDS = 24 * 3600
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# ---------------------------------------------------------------- value validators
def _specifier_problem(value: str) -> str | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        return f"{value!r} is not a version range such as '>=13' or '>=12,<15'"
    return None


def parse_timeout(value: float | str) -> float:
    """`90`, `"90s"`, `"10m"`, `"1h"` -> seconds (the value is already validated)."""
    if isinstance(value, str):
        seconds = duration_seconds(value, TIMEOUT_UNITS)
        if seconds is None:  # the schema refused it already (_timeout_problem)
            raise ValueError(f"{value!r} is not a timeout")
        return seconds
    return float(value)


def _timeout_problem(value: str) -> str | None:
    seconds = duration_seconds(value, TIMEOUT_UNITS)
    if seconds is None or seconds <= 0:
        return f"{value!r} is not a duration such as 90, '90s', '10m' or '1h'"
    if seconds > MAX_TIMEOUT_SECONDS:
        return f"{value!r} is longer than a step may take (at most 24h)"
    return None


NAME_LIST_STEP = Seq(
    Str(
        pattern=rf"{STEP_NAME}|{RECIPE_NAME}",
        pattern_help="a step or recipe name",
        name="a step or recipe name",
    )
)


WHEN = Map(
    {
        "arch": Field(
            one_or_list(Str(enum=ARCHITECTURES)),
            doc="the native architecture is one of these",
        ),
        "os": Field(one_or_list(Str(enum=OS_NAMES)), doc="the OS (`uname -s`) is one of these"),
        "os_version": Field(
            Str(validator=_specifier_problem, name="a version range"),
            doc="the macOS product version matches this range (e.g. `>=13`); false elsewhere",
        ),
    },
    name="a condition",
    doc="platform conditions; all given must hold",
)


# ---------------------------------------------------------------- steps, recipes, profiles
RETRIES = Either(
    [
        Int(minimum=1, maximum=MAX_ATTEMPTS),
        Map(
            {
                "attempts": Field(Int(minimum=1, maximum=MAX_ATTEMPTS), default=1),
                "backoff": Field(Number(minimum=0), default=1.0, doc="seconds"),
                "max_backoff": Field(Number(minimum=0), default=60.0, doc="seconds"),
            },
            name="{attempts, backoff, max_backoff}",
        ),
    ]
)

SUDO_REASON = Str(pattern=r"[\s\S]*\S[\s\S]*", pattern_help="a reason", name="a reason")
SUDO_PRIME = Map(
    {
        "reason": Field(SUDO_REASON, required=True, doc="why, in plain words"),
        "prime": Field(
            Bool(),
            default=False,
            doc="the command calls sudo itself: ask for the password before it starts "
            "(not run under sudo)",
        ),
    },
    name="{reason, prime}",
)

STEP_HEAD: Mapping[str, Field] = {
    "name": Field(
        Str(pattern=STEP_NAME, pattern_help=STEP_NAME_HELP, name="a step name"),
        required=True,
        doc="`<component>_<action>[_<detail>]`; also the telemetry event name",
    ),
    "description": Field(
        Str(), default="", doc="shown in progress and in `plan`; may use placeholders"
    ),
}
# After the action keys and `check`.
STEP_TAIL: Mapping[str, Field] = {
    "requires": Field(
        NAME_LIST_STEP,
        default=[],
        doc="steps, or whole recipes (all their steps), that must succeed or be skipped first",
    ),
    "when": Field(WHEN, doc="leave the step out on other Macs (listed as excluded by `plan`)"),
    "retries": Field(
        RETRIES,
        default=1,
        doc="total attempts for transient failures (network, HTTP 5xx/429, timeouts); `backoff` "
        "seconds before the second (doubling, with jitter, up to `max_backoff`)",
    ),
    "timeout": Field(
        Either(
            [
                Number(minimum=0, exclusive_minimum=True, maximum=MAX_TIMEOUT_SECONDS),
                Str(validator=_timeout_problem),
            ],
            name="seconds or a duration",
        ),
        doc='per attempt: seconds, or `"90s"`, `"10m"`, `"1h"`',
    ),
    "sudo": Field(
        Either([SUDO_REASON, SUDO_PRIME], name="a reason or {reason, prime}"),
        doc="the step needs admin rights; says why (shown before asking). A reason alone: "
        "the command runs under `sudo`. `{reason, prime: true}`: the command calls sudo "
        "itself (and refuses root); the runner asks for the password first (`sudo -v`) "
        "and runs the command on the terminal, or checks `sudo -n true` when nobody can "
        "answer",
    ),
    "on_failure": Field(
        Str(enum=ON_FAILURE),
        default="abort",
        doc="`continue`: record the failure, go on with the steps that do not require this one",
    ),
}

UNINSTALL_NAME = r"[a-z][a-z0-9]*_uninstall(_[a-z0-9.]+)*"
UNINSTALL_OWN: Mapping[str, Field] = {
    "name": Field(
        Str(
            pattern=UNINSTALL_NAME,
            pattern_help="<component>_uninstall[_<detail>] (e.g. miniforge_uninstall)",
            name="an uninstall step name",
        ),
        required=True,
        doc="`<component>_uninstall[_<detail>]`; also the telemetry event name",
    ),
    "undoes": Field(
        Seq(Str(pattern=STEP_NAME, pattern_help=STEP_NAME_HELP, name="a step name")),
        default=[],
        doc="steps of this recipe whose work it removes: it runs only when dtu-install "
        "ran one of them (the install record); otherwise what it would remove is named "
        "and left. Without `undoes`, the step must only touch what dtu-install marked",
    ),
}

VERIFY_HEAD: Mapping[str, Field] = {
    "name": Field(
        Str(pattern=STEP_NAME, pattern_help=STEP_NAME_HELP, name="a step name"),
        required=True,
        doc="the check's name in `doctor`'s PASS/FAIL list",
    ),
    "description": Field(Str(), default="", doc="what it checks, in plain words"),
}

# Before `steps`, `verify` and `uninstall`.
RECIPE_HEAD: Mapping[str, Field] = {
    "recipe": Field(
        Str(pattern=RECIPE_NAME, pattern_help=RECIPE_NAME_HELP, name="a name"),
        required=True,
        doc="the recipe's name = the file name without `.yaml`",
    ),
    "description": Field(
        Str(), default="", doc="one line, shown by `dtu-install list`; may use placeholders"
    ),
    "requires": Field(
        Seq(Str(pattern=RECIPE_NAME, pattern_help=RECIPE_NAME_HELP, name="a recipe name")),
        default=[],
        doc="recipes whose steps all come first (pulled into a plan that does not name them)",
    ),
    "when": Field(WHEN, doc="applies to every step (with each step's own `when`)"),
    "minimum_macos": Field(
        Map(
            {
                "version": Field(
                    Str(validator=version_problem, name="a macOS version"),
                    required=True,
                    doc="the oldest macOS the component runs on, e.g. `12.0`",
                ),
                "component": Field(
                    Str(name="a name"),
                    required=True,
                    doc="what needs it, as a student knows it (e.g. `VS Code`)",
                ),
            },
            name="{version, component}",
        ),
        doc="an older Mac is refused before anything is downloaded, with one sentence "
        "saying what needs which macOS and what to do; `plan` shows it",
    ),
}


@dataclass(frozen=True)
class RecipeSchemas:
    """The parts of the recipe format that list the step kinds (installer/kinds/registry.py)."""

    action_fields: Mapping[str, Field]
    check_fields: Mapping[str, Field]
    check: Map
    step_fields: Mapping[str, Field]
    step: Map
    uninstall_step: Map
    verify: Map
    recipe: Map


def recipe_schemas() -> RecipeSchemas:
    """The recipe format with every kind registered now: a kind a test registers is
    validated, documented and exported like the others."""
    return _recipe_schemas(tuple(ACTIONS), tuple(CHECKS))


@functools.lru_cache(maxsize=4)
def _recipe_schemas(
    actions: tuple[ActionKind[Any], ...], checks: tuple[CheckKind[Any], ...]
) -> RecipeSchemas:
    action_fields = {kind.name: kind.field for kind in actions}
    check_fields = {kind.name: kind.field for kind in checks}
    check = Map(
        check_fields,
        exactly_one_of=[
            (tuple(check_fields), f"a check needs exactly one of {', '.join(check_fields)}")
        ],
        name="a check",
    )
    one_action = (
        tuple(action_fields),
        f"a step needs exactly one action: {', '.join(action_fields)}",
    )
    step_fields = {
        **STEP_HEAD,
        **action_fields,
        "check": Field(
            one_or_list(check),
            doc="when all pass, the step is skipped (already done); without a check the step "
            "always runs, so its action must be safe to repeat",
        ),
        **STEP_TAIL,
    }
    step = Map(step_fields, exactly_one_of=[one_action], name="a step")
    uninstall_step = Map(
        {**{k: v for k, v in step_fields.items() if k != "requires"}, **UNINSTALL_OWN},
        exactly_one_of=[one_action],
        name="an uninstall step",
    )
    verify = Map(
        {**VERIFY_HEAD, "check": Field(check, required=True, doc="one check")},
        name="a verify check",
    )
    recipe = Map(
        {
            **RECIPE_HEAD,
            "steps": Field(
                Seq(step, min_items=1),
                required=True,
                doc="run in this order unless `requires` says otherwise",
            ),
            "verify": Field(Seq(verify), default=[], doc="checks `dtu-install doctor` runs"),
            "uninstall": Field(
                Seq(uninstall_step),
                default=[],
                doc="what `dtu-install uninstall` runs, in this order (recipes in reverse "
                "dependency order); a check that passes means nothing is left to remove",
            ),
        },
        name="a recipe",
        doc="A dtu-install recipe (docs/recipes.md)",
    )
    return RecipeSchemas(
        action_fields, check_fields, check, step_fields, step, uninstall_step, verify, recipe
    )


PROFILE = Map(
    {
        "profile": Field(
            Str(pattern=RECIPE_NAME, pattern_help=RECIPE_NAME_HELP, name="a name"),
            required=True,
            doc="the profile's name = the file name without `.yaml`",
        ),
        "description": Field(
            Str(), default="", doc="shown by `dtu-install list`; may use placeholders"
        ),
        "recipes": Field(
            Seq(
                Str(pattern=RECIPE_NAME, pattern_help=RECIPE_NAME_HELP, name="a recipe name"),
                min_items=1,
            ),
            required=True,
            doc="installed in this order (after their `requires`)",
        ),
    },
    name="a profile",
    doc="A dtu-install profile (docs/recipes.md)",
)

VARIABLE_VALUE = Either(
    [
        Str(),
        Seq(Str()),
        Map(
            {arch: Field(Str(), required=True) for arch in ARCHITECTURES},
            name="a mapping by arch (" + ", ".join(ARCHITECTURES) + ")",
        ),
    ],
    name="a string, a list of strings or a mapping by arch",
)

SETTINGS = Map(
    {
        "variables": Field(
            DictOf(VARIABLE_VALUE, key_pattern=VARIABLE_NAME, key_help="a lower-case name"),
            default={},
            doc="maintainer variables, usable as `{name}` in every recipe",
        ),
        "mirrors": Field(
            DictOf(
                Str(pattern=HTTPS_URL, pattern_help=HTTPS_URL_HELP, name="an https:// URL"),
                key_pattern=HTTPS_URL,
                key_help=HTTPS_URL_HELP,
            ),
            default={},
            doc="URL prefix -> replacement, like git's `url.<base>.insteadOf`: every URL the "
            "runner and `upstream` fetch that starts with a prefix is fetched from its "
            "replacement (longest prefix wins); `DTU_INSTALL_MIRRORS` replaces this mapping",
        ),
    },
    name="the settings",
    doc="dtu-install recipe settings (docs/recipes.md)",
)


class _Schemas(Mapping[str, Map]):
    """File kind -> its schema; the recipe's is `recipe_schemas().recipe` at the time of asking."""

    _static: Mapping[str, Map] = {"profile": PROFILE, "settings": SETTINGS, "courses": COURSES}

    def __getitem__(self, kind: str) -> Map:
        return recipe_schemas().recipe if kind == "recipe" else self._static[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(("recipe", *self._static))

    def __len__(self) -> int:
        return 1 + len(self._static)


SCHEMAS: Mapping[str, Map] = _Schemas()


def json_schema(kind: str = "recipe") -> dict[str, Any]:
    """The JSON Schema of one file kind, for editors (`# yaml-language-server: $schema=`)."""
    schema = SCHEMAS[kind]
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"https://dtu-install.invalid/schema/{kind}.json",
        "title": f"dtu-install {kind}",
        **schema.json_schema(),
    }
