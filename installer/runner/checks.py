"""Running checks: "is this step already done?", one check kind at a time (installer/kinds/).

A check never fails a step: anything that goes wrong while checking (a missing command, a
timeout) simply means "not done yet", and the step's action runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from installer.kinds.registry import CHECKS
from installer.steps.context import RunContext
from installer.steps.model import Check


def check_passes(check: Check, ctx: RunContext, label: str, launcher: Sequence[str] = ()) -> bool:
    """`launcher` is put before a command check's argv (SPEC 3, "Rosetta")."""
    return CHECKS.of(check).passes(check, ctx, label, launcher)


def all_pass(
    checks: tuple[Check, ...], ctx: RunContext, label: str, launcher: Sequence[str] = ()
) -> bool:
    """True when the step has checks and every one passes (then it is skipped). A step's
    checks are started through its launcher, like its commands (SPEC 3, "Rosetta")."""
    return bool(checks) and all(check_passes(c, ctx, label, launcher) for c in checks)
