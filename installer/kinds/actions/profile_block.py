"""`profile_block:` add or update one marked block in shell profile files, idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import path_text
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field, Map, Seq
from installer.yaml_source.scalars import Str

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted

MARKER = Str(pattern=r"[a-z0-9][a-z0-9_.-]*", pattern_help="a lower-case marker")


@dataclass(frozen=True)
class ProfileBlockAction:
    """Add (or update) one marked block in shell profile files, idempotently; the file is
    backed up before its first edit."""

    files: tuple[str, ...]
    marker: str  # `# >>> dtu-install {marker} >>>` ... `# <<< dtu-install {marker} <<<`
    content: str


class ProfileBlock:
    name = "profile_block"
    data_type = ProfileBlockAction
    field = Field(
        Map(
            {
                "files": Field(Seq(path_text(), min_items=1), required=True),
                "marker": Field(MARKER, required=True),
                "content": Field(Str(), required=True),
            },
            name="{files, marker, content}",
        ),
        doc="add or update one marked block (`# >>> dtu-install MARKER >>>` ... "
        "`# <<< dtu-install MARKER <<<`) in each file, once; the file is backed up first. "
        "Markers that are not one begin ... end pair (one deleted, two blocks) fail the step "
        "with `FILE:LINE` and leave every file unchanged",
    )

    def build(self, r: Render, data: Any, where: str) -> ProfileBlockAction:
        return ProfileBlockAction(
            files=tuple(r.path(f, where) for f in data["files"]),
            marker=data["marker"],
            content=r.text(data["content"], where),
        )

    def describe(self, action: ProfileBlockAction, launcher: tuple[str, ...]) -> str:
        return f"add block {action.marker!r} to {', '.join(action.files)}"

    def execute(
        self,
        action: ProfileBlockAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps import files

        counter.attempts += 1
        changed = files.apply_profile_block(action.files, action.marker, action.content)
        ctx.log.write(
            f"{step.name}: profile block '{action.marker}' "
            + (f"written to {', '.join(changed)}" if changed else "already present")
        )

    def already_gone(self, action: ProfileBlockAction) -> bool | None:
        return None


KIND = ProfileBlock()
