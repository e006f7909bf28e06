"""The kinds' registry: every consumer looks a kind up there, and what no kind claims raises
`UnknownKind` instead of reaching a default (the old isinstance chains ended in one)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from installer.events.outcome import ErrorCategory, Status
from installer.kinds.actions.command import CommandAction
from installer.kinds.kind import UnknownKind
from installer.kinds.registry import ACTIONS, CHECKS, Registry
from installer.recipes.display import describe_action, describe_check
from installer.recipes.render import Renderer
from installer.recipes.serialize import serialize_action, serialize_check
from installer.runner.doctor import describe
from tests.helpers.recipes import mac
from tests.runner.conftest import plan, run, step


@dataclass(frozen=True)
class Stray:
    path: str


def test_kinds_are_listed_once_in_schema_order() -> None:
    assert ACTIONS.names == (
        "command",
        "shell",
        "download",
        "extract",
        "profile_block",
        "json_settings",
        "remove",
        "profile_block_remove",
    )
    assert CHECKS.names == ("command", "path_exists", "version_at_least", "json_settings")
    for registry in (ACTIONS, CHECKS):
        for kind in registry:
            assert registry.named(kind.name) is kind
            assert registry.of(kind.data_type.__new__(kind.data_type)) is kind


def test_a_kind_registered_twice_is_refused() -> None:
    command = ACTIONS.named("command")
    with pytest.raises(ValueError, match="'command' is registered twice"):
        Registry("action", [command, command])
    with pytest.raises(ValueError, match="'command' is registered twice"), ACTIONS.added(command):
        pass
    assert ACTIONS.names[0] == "command" and len(ACTIONS.names) == 8


def test_a_value_no_kind_claims_raises_everywhere() -> None:
    for call in (
        lambda: describe_action(Stray("/x")),
        lambda: describe_check(Stray("/x")),
        lambda: serialize_action(Stray("/x")),
        lambda: serialize_check(Stray("/x")),
        lambda: describe(Stray("/x"), "/home/s"),
        lambda: ACTIONS.named("copy"),
    ):
        with pytest.raises(UnknownKind):
            call()


def test_check_data_without_a_kind_key_raises_instead_of_meaning_version_at_least() -> None:
    renderer = Renderer(mac(), {})
    with pytest.raises(UnknownKind, match="no check kind among the keys minimum"):
        renderer.check({"minimum": "1.0"}, "x.yaml:1")
    with pytest.raises(UnknownKind, match="no action kind among the keys name"):
        renderer.action({"name": "x_y"}, "x.yaml:1")


def test_a_step_whose_action_no_kind_claims_fails_loudly(tmp_path: Path) -> None:
    facts = mac(home=str(tmp_path))
    the_plan = plan(
        step("x_stray", Stray(str(tmp_path / "x"))), step("x_ok", CommandAction(("true",)))
    )
    result = run(the_plan, facts, tmp_path)
    stray, ok = result.outcomes
    assert stray.status is Status.FAILED and stray.category is ErrorCategory.UNKNOWN
    assert stray.reason == "UnknownKind: no action kind for Stray"
    assert ok.status is Status.NOT_RUN  # the run stopped there: on_failure is abort


def test_planning_does_not_load_the_machinery_of_running() -> None:
    """The kinds import what they run with inside `execute`/`passes`: `plan`, `validate` and
    `schema` (the recipe schema, rendering, display, plan JSON) start without requests."""
    import subprocess
    import sys

    code = (
        "import sys, installer.recipes.commands, installer.recipes.schema, "
        "installer.recipes.plan, installer.recipes.display, installer.recipes.serialize; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('requests', 'urllib3')"
        " or m in ('installer.steps.download', 'installer.steps.process')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
