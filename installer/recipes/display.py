"""Plain-text descriptions of plans, actions and checks (for `plan`, and `run --dry-run`);
each action and check is described by its kind (installer/kinds/)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from installer.kinds.registry import ACTIONS, CHECKS
from installer.recipes.macos_minimum import refusal
from installer.steps import model


def machine_word(os_name: str) -> str:
    """`Mac` for a plan made for macOS (`--arch`/`--os-version` included), else `machine`:
    `make run` and maintainers plan on Linux too."""
    return "Mac" if os_name == "Darwin" else "machine"


def describe_check(check: model.Check, launcher: tuple[str, ...] = ()) -> str:
    """`launcher`: what a step's command checks are started through (Rosetta), shown as run."""
    return CHECKS.of(check).describe(check, launcher)


def describe_action(action: model.Action, launcher: tuple[str, ...] = ()) -> str:
    return ACTIONS.of(action).describe(action, launcher)


def plan_lines(plan: model.Plan) -> Iterator[str]:
    where = " ".join(plan.platform.get(k, "?") for k in ("os_name", "os_version", "arch"))
    yield f"Plan for {', '.join(plan.targets)} on {where}: {len(plan.steps)} step(s)"
    if plan.too_old:
        yield (
            f"Refused on this Mac: {refusal(plan.too_old, plan.platform.get('os_version', '?'))}"
        )
        yield "`dtu-install run` stops there (exit 1), before downloading anything."
    launchers = {s.launcher for s in plan.steps if s.launcher}
    for launcher in sorted(launchers):
        yield (
            "This process runs under Rosetta 2: step commands start as native arm64 processes"
            f" ({shlex.join(launcher)} ...)"
        )
    for prefix, replacement in plan.mirrors.rules:
        yield f"Mirror: {prefix} is fetched from {replacement}"
    width = max((len(s.name) for s in plan.steps), default=0)
    for number, step in enumerate(plan.steps, 1):
        yield ""
        title = f"{number:>3}. {step.name:<{width}}  [{step.recipe}]"
        yield f"{title}  {step.description}".rstrip()
        for check in step.checks:
            yield f"       skip if: {describe_check(check, step.launcher)}"
        yield f"       do:      {describe_action(step.action, step.launcher)}"
        extras = []
        if step.requires:
            extras.append(f"after {', '.join(step.requires)}")
        if step.retries.attempts > 1:
            extras.append(f"{step.retries.attempts} attempts")
        if step.timeout is not None:
            extras.append(f"timeout {step.timeout:g}s")
        if step.on_failure == "continue":
            extras.append("continues on failure")
        if extras:
            yield f"       ({'; '.join(extras)})"
        if step.sudo:
            yield f"       needs admin rights: {step.sudo}"
    if plan.excluded:
        yield ""
        yield f"Left out on this {machine_word(plan.platform['os_name'])}:"
        for excluded in plan.excluded:
            yield f"  - {excluded.name} [{excluded.recipe}]: {excluded.reason}"
    if plan.verify:
        yield ""
        yield "Checked by `dtu-install doctor`:"
        for verify in plan.verify:
            yield f"  - {verify.name}: {describe_check(verify.check)}"
