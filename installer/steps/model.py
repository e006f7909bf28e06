"""The typed, rendered model that the runner executes.

The loader parses and validates YAML once, at the edge, and renders it for one machine's
`Facts` into these frozen values: every `{placeholder}` filled in and every per-arch mapping
resolved. The runner, `plan`, `doctor` and telemetry only ever see these.

Step kinds are small plugins: each action and check kind is one module of installer/kinds/
(its dataclass, schema, rendering, description and executor), listed once in
installer/kinds/registry.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from installer.mirrors import NO_MIRRORS, Mirrors

OnFailure = Literal["abort", "continue"]


# A step's action and a check are the frozen dataclass of their kind (installer/kinds/, one
# module per kind; installer/kinds/registry.py maps each dataclass back to its kind).
Action = object
Check = object


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
