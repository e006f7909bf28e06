"""Render validated recipe values for one Mac: pick per-arch values, fill in placeholders,
expand `~`, and build the frozen model objects (model.py) the runner executes. Each action
and check is built by its kind (installer/kinds/registry.py), with this renderer's values."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from installer.errors import UsageError
from installer.kinds.registry import ACTIONS, CHECKS
from installer.mirrors import NO_MIRRORS, Mirrors
from installer.platform.facts import Facts, step_launcher
from installer.recipes.placeholders import Value, fact_values, substitute, whole_placeholder
from installer.recipes.recipe_set import StepDef, VerifyDef
from installer.recipes.schema import parse_timeout
from installer.steps import model


class Renderer:
    def __init__(
        self, facts: Facts, variables: Mapping[str, Any], mirrors: Mirrors = NO_MIRRORS
    ) -> None:
        self.facts = facts
        self.mirrors = mirrors  # download URLs are planned as fetched (SPEC 3, "Mirrors")
        self.values: dict[str, Value] = dict(fact_values(facts))
        for name, raw in variables.items():
            value = self.pick(raw, f"variable {name}")
            if isinstance(value, str):
                self.values[name] = substitute(value, self.values)
            else:
                self.values[name] = [substitute(v, self.values) for v in value]

    def with_values(self, extra: Mapping[str, Value]) -> Renderer:
        """A renderer that also knows `extra` (a download's `{version}`)."""
        other = copy.copy(self)
        other.values = {**self.values, **extra}
        return other

    # ------------------------------------------------------------ values
    def pick(self, value: Any, where: str) -> Any:
        """The value for this Mac's architecture, when `value` is a mapping by arch."""
        if not isinstance(value, dict):
            return value
        if self.facts.arch not in value:
            raise UsageError(f"{where}: no value for architecture {self.facts.arch!r}")
        return value[self.facts.arch]

    def text(self, value: Any, where: str) -> str:
        return substitute(self.pick(value, where), self.values)

    def path(self, value: Any, where: str) -> str:
        """An absolute path. The schema asks a path to start with /, ~ or a placeholder, but
        `{arch}/x`, `{os_version}/x`, a variable holding a relative path or `~name/x` (no
        such user) rendered relative, and the step wrote under whatever directory
        `dtu-install` was started in (issue 14 item 15): refused here, before anything runs."""
        rendered = self.expand_home(self.text(value, where))
        if not rendered.startswith("/"):
            raise UsageError(
                f"{where}: the path {self.pick(value, where)!r} is {rendered!r} on this Mac, "
                "not an absolute path; start it with /, ~/ or {home}"
            )
        return rendered

    def expand_home(self, text: str) -> str:
        if text == "~" or text.startswith("~/"):
            return self.facts.home + text[1:]
        return text

    def argv(self, items: Sequence[Any], where: str) -> tuple[str, ...]:
        out: list[str] = []
        for item in items:
            raw = self.pick(item, where)
            name = whole_placeholder(raw)
            value = self.values.get(name) if name else None
            if value is not None and not isinstance(value, str):
                out += list(value)  # "{conda_packages}" -> one argument per package
            else:
                out.append(self.expand_home(substitute(raw, self.values)))
        return tuple(out)

    def settings(self, value: Any) -> Any:
        if isinstance(value, str):
            return substitute(value, self.values)
        if isinstance(value, dict):
            return {k: self.settings(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.settings(v) for v in value]
        return value

    # ------------------------------------------------------------ checks and actions
    def check(self, data: Mapping[str, Any], where: str) -> model.Check:
        name = CHECKS.key_in(data)
        return CHECKS.named(name).build(self, data[name], where)

    def checks(self, data: Any, where: str) -> tuple[model.Check, ...]:
        if data is None:
            return ()
        items = data if isinstance(data, list) else [data]
        return tuple(self.check(item, where) for item in items)

    def action(self, data: Mapping[str, Any], where: str) -> model.Action:
        """The action of checked step data (the schema allows exactly one kind key)."""
        name = ACTIONS.key_in(data)
        return ACTIONS.named(name).build(self, data[name], where)

    def step(self, step: StepDef, requires: tuple[str, ...]) -> model.PlannedStep:
        data = step.data
        where = step.source
        retries = data.get("retries", 1)
        policy = (
            model.RetryPolicy(attempts=retries)
            if isinstance(retries, int)
            else model.RetryPolicy(
                attempts=retries["attempts"],
                backoff=float(retries["backoff"]),
                max_backoff=float(retries["max_backoff"]),
            )
        )
        timeout = data.get("timeout")
        sudo = data.get("sudo")
        if isinstance(sudo, str):  # `sudo: <reason>` is short for `{reason: <reason>}`
            sudo = {"reason": sudo, "prime": False}
        return model.PlannedStep(
            name=step.name,
            recipe=step.recipe,
            description=self.text(data.get("description", ""), where),
            action=self.action(data, where),
            checks=self.checks(data.get("check"), where),
            retries=policy,
            timeout=None if timeout is None else parse_timeout(timeout),
            requires=requires,
            sudo=self.text(sudo["reason"], where) if sudo else None,
            on_failure=data.get("on_failure", "abort"),
            source=where,
            sudo_prime=bool(sudo and sudo["prime"]),
            launcher=step_launcher(self.facts),
        )

    def verify(self, verify: VerifyDef) -> model.VerifyCheck:
        where = f"{verify.file}:{verify.line}"
        return model.VerifyCheck(
            name=verify.name,
            recipe=verify.recipe,
            description=self.text(verify.description, where),
            check=self.check(verify.check, where),
        )
