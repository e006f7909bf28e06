"""`remove:` remove a file, directory or app (`uninstall` steps)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import text
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted


@dataclass(frozen=True)
class RemoveAction:
    """Remove a file, directory or app (`uninstall` steps): renamed aside first, so a
    half-removed directory never stays under its name; `/` and the home are refused."""

    path: str


class Remove:
    name = "remove"
    data_type = RemoveAction
    field = Field(
        text(),
        doc="remove this file, directory or app (for `uninstall` steps); `/` and the home "
        "directory are refused; nothing there is nothing to do",
    )

    def build(self, r: Render, data: Any, where: str) -> RemoveAction:
        return RemoveAction(r.path(data, where))

    def describe(self, action: RemoveAction, launcher: tuple[str, ...]) -> str:
        return f"remove {action.path}"

    def execute(
        self,
        action: RemoveAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps import removal

        counter.attempts += 1
        removed = removal.remove_path(action.path, ctx.facts.home)
        ctx.log.write(f"{step.name}: {action.path} " + ("removed" if removed else "was not there"))

    def already_gone(self, action: RemoveAction) -> bool | None:
        return not os.path.lexists(os.path.expanduser(action.path))


KIND = Remove()
