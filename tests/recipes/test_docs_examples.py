"""The examples in docs/recipes.md are valid recipes (the recipe authors copy them)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from tests.helpers.recipes import REPO, mac

FENCE = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def test_doc_examples_validate_and_plan(tmp_path: Path) -> None:
    doc = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(b) for b in FENCE.findall(doc)]
    documents = [b for b in blocks if isinstance(b, dict)]
    (tmp_path / "profiles").mkdir()
    named = set()
    settings: dict[str, object] = {}  # the settings examples (variables, mirrors) together
    for text, data in zip(FENCE.findall(doc), blocks):
        if not isinstance(data, dict):
            continue
        if "variables" in data or "mirrors" in data:
            settings.update(data)
            (tmp_path / "settings.yaml").write_text(yaml.safe_dump(settings))
        elif "profile" in data:
            (tmp_path / "profiles" / f"{data['profile']}.yaml").write_text(text)
        elif "recipe" in data:
            (tmp_path / f"{data['recipe']}.yaml").write_text(text)
            named.add(data["recipe"])
    assert {"miniforge", "rosetta-demo"} <= named, "the doc's examples moved; update this test"
    # Recipes the examples refer to but do not show: stand-ins, so the set is complete.
    referenced = {r for d in documents for r in d.get("recipes", []) + d.get("requires", [])}
    for name in sorted(referenced - named):
        step = name.replace("-", "_") + "_install"
        (tmp_path / f"{name}.yaml").write_text(
            f"recipe: {name}\nsteps:\n  - name: {step}\n    command: [echo]\n"
        )
    recipe_set = load_recipe_set([tmp_path])
    for arch in ("arm64", "x86_64"):
        plan = build_plan(recipe_set, ["miniforge", "rosetta-demo"], mac(arch, "14.5"))
        assert "miniforge_download" in [s.name for s in plan.steps]
