"""The schema declared once: JSON Schema export (editors) and the doc's key tables."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from installer.recipes.schema import SCHEMAS, json_schema
from installer.recipes.schema_doc import render_doc, tables
from tests.helpers.recipes import FIXTURES, REPO


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_exported_schema_is_valid_json_schema(kind: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema(kind))


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_committed_schema_files_are_current(kind: str) -> None:
    committed = json.loads((REPO / "docs" / "schema" / f"{kind}.json").read_text())
    assert committed == json_schema(kind), (
        f"regenerate: .venv/bin/python -m installer schema --kind {kind} > docs/schema/{kind}.json"
    )


def _kind(path: Path) -> str:
    if path.name in ("settings.yaml", "courses.yaml"):
        return path.stem
    return "profile" if path.parent.name == "profiles" else "recipe"


VALID_FILES = sorted((FIXTURES / "basic").rglob("*.yaml")) + sorted(
    (REPO / "recipes").rglob("*.yaml")
)


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_editors_accept_valid_recipes(path: Path) -> None:
    validator = jsonschema.Draft202012Validator(json_schema(_kind(path)))
    errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize(
    "document",
    [
        {"recipe": "x", "steps": [{"name": "x_y"}]},  # no action
        {"recipe": "x", "steps": [{"name": "x_y", "command": ["a"], "shell": "b"}]},  # two
        {"recipe": "x", "steps": [{"name": "x_y", "comand": ["a"]}]},  # unknown key
        {"recipe": "x", "steps": [{"name": "X", "command": ["a"]}]},  # bad name
        {"recipe": "x", "steps": [{"name": "x_y", "download": {"url": "u", "dest": "d"}}]},
        {"recipe": "x", "steps": [{"name": "x_y", "command": ["a"], "on_failure": "maybe"}]},
        {
            "recipe": "x",
            "steps": [
                {
                    "name": "x_y",
                    "download": {
                        "url": "u",
                        "dest": "d",
                        "unverified_reason": "r",
                        "sha256_json_key": "k",
                    },
                }
            ],
        },
        {"recipe": "x"},  # no steps
    ],
)
def test_editors_flag_invalid_recipes(document: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(json_schema("recipe"))
    assert list(validator.iter_errors(document))


def test_doc_tables_are_generated_from_the_schema() -> None:
    doc = (REPO / "docs" / "recipes.md").read_text(encoding="utf-8")
    assert render_doc(doc) == doc, (
        "regenerate: .venv/bin/python -m installer.recipes.schema_doc docs/recipes.md"
    )
    for name in tables():
        assert f"<!-- generated:{name} -->" in doc


def test_action_and_check_kinds_come_from_the_registry() -> None:
    from installer.kinds.registry import ACTIONS, CHECKS

    actions, checks = ACTIONS.names, CHECKS.names

    step = json_schema("recipe")["properties"]["steps"]["items"]
    assert {k for k in step["properties"] if k in actions} == set(actions)
    one_of = step["allOf"][0]["oneOf"]
    assert [r["required"][0] for r in one_of] == list(actions)
    check = step["properties"]["check"]["anyOf"][0]
    assert set(check["properties"]) == set(checks)
