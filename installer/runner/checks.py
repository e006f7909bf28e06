"""Check executors: "is this step already done?" One function per check kind.

A check never fails a step: anything that goes wrong while checking (a missing command, a
timeout) simply means "not done yet", and the step's action runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from packaging.version import InvalidVersion, Version

from installer.recipes.model import (
    Check,
    CommandCheck,
    JsonSettingsCheck,
    PathExistsCheck,
    VersionCheck,
)
from installer.runner import jsonc
from installer.runner.context import CHECK_TIMEOUT, RunContext
from installer.runner.failure import StepError
from installer.runner.process import run_process


def _command(
    check: CommandCheck, ctx: RunContext, label: str, launcher: Sequence[str] = ()
) -> bool:
    try:
        result = run_process(
            [*launcher, *check.argv], log=ctx.log, label=f"{label} check", timeout=CHECK_TIMEOUT
        )
    except StepError:
        return False
    return result.returncode == 0


def _path_exists(
    check: PathExistsCheck, ctx: RunContext, label: str, launcher: Sequence[str] = ()
) -> bool:
    found = os.path.exists(os.path.expanduser(check.path))
    ctx.log.write(f"{label} check: {check.path} {'exists' if found else 'does not exist'}")
    return found


def _version(
    check: VersionCheck, ctx: RunContext, label: str, launcher: Sequence[str] = ()
) -> bool:
    try:
        result = run_process(
            [*launcher, *check.argv], log=ctx.log, label=f"{label} check", timeout=CHECK_TIMEOUT
        )
    except StepError:
        return False
    if result.returncode != 0:
        return False
    match = re.search(check.pattern, result.tail)
    if not match:
        ctx.log.write(f"{label} check: no version in the output")
        return False
    try:
        found = Version(match.group(1) if match.groups() else match.group(0))
        ok = found >= Version(check.minimum)
    except InvalidVersion:
        return False
    ctx.log.write(f"{label} check: version {found} (need >= {check.minimum})")
    return ok


def _json_settings(
    check: JsonSettingsCheck, ctx: RunContext, label: str, launcher: Sequence[str] = ()
) -> bool:
    missing = settings_missing(check)
    ctx.log.write(
        f"{label} check: {check.path} "
        + (f"lacks {', '.join(missing)}" if missing else "has every setting")
    )
    return not missing


def settings_missing(check: JsonSettingsCheck) -> list[str]:
    """The keys of the check whose value the file does not have (all of them when the file
    is missing or unreadable)."""
    try:
        with open(os.path.expanduser(check.path), encoding="utf-8") as f:
            current = jsonc.parse(f.read())
    except (OSError, UnicodeDecodeError, jsonc.JsoncError):
        return list(check.settings)
    return list(jsonc.differing(current, check.settings))


# (check, context, label, launcher): the launcher is put before a command check's argv.
CheckExecutor = Callable[[Any, RunContext, str, Sequence[str]], bool]

CHECK_EXECUTORS: Mapping[type[Any], CheckExecutor] = {
    CommandCheck: _command,
    PathExistsCheck: _path_exists,
    VersionCheck: _version,
    JsonSettingsCheck: _json_settings,
}


def check_passes(check: Check, ctx: RunContext, label: str, launcher: Sequence[str] = ()) -> bool:
    return CHECK_EXECUTORS[type(check)](check, ctx, label, launcher)


def all_pass(
    checks: tuple[Check, ...], ctx: RunContext, label: str, launcher: Sequence[str] = ()
) -> bool:
    """True when the step has checks and every one passes (then it is skipped). A step's
    checks are started through its launcher, like its commands (SPEC 3, "Rosetta")."""
    return bool(checks) and all(check_passes(c, ctx, label, launcher) for c in checks)
