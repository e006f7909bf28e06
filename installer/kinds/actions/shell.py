"""`shell:` run a script through a shell; only when the recipe writes `shell:` explicitly."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import DEFAULT_SHELL, nul_problem
from installer.kinds.kind import Render
from installer.yaml_source.choice import Either
from installer.yaml_source.containers import Field, Map
from installer.yaml_source.scalars import Str

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted


@dataclass(frozen=True)
class ShellAction:
    """Run a script through a shell; only when the recipe writes `shell:` explicitly."""

    script: str
    shell: str = DEFAULT_SHELL


class Shell:
    name = "shell"
    data_type = ShellAction
    field = Field(
        Either(
            [
                Str(name="a script", validator=nul_problem),
                Map(
                    {
                        "script": Field(Str(validator=nul_problem), required=True),
                        "shell": Field(Str(), default=DEFAULT_SHELL),
                    },
                    name="{script, shell}",
                ),
            ]
        ),
        doc="run a script with `/bin/bash` (or `shell`); only when a shell is really needed",
    )

    def build(self, r: Render, data: Any, where: str) -> ShellAction:
        if isinstance(data, str):
            return ShellAction(r.text(data, where), shell=DEFAULT_SHELL)
        return ShellAction(r.text(data["script"], where), shell=r.text(data["shell"], where))

    def describe(self, action: ShellAction, launcher: tuple[str, ...]) -> str:
        lines = action.script.strip().splitlines()
        first = lines[0] if lines else ""
        more = " ..." if len(lines) > 1 else ""
        return f"{shlex.join([*launcher, action.shell])} -c {shlex.quote(first + more)}"

    def execute(
        self,
        action: ShellAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps.step_process import run_argv

        # The recipe asked for a shell explicitly (`shell:`); the script goes as one argument.
        run_argv([action.shell, "-c", action.script], step, ctx, counter, launcher=step.launcher)

    def already_gone(self, action: ShellAction) -> bool | None:
        return None


KIND = Shell()
