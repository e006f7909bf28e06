"""`profile_block_remove:` remove the block `profile_block` added, and no other line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.actions.profile_block import MARKER
from installer.kinds.fields import text
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field, Map, Seq

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted


@dataclass(frozen=True)
class ProfileBlockRemoveAction:
    """Remove the marked block `marker` from each file, and nothing else (`uninstall`)."""

    files: tuple[str, ...]
    marker: str


class ProfileBlockRemove:
    name = "profile_block_remove"
    data_type = ProfileBlockRemoveAction
    field = Field(
        Map(
            {
                "files": Field(Seq(text(), min_items=1), required=True),
                "marker": Field(MARKER, required=True),
            },
            name="{files, marker}",
        ),
        doc="remove the block `profile_block` added with this marker from each file, and no "
        "other line (for `uninstall` steps); backed up first",
    )

    def build(self, r: Render, data: Any, where: str) -> ProfileBlockRemoveAction:
        return ProfileBlockRemoveAction(
            files=tuple(r.path(f, where) for f in data["files"]), marker=data["marker"]
        )

    def describe(self, action: ProfileBlockRemoveAction, launcher: tuple[str, ...]) -> str:
        return f"remove block {action.marker!r} from {', '.join(action.files)}"

    def execute(
        self,
        action: ProfileBlockRemoveAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps import removal

        counter.attempts += 1
        changed = removal.remove_profile_block(action.files, action.marker)
        ctx.log.write(
            f"{step.name}: profile block '{action.marker}' "
            + (f"removed from {', '.join(changed)}" if changed else "was in no file")
        )

    def already_gone(self, action: ProfileBlockRemoveAction) -> bool | None:
        from installer.steps import removal

        return not any(removal.has_block(f, action.marker) for f in action.files)


KIND = ProfileBlockRemove()
