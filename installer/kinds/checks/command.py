"""Check `command:` done when the command exits 0 (argv list, no shell)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import ARGV
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field

if TYPE_CHECKING:
    from installer.steps.context import RunContext


@dataclass(frozen=True)
class CommandCheck:
    """Done when the command exits 0 (argv list, no shell)."""

    argv: tuple[str, ...]


class Command:
    name = "command"
    data_type = CommandCheck
    field = Field(ARGV, doc="passes when the command exits 0")

    def build(self, r: Render, data: Any, where: str) -> CommandCheck:
        return CommandCheck(r.argv(data, where))

    def describe(self, check: CommandCheck, launcher: tuple[str, ...]) -> str:
        return f"{shlex.join([*launcher, *check.argv])} exits 0"

    def doctor_text(self, check: CommandCheck) -> str:
        return f"`{shlex.join(check.argv)}` succeeds"

    def passes(
        self, check: CommandCheck, ctx: RunContext, label: str, launcher: Sequence[str]
    ) -> bool:
        from installer.steps.step_process import run_check_argv

        result = run_check_argv(check.argv, ctx, label, launcher)
        return result is not None and result.returncode == 0


KIND = Command()
