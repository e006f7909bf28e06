"""`json_settings:` set keys in a JSON-with-comments settings file (VS Code's settings.json)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from installer.kinds.fields import path_text
from installer.kinds.kind import Render
from installer.yaml_source.containers import AnyValue, DictOf, Field, Map

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted


@dataclass(frozen=True)
class JsonSettingsAction:
    """Merge keys into a JSON settings file (e.g. VS Code's settings.json)."""

    path: str
    settings: Mapping[str, Any]


class JsonSettings:
    name = "json_settings"
    data_type = JsonSettingsAction
    field = Field(
        Map(
            {
                "path": Field(path_text(), required=True),
                "settings": Field(DictOf(AnyValue(), key_pattern=r".+"), required=True),
            },
            name="{path, settings}",
        ),
        doc="set the keys of `settings` in a JSON file (e.g. VS Code's `settings.json`): "
        "comments, trailing commas, the other keys and their order stay as they were; backed "
        "up before the first change; a file that cannot be read as JSON with comments fails "
        "the step, unchanged",
    )

    def build(self, r: Render, data: Any, where: str) -> JsonSettingsAction:
        return JsonSettingsAction(r.path(data["path"], where), r.settings(data["settings"]))

    def describe(self, action: JsonSettingsAction, launcher: tuple[str, ...]) -> str:
        return f"merge {len(action.settings)} setting(s) into {action.path}"

    def execute(
        self,
        action: JsonSettingsAction,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        from installer.steps import files

        counter.attempts += 1
        changed = files.apply_json_settings(action.path, action.settings)
        ctx.log.write(
            f"{step.name}: {action.path} " + ("updated" if changed else "already up to date")
        )

    def already_gone(self, action: JsonSettingsAction) -> bool | None:
        return None


KIND = JsonSettings()
