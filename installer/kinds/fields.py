"""Building blocks of the recipe schema: the value types every step kind's schema is made of.

Kept apart from schema.py so that the step kinds (installer/kinds/) can declare their own
schema fields from these without importing the schema that lists them (schema.py builds the
step schema from the kinds' registry).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from installer.platform.facts import ARCHITECTURES
from installer.yaml_source.choice import Either
from installer.yaml_source.containers import Field, Map, Seq
from installer.yaml_source.scalars import Str
from installer.yaml_source.schema import Schema

SHA256 = r"[0-9a-f]{64}"
# `{version}`: valid only inside a download block that pins a `version` (SPEC 3).
VERSION_PLACEHOLDER = "version"
DEFAULT_SHELL = "/bin/bash"


# ---------------------------------------------------------------- value validators
def version_problem(value: str) -> str | None:
    from packaging.version import InvalidVersion, Version

    try:
        Version(value)
    except InvalidVersion:
        return f"{value!r} is not a version such as '3.12'"
    return None


def regex_problem(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    return None


# ---------------------------------------------------------------- values
def per_arch(inner: Schema) -> Either:
    """A value, or a mapping with one value per architecture."""
    by_arch = Map(
        {arch: Field(inner, required=True) for arch in ARCHITECTURES},
        name="a mapping by arch (" + ", ".join(ARCHITECTURES) + ")",
    )
    return Either([inner, by_arch], name=f"{inner.describe()} (or per arch)")


def nul_problem(value: str) -> str | None:
    # No argument, path or environment value can hold a NUL (execve and open end the string
    # there): it passed validation and failed at run time as unknown_error (issue 14 item 16).
    if "\x00" in value:
        at = value.index("\x00")
        return f"contains a NUL character (at {at}), which no argument or path can hold"
    return None


def text(doc: str = "") -> Either:
    return per_arch(Str(doc=doc, validator=nul_problem))


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
            validator=nul_problem,
        )
    )


ARGV = Seq(text(), min_items=1, doc="a program and its arguments; no shell")


def one_or_list(item: Schema) -> Either:
    return Either([item, Seq(item, min_items=1)])


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
