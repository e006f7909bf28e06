"""Check `path_exists:` done when the path exists (`~` and placeholders already expanded)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import path_text
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field

if TYPE_CHECKING:
    from installer.steps.context import RunContext


@dataclass(frozen=True)
class PathExistsCheck:
    """Done when the path exists (`~` and placeholders already expanded)."""

    path: str


class PathExists:
    name = "path_exists"
    data_type = PathExistsCheck
    field = Field(path_text(), doc="passes when the path exists (`~` is expanded)")

    def build(self, r: Render, data: Any, where: str) -> PathExistsCheck:
        return PathExistsCheck(r.path(data, where))

    def describe(self, check: PathExistsCheck, launcher: tuple[str, ...]) -> str:
        return f"{check.path} exists"

    def doctor_text(self, check: PathExistsCheck) -> str:
        return f"{check.path} exists"

    def passes(
        self, check: PathExistsCheck, ctx: RunContext, label: str, launcher: Sequence[str]
    ) -> bool:
        found = os.path.exists(os.path.expanduser(check.path))
        ctx.log.write(f"{label} check: {check.path} {'exists' if found else 'does not exist'}")
        return found


KIND = PathExists()
