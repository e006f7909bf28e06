"""The pinned downloads of a recipe set: a download step with `version`, `sha256` and a
`livecheck` block, rendered per architecture for any version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from installer.platform.facts import ARCHITECTURES
from installer.recipes.placeholders import VERSION_PLACEHOLDER
from installer.recipes.recipe_set import RecipeSet, StepDef
from installer.recipes.render import Renderer
from installer.recipes.validate import validation_facts

ANY_ARCH = "any"  # a file that is the same for every architecture (Homebrew's install.sh)


@dataclass(frozen=True)
class Pin:
    component: str  # the recipe's name
    step: str
    file: str  # the recipe file (display path)
    index: int  # the step's position in the recipe's `steps`
    version: str
    url: Any  # the template as written: a string or a mapping by arch
    sha256: Any  # a string or a mapping by arch
    livecheck: Mapping[str, Any]
    variables: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return next(iter(self.livecheck))

    @property
    def spec(self) -> Mapping[str, Any]:
        spec: Mapping[str, Any] = self.livecheck[self.kind]
        return spec

    @property
    def per_arch(self) -> bool:
        return isinstance(self.sha256, dict)

    @property
    def targets(self) -> tuple[str, ...]:
        """The architectures with their own file and sha256 (or ANY_ARCH)."""
        return ARCHITECTURES if self.per_arch else (ANY_ARCH,)

    def pinned_sha256(self, target: str) -> str:
        value = self.sha256[target] if self.per_arch else self.sha256
        return str(value).lower()

    def renderer(self, target: str) -> Renderer:
        arch = ARCHITECTURES[0] if target == ANY_ARCH else target
        return Renderer(validation_facts(arch), self.variables)

    def url_for(self, target: str, version: str) -> str:
        """The publisher's URL of `version` for `target` (before the mirrors)."""
        renderer = self.renderer(target).with_values({VERSION_PLACEHOLDER: version})
        return renderer.text(self.url, f"{self.file}: {self.step}")

    def value(self, target: str, value: Any) -> str:
        """A per-arch value of the livecheck block (e.g. VS Code's platform) for `target`."""
        return self.renderer(target).text(value, f"{self.file}: {self.step} livecheck")


def _pin(step: StepDef, variables: Mapping[str, Any]) -> Pin | None:
    download = step.data.get("download")
    if not isinstance(download, dict) or "livecheck" not in download:
        return None  # validation makes livecheck imply version, and version imply sha256
    return Pin(
        component=step.recipe,
        step=step.name,
        file=step.file,
        index=step.index,
        version=download["version"],
        url=download["url"],
        sha256=download["sha256"],
        livecheck=download["livecheck"],
        variables=variables,
    )


def find_pins(recipe_set: RecipeSet, only: tuple[str, ...] = ()) -> list[Pin]:
    """Every livechecked pin, in recipe order; `only`: these components (recipe names)."""
    pins = []
    for recipe in recipe_set.recipes.values():
        if only and recipe.name not in only:
            continue
        for step in recipe.steps:
            pin = _pin(step, recipe_set.variables)
            if pin is not None:
                pins.append(pin)
    return pins
