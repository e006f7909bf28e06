"""A `Plan` as plain JSON values: what `plan --json` prints and the golden files pin."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from installer.kinds.registry import ACTIONS, CHECKS
from installer.recipes.macos_minimum import refusal
from installer.steps.model import Action, Check, Plan, PlannedStep, VerifyCheck

PLAN_FORMAT = 1  # bump when the JSON shape changes incompatibly


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _kinded(kind: str, obj: Any) -> dict[str, Any]:
    fields = {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return {"kind": kind, **fields}


def serialize_action(action: Action) -> dict[str, Any]:
    return _kinded(ACTIONS.of(action).name, action)


def serialize_check(check: Check) -> dict[str, Any]:
    return _kinded(CHECKS.of(check).name, check)


def serialize_step(step: PlannedStep) -> dict[str, Any]:
    return {
        "name": step.name,
        "recipe": step.recipe,
        "description": step.description,
        "action": serialize_action(step.action),
        "checks": [serialize_check(c) for c in step.checks],
        "retries": dataclasses.asdict(step.retries),
        "timeout": step.timeout,
        "requires": list(step.requires),
        # As written in the recipe: the reason, or {reason, prime} for a step that primes.
        "sudo": {"reason": step.sudo, "prime": True} if step.sudo_prime else step.sudo,
        "on_failure": step.on_failure,
        "source": step.source,
        # What the step's commands and command checks are started through: empty, or
        # ["/usr/bin/arch", "-arm64"] when this process runs under Rosetta 2.
        "launcher": list(step.launcher),
    }


def serialize_verify(verify: VerifyCheck) -> dict[str, Any]:
    return {
        "name": verify.name,
        "recipe": verify.recipe,
        "description": verify.description,
        "check": serialize_check(verify.check),
    }


def serialize_plan(plan: Plan) -> dict[str, Any]:
    return {
        "format": PLAN_FORMAT,
        "targets": list(plan.targets),
        "platform": dict(plan.platform),
        "variables": dict(plan.variables),
        "mirrors": plan.mirrors.as_dict(),
        "steps": [serialize_step(s) for s in plan.steps],
        "excluded": [dataclasses.asdict(e) for e in plan.excluded],
        "verify": [serialize_verify(v) for v in plan.verify],
        # Components this Mac's macOS is too old for (`minimum_macos`), and the sentence
        # `run` refuses with before downloading anything (null: nothing refused).
        "too_old": [dataclasses.asdict(t) for t in plan.too_old],
        "refusal": refusal(plan.too_old, plan.platform.get("os_version", "?"))
        if plan.too_old
        else None,
    }
