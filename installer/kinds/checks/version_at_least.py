"""Check `version_at_least:` done when the command reports a version at least `minimum`."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import ARGV, regex_problem, version_problem
from installer.kinds.kind import Render
from installer.yaml_source.containers import Field, Map
from installer.yaml_source.scalars import Str

if TYPE_CHECKING:
    from installer.steps.context import RunContext


@dataclass(frozen=True)
class VersionCheck:
    """Done when the first version found in the command's output is at least `minimum`
    (compared with `packaging.version`)."""

    argv: tuple[str, ...]
    minimum: str
    pattern: str = r"(\d+(?:\.\d+)+)"


class VersionAtLeast:
    name = "version_at_least"
    data_type = VersionCheck
    field = Field(
        Map(
            {
                "command": Field(ARGV, required=True),
                "minimum": Field(Str(validator=version_problem), required=True),
                "pattern": Field(
                    Str(validator=regex_problem),
                    doc=r"regex whose group 1 is the version (default `(\d+(?:\.\d+)+)`)",
                ),
            },
            name="{command, minimum, pattern}",
        ),
        doc="passes when the first version in the command's output is at least `minimum` "
        "(PEP 440 comparison)",
    )

    def build(self, r: Render, data: Any, where: str) -> VersionCheck:
        extra = {"pattern": data["pattern"]} if "pattern" in data else {}
        return VersionCheck(r.argv(data["command"], where), data["minimum"], **extra)

    def describe(self, check: VersionCheck, launcher: tuple[str, ...]) -> str:
        return f"{shlex.join([*launcher, *check.argv])} reports version >= {check.minimum}"

    def doctor_text(self, check: VersionCheck) -> str:
        return f"`{shlex.join(check.argv)}` reports at least {check.minimum}"

    def passes(
        self, check: VersionCheck, ctx: RunContext, label: str, launcher: Sequence[str]
    ) -> bool:
        from packaging.version import InvalidVersion, Version

        from installer.steps.step_process import run_check_argv

        result = run_check_argv(check.argv, ctx, label, launcher)
        if result is None or result.returncode != 0:
            return False
        match = re.search(check.pattern, result.tail)
        if not match:
            ctx.log.write(f"{label} check: no version in the output")
            return False
        try:
            found = Version(match.group(1) if match.groups() else match.group(0))
            ok = found >= Version(check.minimum)
        except InvalidVersion:
            return False
        ctx.log.write(f"{label} check: version {found} (need >= {check.minimum})")
        return ok


KIND = VersionAtLeast()
