"""`extract:` unpack a zip or tar archive into a directory (e.g. VS Code into /Applications)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import path_text
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field, Map

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted

# Archive suffix -> how to unpack it. System tools keep symlinks and permissions intact (an
# .app bundle is full of both), which Python's zipfile does not.
# Chosen by the facts' OS (`uname -s`), not sys.platform: the Mac sandbox runs on Linux.
ZIP_TOOL: Mapping[str, tuple[str, ...]] = {
    "Darwin": ("/usr/bin/ditto", "-x", "-k", "{archive}", "{dest}"),
}
ZIP_FALLBACK: tuple[str, ...] = (sys.executable, "-m", "zipfile", "-e", "{archive}", "{dest}")
TAR_TOOL: tuple[str, ...] = ("tar", "-xf", "{archive}", "-C", "{dest}")


@dataclass(frozen=True)
class ExtractAction:
    """Unpack a zip or tar archive into a directory (e.g. VS Code into /Applications)."""

    archive: str
    dest: str


class Extract:
    name = "extract"
    data_type = ExtractAction
    field = Field(
        Map(
            {
                "archive": Field(path_text(), required=True),
                "dest": Field(path_text(), required=True),
            },
            name="{archive, dest}",
        ),
        doc="unpack a zip or tar archive into a directory",
    )

    def build(self, r: Render, data: Any, where: str) -> ExtractAction:
        return ExtractAction(r.path(data["archive"], where), r.path(data["dest"], where))

    def describe(self, action: ExtractAction, launcher: tuple[str, ...]) -> str:
        return f"extract {action.archive} into {action.dest}"

    def execute(
        self,
        action: ExtractAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.events.outcome import ErrorCategory
        from installer.steps import staging, tar_failure
        from installer.steps.failure import StepError, from_os_error
        from installer.steps.step_process import run_argv

        archive, dest = os.path.expanduser(action.archive), os.path.expanduser(action.dest)
        if not os.path.exists(archive):
            raise StepError(ErrorCategory.MISSING_DEPENDENCY, f"archive {archive} does not exist")
        try:
            os.makedirs(dest, exist_ok=True)
            for leftover in staging.remove_leftovers(dest):
                ctx.log.write(
                    f"{step.name}: removed {leftover}, left by an unpack that was stopped"
                )
            into = staging.new_staging(dest)
        except OSError as exc:
            raise StepError(
                ErrorCategory.PERMISSION, f"cannot create {dest}: {exc.strerror}"
            ) from exc
        explain = None
        if archive.endswith(".zip"):
            template = ZIP_TOOL.get(ctx.facts.os_name, ZIP_FALLBACK)
        else:
            template, explain = TAR_TOOL, tar_failure.explain
        # Unpacked beside its place, then renamed into it: a stopped unpack leaves no
        # half-unpacked app that would pass the step's check (installer/steps/staging.py).
        argv = [part.format(archive=archive, dest=into) for part in template]
        try:
            run_argv(argv, step, ctx, counter, explain=explain)
            moved = staging.move_into_place(into, dest)
        except OSError as exc:
            raise from_os_error(exc, f"cannot move the unpacked files into {dest}") from exc
        finally:
            shutil.rmtree(into, ignore_errors=True)  # failed, interrupted: nothing half-done
        ctx.log.write(f"{step.name}: unpacked {', '.join(moved) or 'nothing'} into {dest}")

    def already_gone(self, action: ExtractAction) -> bool | None:
        return None


KIND = Extract()
