"""`command:` run a program directly (argv list, never through a shell)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import ARGV, path_text, text
from installer.kinds.kind import Render
from installer.yaml_source.choice import Either
from installer.yaml_source.containers import DictOf, Field, Map

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted


@dataclass(frozen=True)
class CommandAction:
    """Run a program: argv list, never through a shell."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None


class Command:
    name = "command"
    data_type = CommandAction
    field = Field(
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
    )

    def build(self, r: Render, data: Any, where: str) -> CommandAction:
        if isinstance(data, list):
            return CommandAction(r.argv(data, where))
        env = {k: r.text(v, where) for k, v in data.get("env", {}).items()}
        cwd = r.path(data["cwd"], where) if "cwd" in data else None
        return CommandAction(r.argv(data["argv"], where), env=env, cwd=cwd)

    def describe(self, action: CommandAction, launcher: tuple[str, ...]) -> str:
        shown = shlex.join([*launcher, *action.argv])
        return shown + (f"  (in {action.cwd})" if action.cwd else "")

    def execute(
        self,
        action: CommandAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps.step_process import run_argv

        argv: Sequence[str] = action.argv
        if ctx.bundle_argv is not None:  # conda and VS Code extensions from the bundle, offline
            argv = ctx.bundle_argv(argv, step)
            if list(argv) != list(action.argv):
                ctx.log.write(f"{step.name}: from the bundle: {' '.join(argv)}")
        cwd = os.path.expanduser(action.cwd) if action.cwd else None
        run_argv(argv, step, ctx, counter, env=action.env, cwd=cwd, launcher=step.launcher)

    def already_gone(self, action: CommandAction) -> bool | None:
        return None


KIND = Command()
