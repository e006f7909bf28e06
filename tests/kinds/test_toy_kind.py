"""A new step kind is one object and one registration: a toy action kind and a toy check
kind, registered by the test and nowhere else, go through validation (the recipe schema),
`plan` (text and JSON), `run` and `doctor` like the built-in kinds."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from installer.events.outcome import Status
from installer.kinds.kind import Render
from installer.kinds.registry import ACTIONS, CHECKS
from installer.platform.facts import detect_facts
from installer.recipes import commands
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.recipes.schema import json_schema
from installer.runner.doctor import doctor
from installer.steps.context import RunContext
from installer.yaml_source.containers import Field, Map
from installer.yaml_source.scalars import Str
from tests.helpers.recipes import mac, problems_of, write_tree
from tests.runner.conftest import run

LINE_SPEC = Map(
    {"path": Field(Str(), required=True), "line": Field(Str(), required=True)},
    name="{path, line}",
)


@dataclass(frozen=True)
class AppendLineAction:
    path: str
    line: str


@dataclass(frozen=True)
class HasLineCheck:
    path: str
    line: str


class AppendLine:
    name = "append_line"
    data_type = AppendLineAction
    field = Field(LINE_SPEC, doc="append `line` to the file at `path`")

    def build(self, r: Render, data: Any, where: str) -> AppendLineAction:
        return AppendLineAction(r.path(data["path"], where), r.text(data["line"], where))

    def describe(self, action: AppendLineAction, launcher: tuple[str, ...]) -> str:
        return f"append {action.line!r} to {action.path}"

    def execute(
        self, action: AppendLineAction, step: Any, ctx: RunContext, counter: Any, prefetch: Any
    ) -> None:
        counter.attempts += 1
        with open(action.path, "a", encoding="utf-8") as f:
            f.write(action.line + "\n")

    def already_gone(self, action: AppendLineAction) -> bool | None:
        return None


class HasLine:
    name = "has_line"
    data_type = HasLineCheck
    field = Field(LINE_SPEC, doc="passes when the file at `path` has the line `line`")

    def build(self, r: Render, data: Any, where: str) -> HasLineCheck:
        return HasLineCheck(r.path(data["path"], where), r.text(data["line"], where))

    def describe(self, check: HasLineCheck, launcher: tuple[str, ...]) -> str:
        return f"{check.path} has the line {check.line!r}"

    def doctor_text(self, check: HasLineCheck) -> str:
        return self.describe(check, ())

    def passes(
        self, check: HasLineCheck, ctx: RunContext, label: str, launcher: Sequence[str]
    ) -> bool:
        try:
            return check.line in Path(check.path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return False


RECIPE = """\
recipe: toy
steps:
  - name: toy_greet
    description: Greet the world
    check: {has_line: {path: "{home}/greeting", line: "hello {arch}"}}
    append_line: {path: "{home}/greeting", line: "hello {arch}"}
verify:
  - name: toy_greeted
    description: The greeting is there
    check: {has_line: {path: "{home}/greeting", line: "hello {arch}"}}
"""


@pytest.fixture
def toy_kinds() -> Iterator[None]:
    # The one registration of each kind: nothing else in the code base names them.
    with ACTIONS.added(AppendLine()), CHECKS.added(HasLine()):
        yield


def test_a_toy_kind_goes_through_validate_plan_run_and_doctor(
    toy_kinds: None, tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "recipes", {"toy.yaml": RECIPE})
    # validate: the recipe schema knows the keys, and checks their values
    assert commands.validate([root]) == 0
    assert "1 recipe(s), 0 profile(s), 1 step(s)" in capsys.readouterr().out
    schema = json_schema("recipe")
    step_keys = schema["properties"]["steps"]["items"]["properties"]
    assert "append_line" in step_keys and "has_line" in step_keys["check"]["anyOf"][0]["properties"]
    bad = RECIPE.replace("append_line: {path", "append_line: {pth")
    assert problems_of(tmp_path / "bad", {"toy.yaml": bad}) == [
        "toy.yaml:6:18: steps[0].append_line: missing required key 'path'",
        "toy.yaml:6:19: steps[0].append_line.pth: unknown key (did you mean 'path'?)",
    ]

    # plan: text and JSON
    assert commands.plan(["toy"], arch="arm64", os_version="15.1", as_json=False, paths=[root]) == 0
    text = capsys.readouterr().out
    home = str(isolated_home)
    assert f"skip if: {home}/greeting has the line 'hello arm64'" in text
    assert f"do:      append 'hello arm64' to {home}/greeting" in text
    assert f"toy_greeted: {home}/greeting has the line 'hello arm64'" in text
    assert commands.plan(["toy"], arch="arm64", os_version="15.1", as_json=True, paths=[root]) == 0
    step = json.loads(capsys.readouterr().out)["steps"][0]
    assert step["action"] == {
        "kind": "append_line",
        "path": f"{home}/greeting",
        "line": "hello arm64",
    }
    assert step["checks"][0]["kind"] == "has_line"

    # run: the action runs once, then its check says it is done
    facts = mac("arm64", "15.1", home=home)
    the_plan = build_plan(load_recipe_set([root]), ["toy"], facts)
    first = run(the_plan, facts, tmp_path)
    second = run(the_plan, facts, tmp_path)
    assert [o.status for o in first.outcomes] == [Status.SUCCESS]
    assert [o.status for o in second.outcomes] == [Status.SKIPPED]
    assert (isolated_home / "greeting").read_text() == "hello arm64\n"

    # doctor (on this machine's facts): the toy check passes... then fails without the file
    greeting = f"hello {detect_facts().arch}"
    (isolated_home / "greeting").write_text(greeting + "\n")
    assert doctor(["toy"], recipe_paths=[root], as_json=True) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert [(c["name"], c["result"], c["what"]) for c in checks] == [
        ("toy_greeted", "PASS", f"~/greeting has the line {greeting!r}")
    ]
    (isolated_home / "greeting").unlink()
    assert doctor(["toy"], recipe_paths=[root], as_json=False) == 1
    assert "FAIL  toy_greeted" in capsys.readouterr().out


def test_without_its_registration_the_toy_kind_is_an_unknown_key(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, {"toy.yaml": RECIPE})
    assert any("append_line" in p for p in problems), problems
    assert "append_line" not in json.dumps(json_schema("recipe"))
