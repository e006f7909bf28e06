"""The typed, rendered model that the runner executes.

The loader parses and validates YAML once, at the edge, and renders it for one machine's
`Facts` into these frozen values: every `{placeholder}` filled in and every per-arch mapping
resolved. The runner, `plan`, `doctor` and telemetry only ever see these.

Step kinds are small plugins: each action and check kind is one dataclass registered in
`ACTION_KINDS` / `CHECK_KINDS` under its YAML name; the recipe schema's list of kinds comes
from these mappings, and the runner has one executor per kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from installer.mirrors import NO_MIRRORS, Mirrors

OnFailure = Literal["abort", "continue"]


# ---------------------------------------------------------------- checks ("is it done?")
@dataclass(frozen=True)
class CommandCheck:
    """Done when the command exits 0 (argv list, no shell)."""

    argv: tuple[str, ...]


@dataclass(frozen=True)
class PathExistsCheck:
    """Done when the path exists (`~` and placeholders already expanded)."""

    path: str


@dataclass(frozen=True)
class VersionCheck:
    """Done when the first version found in the command's output is at least `minimum`
    (compared with `packaging.version`)."""

    argv: tuple[str, ...]
    minimum: str
    pattern: str = r"(\d+(?:\.\d+)+)"


@dataclass(frozen=True)
class JsonSettingsCheck:
    """Done when the JSON (with comments) file at `path` has every key of `settings` with
    that value (what a `json_settings` action writes; `doctor` shows each)."""

    path: str
    settings: Mapping[str, Any]


Check = Union[CommandCheck, PathExistsCheck, VersionCheck, JsonSettingsCheck]

CHECK_KINDS: Mapping[str, type[Any]] = {
    "command": CommandCheck,
    "path_exists": PathExistsCheck,
    "version_at_least": VersionCheck,
    "json_settings": JsonSettingsCheck,
}


# ---------------------------------------------------------------- actions ("do it")
@dataclass(frozen=True)
class CommandAction:
    """Run a program: argv list, never through a shell."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True)
class ShellAction:
    """Run a script through a shell; only when the recipe writes `shell:` explicitly."""

    script: str
    shell: str = "/bin/bash"


@dataclass(frozen=True)
class DownloadAction:
    """Fetch `url` (HTTPS only) to `dest`, verified against a sha256.

    Exactly one of: `sha256` (pinned), `sha256_url` (the publisher's checksum file, fetched
    over HTTPS, for `latest` URLs), or `unverified_reason` (why nothing can be checked).
    """

    url: str
    dest: str
    sha256: str | None = None
    version: str | None = None  # the pinned upstream version (or commit) in `url`
    sha256_url: str | None = None
    # When `sha256_url` answers JSON (VS Code's update API returns {"sha256hash": ...}),
    # the key holding the digest; otherwise the first token of the text is the digest.
    sha256_json_key: str | None = None
    unverified_reason: str | None = None
    min_size: int | None = None  # a floor for unverified downloads
    max_size: int | None = None  # a ceiling for any download; None: download.DEFAULT_MAX_SIZE
    mode: int | None = None  # e.g. 0o755 for an installer script


@dataclass(frozen=True)
class ExtractAction:
    """Unpack a zip or tar archive into a directory (e.g. VS Code into /Applications)."""

    archive: str
    dest: str


@dataclass(frozen=True)
class ProfileBlockAction:
    """Add (or update) one marked block in shell profile files, idempotently; the file is
    backed up before its first edit."""

    files: tuple[str, ...]
    marker: str  # `# >>> dtu-install {marker} >>>` ... `# <<< dtu-install {marker} <<<`
    content: str


@dataclass(frozen=True)
class JsonSettingsAction:
    """Merge keys into a JSON settings file (e.g. VS Code's settings.json)."""

    path: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class RemoveAction:
    """Remove a file, directory or app (`uninstall` steps): renamed aside first, so a
    half-removed directory never stays under its name; `/` and the home are refused."""

    path: str


@dataclass(frozen=True)
class ProfileBlockRemoveAction:
    """Remove the marked block `marker` from each file, and nothing else (`uninstall`)."""

    files: tuple[str, ...]
    marker: str


Action = Union[
    CommandAction,
    ShellAction,
    DownloadAction,
    ExtractAction,
    ProfileBlockAction,
    JsonSettingsAction,
    RemoveAction,
    ProfileBlockRemoveAction,
]

ACTION_KINDS: Mapping[str, type[Any]] = {
    "command": CommandAction,
    "shell": ShellAction,
    "download": DownloadAction,
    "extract": ExtractAction,
    "profile_block": ProfileBlockAction,
    "json_settings": JsonSettingsAction,
    "remove": RemoveAction,
    "profile_block_remove": ProfileBlockRemoveAction,
}


# ---------------------------------------------------------------- steps and plans
@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 1  # total attempts, >= 1
    backoff: float = 1.0  # first delay in seconds; doubles each attempt, with jitter
    max_backoff: float = 60.0


@dataclass(frozen=True)
class PlannedStep:
    name: str  # `<component>_<action>[_<detail>]`; also the telemetry event name
    recipe: str
    description: str
    action: Action
    checks: tuple[Check, ...] = ()  # all pass -> the step is skipped; none -> always runs
    retries: RetryPolicy = RetryPolicy()
    timeout: float | None = None  # seconds per attempt
    requires: tuple[str, ...] = ()  # names of steps that must have succeeded (or skipped)
    sudo: str | None = None  # why this step needs admin rights; None = it does not
    on_failure: OnFailure = "abort"
    source: str = ""  # "recipes/x.yaml:LINE" for messages
    # With `sudo`: the command calls sudo itself (not run under sudo); the runner asks for
    # the password first (`sudo -v`) and lets the command use the terminal.
    sudo_prime: bool = False
    # Put before the argv of the step's commands and command checks: `/usr/bin/arch -arm64`
    # when this process runs under Rosetta 2 (SPEC 3, "Rosetta"); empty otherwise.
    launcher: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifyCheck:
    """A `doctor` check declared by a recipe."""

    name: str
    recipe: str
    description: str
    check: Check


@dataclass(frozen=True)
class ExcludedStep:
    name: str
    recipe: str
    reason: str  # why `when` left it out, e.g. "arch is x86_64, step needs arm64"


@dataclass(frozen=True)
class TooOldMac:
    """A component of the plan that does not run on this Mac's macOS (`minimum_macos`)."""

    recipe: str
    component: str  # "VS Code"
    minimum: str  # "12.0"


@dataclass(frozen=True)
class Plan:
    targets: tuple[str, ...]  # the profiles/recipes asked for
    steps: tuple[PlannedStep, ...]  # in dependency order
    excluded: tuple[ExcludedStep, ...] = ()
    verify: tuple[VerifyCheck, ...] = ()
    variables: Mapping[str, str] = field(default_factory=dict)  # rendered maintainer vars
    # The Mac planned for: os_name, os_version, arch (what `plan` and the golden files show).
    platform: Mapping[str, str] = field(default_factory=dict)
    # Components whose minimum macOS this Mac does not reach: `run` refuses before anything
    # is downloaded (installer/recipes/macos_minimum.py says why, in one sentence).
    too_old: tuple[TooOldMac, ...] = ()
    # The URL rewrites in force (download URLs above are already rewritten); the runner
    # applies them to redirect targets too.
    mirrors: Mirrors = NO_MIRRORS
