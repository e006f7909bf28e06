"""The recipe, profile and settings formats, declared once as data.

These schema objects drive validation (with defaults), `dtu-install schema` (JSON Schema for
editors) and the key tables of docs/recipes.md (`doc_tables()`, checked by a test). The
lists of action and check kinds come from `ACTION_KINDS` / `CHECK_KINDS` in model.py.
Rules that span several values (placeholders, names across files, cycles, URLs) live in
`validate.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from installer.mirrors import HTTPS_URL, HTTPS_URL_HELP
from installer.platform.facts import ARCHITECTURES
from installer.recipes.courses import COURSES
from installer.recipes.model import ACTION_KINDS, CHECK_KINDS
from installer.yaml_source.choice import Either
from installer.yaml_source.containers import AnyValue, DictOf, Field, Map, Seq
from installer.yaml_source.scalars import Bool, Int, Number, Str
from installer.yaml_source.schema import Schema

STEP_NAME = r"[a-z][a-z0-9]*(_[a-z0-9.]+)+"
STEP_NAME_HELP = "a step name: <component>_<action>[_<detail>], lower case (e.g. homebrew_install)"
RECIPE_NAME = r"[a-z][a-z0-9-]*"
RECIPE_NAME_HELP = "a name: lower case letters, digits and '-' (e.g. xcode-clt)"
VARIABLE_NAME = r"[a-z][a-z0-9_]*"
SHA256 = r"[0-9a-f]{64}"
OS_NAMES: tuple[str, ...] = ("Darwin", "Linux")
ON_FAILURE: tuple[str, ...] = ("abort", "continue")
MAX_ATTEMPTS = 10  # more than this hides a broken step behind minutes of retrying
DEFAULT_SHELL = "/bin/bash"
TIMEOUT_UNITS: Mapping[str, float] = {"s": 1.0, "m": 60.0, "h": 3600.0}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


# ---------------------------------------------------------------- value validators
def _specifier_problem(value: str) -> str | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        return f"{value!r} is not a version range such as '>=13' or '>=12,<15'"
    return None


def _version_problem(value: str) -> str | None:
    from packaging.version import InvalidVersion, Version

    try:
        Version(value)
    except InvalidVersion:
        return f"{value!r} is not a version such as '3.12'"
    return None


def _regex_problem(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return None


def parse_timeout(value: float | str) -> float:
    """`90`, `"90s"`, `"10m"`, `"1h"` -> seconds (the value is already validated)."""
    if isinstance(value, str):
        return float(value[:-1]) * TIMEOUT_UNITS[value[-1]]
    return float(value)


def _timeout_problem(value: str) -> str | None:
    units = "".join(TIMEOUT_UNITS)
    match = re.fullmatch(rf"(\d+(?:\.\d+)?)[{units}]", value)
    if not match or float(match.group(1)) <= 0:
        return f"{value!r} is not a duration such as 90, '90s', '10m' or '1h'"
    return None


# ---------------------------------------------------------------- building blocks
def per_arch(inner: Schema) -> Either:
    """A value, or a mapping with one value per architecture."""
    by_arch = Map(
        {arch: Field(inner, required=True) for arch in ARCHITECTURES},
        name="a mapping by arch (" + ", ".join(ARCHITECTURES) + ")",
    )
    return Either([inner, by_arch], name=f"{inner.describe()} (or per arch)")


def _nul_problem(value: str) -> str | None:
    # No argument, path or environment value can hold a NUL (execve and open end the string
    # there): it passed validation and failed at run time as unknown_error (issue 14 item 16).
    if "\x00" in value:
        at = value.index("\x00")
        return f"contains a NUL character (at {at}), which no argument or path can hold"
    return None


def text(doc: str = "") -> Either:
    return per_arch(Str(doc=doc, validator=_nul_problem))


# A relative path resolved against whatever directory `dtu-install` was started in: the same
# recipe wrote `./settings.json` into the Downloads folder one day and the home the next
# (issue 14 item 15). Paths must be absolute, start at `~`, or start with a placeholder
# (`{home}`, `{cache_dir}`, ...), all of which the plan makes absolute.
PATH_PATTERN = r"[/~{][\s\S]*"


def path_text(doc: str = "") -> Either:
    return per_arch(
        Str(
            pattern=PATH_PATTERN,
            pattern_help="an absolute path (start it with /, ~ or a placeholder such as {home})",
            doc=doc,
            name="a path",
            validator=_nul_problem,
        )
    )


ARGV = Seq(text(), min_items=1, doc="a program and its arguments; no shell")
NAME_LIST_STEP = Seq(
    Str(
        pattern=rf"{STEP_NAME}|{RECIPE_NAME}",
        pattern_help="a step or recipe name",
        name="a step or recipe name",
    )
)


def one_or_list(item: Schema) -> Either:
    return Either([item, Seq(item, min_items=1)])


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


# ---------------------------------------------------------------- checks
CHECK_FIELDS: Mapping[str, Field] = {
    "command": Field(ARGV, doc="passes when the command exits 0"),
    "path_exists": Field(path_text(), doc="passes when the path exists (`~` is expanded)"),
    "version_at_least": Field(
        Map(
            {
                "command": Field(ARGV, required=True),
                "minimum": Field(Str(validator=_version_problem), required=True),
                "pattern": Field(
                    Str(validator=_regex_problem),
                    doc=r"regex whose group 1 is the version (default `(\d+(?:\.\d+)+)`)",
                ),
            },
            name="{command, minimum, pattern}",
        ),
        doc="passes when the first version in the command's output is at least `minimum` "
        "(PEP 440 comparison)",
    ),
    "json_settings": Field(
        Map(
            {
                "path": Field(text(), required=True),
                "settings": Field(DictOf(AnyValue(), key_pattern=r".+"), required=True),
            },
            name="{path, settings}",
        ),
        doc="passes when the JSON file (comments allowed) has every key of `settings` with "
        "that value; the same shape as the `json_settings` action, so one YAML anchor serves both",
    ),
}
assert set(CHECK_FIELDS) == set(CHECK_KINDS), "schema and model.CHECK_KINDS disagree"

CHECK = Map(
    CHECK_FIELDS,
    exactly_one_of=[(tuple(CHECK_KINDS), f"a check needs exactly one of {', '.join(CHECK_KINDS)}")],
    name="a check",
)


# ---------------------------------------------------------------- livecheck (upstream)
GITHUB_REPO = r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*"
GITHUB_REPO_HELP = "a GitHub repository owner/name (e.g. conda-forge/miniforge)"
VERSION = r"[A-Za-z0-9][A-Za-z0-9._+-]*"
# How a GitHub release states an asset's sha256 (installer/upstream/sources.py reads them).
RELEASE_CHECKSUMS: tuple[str, ...] = ("sha256_file", "asset_digest")
REPO = Str(pattern=GITHUB_REPO, pattern_help=GITHUB_REPO_HELP, name="owner/name")

LIVECHECK_FIELDS: Mapping[str, Field] = {
    "github_release": Field(
        Map(
            {
                "repo": Field(REPO, required=True),
                "checksums": Field(
                    Seq(Str(enum=RELEASE_CHECKSUMS), min_items=1),
                    default=["sha256_file"],
                    doc="where the release states each asset's sha256, all of which must agree: "
                    "`sha256_file` (`<asset>.sha256` beside it), `asset_digest` (the releases "
                    "API's `assets[].digest`)",
                ),
            },
            name="{repo, checksums}",
        ),
        doc="newest version = the tag `https://github.com/<repo>/releases/latest` redirects to",
    ),
    "github_commit": Field(
        Map(
            {
                "repo": Field(REPO, required=True),
                "path": Field(Str(), required=True, doc="the file in the repository"),
            },
            name="{repo, path}",
        ),
        doc="newest version = the newest commit of the default branch that changed `path`; "
        "nothing is published, so its sha256 is of the file fetched at that commit",
    ),
    "vscode_update": Field(
        Map(
            {
                "platform": Field(
                    text(), required=True, doc="`darwin-arm64` / `darwin` (per arch)"
                ),
                "quality": Field(Str(enum=("stable", "insider")), default="stable"),
            },
            name="{platform, quality}",
        ),
        doc="VS Code's update service, `api/update/<platform>/<quality>/latest`: "
        "`productVersion` and `sha256hash` in one answer",
    ),
}
LIVECHECK = Map(
    LIVECHECK_FIELDS,
    exactly_one_of=[
        (tuple(LIVECHECK_FIELDS), "livecheck needs exactly one of " + ", ".join(LIVECHECK_FIELDS))
    ],
    name="a livecheck",
)


# ---------------------------------------------------------------- actions
DOWNLOAD = Map(
    {
        "url": Field(
            text(), required=True, doc="what to fetch; `https://` only; may use `{version}`"
        ),
        "dest": Field(
            path_text(), required=True, doc="where the file goes (e.g. under `{cache_dir}`)"
        ),
        "version": Field(
            Str(pattern=VERSION, pattern_help="a version or commit", name="a version"),
            doc="the pinned upstream version (or commit), usable as `{version}` in `url` and "
            "`dest`; a pin: it needs `sha256`, and `dtu-install upstream bump` updates both",
        ),
        "sha256": Field(
            per_arch(Str(pattern=SHA256, pattern_help="64 lower-case hex digits", name="a sha256")),
            doc="the pinned digest, when the URL names one fixed build",
        ),
        "livecheck": Field(
            LIVECHECK,
            doc="how `dtu-install upstream` finds the newest version and its published sha256",
        ),
        "sha256_url": Field(
            text(),
            doc="for `latest` URLs: the publisher's checksum file, fetched over HTTPS; the "
            "first word of the answer is the digest",
        ),
        "sha256_json_key": Field(
            Str(),
            doc="when `sha256_url` answers JSON, the key of the digest (VS Code's update API: "
            "`sha256hash`)",
        ),
        "unverified_reason": Field(
            Str(), doc="why nothing can be verified (nothing is published); set `min_size` too"
        ),
        "min_size": Field(Int(minimum=1), doc="bytes; catches truncated unverified downloads"),
        "max_size": Field(
            Int(minimum=1),
            doc="bytes; a larger download is refused and discarded (default 2 GiB: a server "
            "that sends without end would fill the disk)",
        ),
        "mode": Field(
            Str(pattern=r"0?[0-7]{3}", pattern_help="an octal mode such as '0755'"),
            doc='octal file mode, e.g. `"0755"` for a script that must be executable',
        ),
    },
    exactly_one_of=[
        (
            ("sha256", "sha256_url", "unverified_reason"),
            "a download needs exactly one of sha256, sha256_url or unverified_reason",
        )
    ],
    needs={"sha256_json_key": "sha256_url", "version": "sha256", "livecheck": "version"},
    name="{url, dest, sha256 | sha256_url | unverified_reason, ...}",
)

ACTION_FIELDS: Mapping[str, Field] = {
    "command": Field(
        Either(
            [
                ARGV,
                Map(
                    {
                        "argv": Field(ARGV, required=True),
                        "env": Field(DictOf(text()), doc="extra environment variables"),
                        "cwd": Field(path_text()),
                    },
                    name="{argv, env, cwd}",
                ),
            ]
        ),
        doc="run a program directly, never through a shell; a list item that is exactly a "
        'list variable (`"{conda_packages}"`) becomes one argument per element',
    ),
    "shell": Field(
        Either(
            [
                Str(name="a script", validator=_nul_problem),
                Map(
                    {
                        "script": Field(Str(validator=_nul_problem), required=True),
                        "shell": Field(Str(), default=DEFAULT_SHELL),
                    },
                    name="{script, shell}",
                ),
            ]
        ),
        doc="run a script with `/bin/bash` (or `shell`); only when a shell is really needed",
    ),
    "download": Field(
        DOWNLOAD,
        doc="fetch over HTTPS to `dest` (a `.part` file hashed while streaming, renamed when "
        "the sha256 matches)",
    ),
    "extract": Field(
        Map(
            {
                "archive": Field(path_text(), required=True),
                "dest": Field(path_text(), required=True),
            },
            name="{archive, dest}",
        ),
        doc="unpack a zip or tar archive into a directory",
    ),
    "profile_block": Field(
        Map(
            {
                "files": Field(Seq(path_text(), min_items=1), required=True),
                "marker": Field(
                    Str(pattern=r"[a-z0-9][a-z0-9_.-]*", pattern_help="a lower-case marker"),
                    required=True,
                ),
                "content": Field(Str(), required=True),
            },
            name="{files, marker, content}",
        ),
        doc="add or update one marked block (`# >>> dtu-install MARKER >>>` ... "
        "`# <<< dtu-install MARKER <<<`) in each file, once; the file is backed up first. "
        "Markers that are not one begin ... end pair (one deleted, two blocks) fail the step "
        "with `FILE:LINE` and leave every file unchanged",
    ),
    "json_settings": Field(
        Map(
            {
                "path": Field(path_text(), required=True),
                "settings": Field(DictOf(AnyValue(), key_pattern=r".+"), required=True),
            },
            name="{path, settings}",
        ),
        doc="set the keys of `settings` in a JSON file (e.g. VS Code's `settings.json`): "
        "comments, trailing commas, the other keys and their order stay as they were; backed "
        "up before the first change; a file that cannot be read as JSON with comments fails "
        "the step, unchanged",
    ),
    "remove": Field(
        text(),
        doc="remove this file, directory or app (for `uninstall` steps); `/` and the home "
        "directory are refused; nothing there is nothing to do",
    ),
    "profile_block_remove": Field(
        Map(
            {
                "files": Field(Seq(text(), min_items=1), required=True),
                "marker": Field(
                    Str(pattern=r"[a-z0-9][a-z0-9_.-]*", pattern_help="a lower-case marker"),
                    required=True,
                ),
            },
            name="{files, marker}",
        ),
        doc="remove the block `profile_block` added with this marker from each file, and no "
        "other line (for `uninstall` steps); backed up first",
    ),
}
assert set(ACTION_FIELDS) == set(ACTION_KINDS), "schema and model.ACTION_KINDS disagree"


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

STEP_FIELDS: dict[str, Field] = {
    "name": Field(
        Str(pattern=STEP_NAME, pattern_help=STEP_NAME_HELP, name="a step name"),
        required=True,
        doc="`<component>_<action>[_<detail>]`; also the telemetry event name",
    ),
    "description": Field(
        Str(), default="", doc="shown in progress and in `plan`; may use placeholders"
    ),
    **ACTION_FIELDS,
    "check": Field(
        one_or_list(CHECK),
        doc="when all pass, the step is skipped (already done); without a check the step "
        "always runs, so its action must be safe to repeat",
    ),
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
            [Number(minimum=0, exclusive_minimum=True), Str(validator=_timeout_problem)],
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

STEP = Map(
    STEP_FIELDS,
    exactly_one_of=[
        (tuple(ACTION_KINDS), f"a step needs exactly one action: {', '.join(ACTION_KINDS)}")
    ],
    name="a step",
)

UNINSTALL_NAME = r"[a-z][a-z0-9]*_uninstall(_[a-z0-9.]+)*"
UNINSTALL_STEP = Map(
    {
        **{k: v for k, v in STEP_FIELDS.items() if k != "requires"},
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
    },
    exactly_one_of=[
        (tuple(ACTION_KINDS), f"a step needs exactly one action: {', '.join(ACTION_KINDS)}")
    ],
    name="an uninstall step",
)

VERIFY = Map(
    {
        "name": Field(
            Str(pattern=STEP_NAME, pattern_help=STEP_NAME_HELP, name="a step name"),
            required=True,
            doc="the check's name in `doctor`'s PASS/FAIL list",
        ),
        "description": Field(Str(), default="", doc="what it checks, in plain words"),
        "check": Field(CHECK, required=True, doc="one check"),
    },
    name="a verify check",
)

RECIPE = Map(
    {
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
                        Str(validator=_version_problem, name="a macOS version"),
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
        "steps": Field(
            Seq(STEP, min_items=1),
            required=True,
            doc="run in this order unless `requires` says otherwise",
        ),
        "verify": Field(Seq(VERIFY), default=[], doc="checks `dtu-install doctor` runs"),
        "uninstall": Field(
            Seq(UNINSTALL_STEP),
            default=[],
            doc="what `dtu-install uninstall` runs, in this order (recipes in reverse "
            "dependency order); a check that passes means nothing is left to remove",
        ),
    },
    name="a recipe",
    doc="A dtu-install recipe (docs/recipes.md)",
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

SCHEMAS: Mapping[str, Map] = {
    "recipe": RECIPE,
    "profile": PROFILE,
    "settings": SETTINGS,
    "courses": COURSES,
}


def json_schema(kind: str = "recipe") -> dict[str, Any]:
    """The JSON Schema of one file kind, for editors (`# yaml-language-server: $schema=`)."""
    schema = SCHEMAS[kind]
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": f"https://dtu-install.invalid/schema/{kind}.json",
        "title": f"dtu-install {kind}",
        **schema.json_schema(),
    }
