"""Check `json_settings:` done when a JSON-with-comments file has every key with that value
(what the `json_settings` action writes; `doctor` shows each)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import text
from installer.kinds.kind import Render
from installer.regular_file import read_regular
from installer.yaml_source.containers import AnyValue, DictOf, Field, Map

if TYPE_CHECKING:
    from installer.steps.context import RunContext


@dataclass(frozen=True)
class JsonSettingsCheck:
    """Done when the JSON (with comments) file at `path` has every key of `settings` with
    that value (what a `json_settings` action writes; `doctor` shows each)."""

    path: str
    settings: Mapping[str, Any]


# A settings file larger than this is not read by the check (it counts as lacking every key;
# the action then reads it, or refuses it, with its own message).
MAX_SETTINGS_BYTES = 16 * 1024 * 1024


def settings_missing(check: JsonSettingsCheck) -> list[str]:
    """The keys of the check whose value the file does not have (all of them when the file
    is missing, unreadable, too large or not a regular file). A FIFO at the path hung the run
    in its open, a link to /dev/zero read without end (issue 14 item 11): the file is read
    with `read_regular`, which refuses both unread."""
    from installer.steps import jsonc

    try:
        data = read_regular(Path(os.path.expanduser(check.path)), MAX_SETTINGS_BYTES)
        if len(data) > MAX_SETTINGS_BYTES:
            return list(check.settings)
        current = jsonc.parse(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, jsonc.JsoncError):
        return list(check.settings)
    return list(jsonc.differing(current, check.settings))


class JsonSettings:
    name = "json_settings"
    data_type = JsonSettingsCheck
    field = Field(
        Map(
            {
                "path": Field(text(), required=True),
                "settings": Field(DictOf(AnyValue(), key_pattern=r".+"), required=True),
            },
            name="{path, settings}",
        ),
        doc="passes when the JSON file (comments allowed) has every key of `settings` with "
        "that value; the same shape as the `json_settings` action, so one YAML anchor serves both",
    )

    def build(self, r: Render, data: Any, where: str) -> JsonSettingsCheck:
        return JsonSettingsCheck(r.path(data["path"], where), r.settings(data["settings"]))

    def describe(self, check: JsonSettingsCheck, launcher: tuple[str, ...]) -> str:
        shown = ", ".join(f"{k} = {json.dumps(v)}" for k, v in check.settings.items())
        return f"{check.path} has {shown}"

    def doctor_text(self, check: JsonSettingsCheck) -> str:
        return self.describe(check, ())

    def passes(
        self, check: JsonSettingsCheck, ctx: RunContext, label: str, launcher: Sequence[str]
    ) -> bool:
        missing = settings_missing(check)
        ctx.log.write(
            f"{label} check: {check.path} "
            + (f"lacks {', '.join(missing)}" if missing else "has every setting")
        )
        return not missing


KIND = JsonSettings()
