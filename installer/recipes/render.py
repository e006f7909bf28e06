"""Render validated recipe values for one Mac: pick per-arch values, fill in placeholders,
expand `~`, and build the frozen model objects (model.py) the runner executes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from installer.errors import UsageError
from installer.mirrors import NO_MIRRORS, Mirrors
from installer.platform.facts import Facts, step_launcher
from installer.recipes import model
from installer.recipes.placeholders import (
    VERSION_PLACEHOLDER,
    Value,
    fact_values,
    substitute,
    whole_placeholder,
)
from installer.recipes.recipe_set import StepDef, VerifyDef
from installer.recipes.schema import DEFAULT_SHELL, parse_timeout


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
        return self.expand_home(self.text(value, where))

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
        if "command" in data:
            return model.CommandCheck(self.argv(data["command"], where))
        if "path_exists" in data:
            return model.PathExistsCheck(self.path(data["path_exists"], where))
        if "json_settings" in data:
            spec = data["json_settings"]
            return model.JsonSettingsCheck(
                self.path(spec["path"], where), self.settings(spec["settings"])
            )
        spec = data["version_at_least"]
        extra = {"pattern": spec["pattern"]} if "pattern" in spec else {}
        return model.VersionCheck(self.argv(spec["command"], where), spec["minimum"], **extra)

    def checks(self, data: Any, where: str) -> tuple[model.Check, ...]:
        if data is None:
            return ()
        items = data if isinstance(data, list) else [data]
        return tuple(self.check(item, where) for item in items)

    def action(self, kind: str, data: Any, where: str) -> model.Action:
        return _ACTION_BUILDERS[kind](self, data, where)

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
            action=self.action(step.action_kind, data[step.action_kind], where),
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


def _command(r: Renderer, data: Any, where: str) -> model.Action:
    if isinstance(data, list):
        return model.CommandAction(r.argv(data, where))
    env = {k: r.text(v, where) for k, v in data.get("env", {}).items()}
    cwd = r.path(data["cwd"], where) if "cwd" in data else None
    return model.CommandAction(r.argv(data["argv"], where), env=env, cwd=cwd)


def _shell(r: Renderer, data: Any, where: str) -> model.Action:
    if isinstance(data, str):
        return model.ShellAction(r.text(data, where), shell=DEFAULT_SHELL)
    return model.ShellAction(r.text(data["script"], where), shell=r.text(data["shell"], where))


def _download(r: Renderer, data: Any, where: str) -> model.Action:
    sha256 = data.get("sha256")
    version = data.get("version")
    # `{version}` exists only inside a download that pins one (SPEC 3, "Upstream versions").
    pinned = r if version is None else r.with_values({VERSION_PLACEHOLDER: version})
    sha256_url = r.text(data["sha256_url"], where) if "sha256_url" in data else None
    return model.DownloadAction(
        url=r.mirrors.rewrite(pinned.text(data["url"], where)),
        dest=pinned.path(data["dest"], where),
        sha256=None if sha256 is None else r.pick(sha256, where),
        version=version,
        sha256_url=None if sha256_url is None else r.mirrors.rewrite(sha256_url),
        sha256_json_key=data.get("sha256_json_key"),
        unverified_reason=data.get("unverified_reason"),
        min_size=data.get("min_size"),
        max_size=data.get("max_size"),
        mode=int(data["mode"], 8) if "mode" in data else None,
    )


def _extract(r: Renderer, data: Any, where: str) -> model.Action:
    return model.ExtractAction(r.path(data["archive"], where), r.path(data["dest"], where))


def _profile_block(r: Renderer, data: Any, where: str) -> model.Action:
    return model.ProfileBlockAction(
        files=tuple(r.path(f, where) for f in data["files"]),
        marker=data["marker"],
        content=r.text(data["content"], where),
    )


def _json_settings(r: Renderer, data: Any, where: str) -> model.Action:
    return model.JsonSettingsAction(r.path(data["path"], where), r.settings(data["settings"]))


def _remove(r: Renderer, data: Any, where: str) -> model.Action:
    return model.RemoveAction(r.path(data, where))


def _profile_block_remove(r: Renderer, data: Any, where: str) -> model.Action:
    return model.ProfileBlockRemoveAction(
        files=tuple(r.path(f, where) for f in data["files"]), marker=data["marker"]
    )


_ACTION_BUILDERS: Mapping[str, Callable[[Renderer, Any, str], model.Action]] = {
    "command": _command,
    "shell": _shell,
    "download": _download,
    "extract": _extract,
    "profile_block": _profile_block,
    "json_settings": _json_settings,
    "remove": _remove,
    "profile_block_remove": _profile_block_remove,
}
assert set(_ACTION_BUILDERS) == set(model.ACTION_KINDS)
