"""Rosetta 2 (SPEC 3, "Rosetta"): a translated process starts every step command, and every
command check, as `/usr/bin/arch -arm64 ...`, so installers that read `uname -m` (Homebrew's)
install the Apple-silicon build; `plan` shows it; Intel Macs and native arm64 are unchanged.

The facts come from a simulated Mac's answers (`sysctl -n sysctl.proc_translated`); the run
uses real subprocesses, with a recording stub standing in for macOS's `/usr/bin/arch`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from installer.events.outcome import Status
from installer.kinds.actions.command import CommandAction
from installer.kinds.actions.shell import ShellAction
from installer.platform import facts as facts_module
from installer.platform.facts import ROSETTA_LAUNCHER, Facts, detect_facts
from installer.recipes.display import plan_lines
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.recipes.serialize import serialize_plan
from tests.runner.conftest import run

REPO = Path(__file__).resolve().parents[2]

# (uname -m, sysctl.proc_translated, hw.optional.arm64); None: the sysctl fails (Intel).
MACS = {
    "translated": ("x86_64", "1", "1"),
    "native-arm64": ("arm64", "0", "1"),
    "intel": ("x86_64", None, None),
}


def mac_facts(kind: str, home: str = "/Users/student") -> Facts:
    machine, translated, hw_arm64 = MACS[kind]
    answers = {
        ("sw_vers", "-productVersion"): "15.1",
        ("sysctl", "-n", "sysctl.proc_translated"): translated,
        ("sysctl", "-n", "hw.optional.arm64"): hw_arm64,
        ("id", "-Gn"): "staff admin",
    }

    def ask(argv: Sequence[str]) -> str | None:
        return answers.get(tuple(argv))

    return detect_facts(
        run=ask,
        env={"HOME": home, "SHELL": "/bin/zsh"},
        system="Darwin",
        machine=machine,
        tty=False,
        euid=501,
    )


def test_translated_mac_plans_every_command_through_arch() -> None:
    facts = mac_facts("translated")
    assert (facts.arch, facts.translated) == ("arm64", True)
    plan = build_plan(load_recipe_set([REPO / "recipes"]), ["with-homebrew"], facts)
    commands = [s for s in plan.steps if isinstance(s.action, (CommandAction, ShellAction))]
    assert {s.name for s in commands} >= {"homebrew_install", "miniforge_install"}
    assert all(s.launcher == ("/usr/bin/arch", "-arm64") for s in plan.steps)
    text = "\n".join(plan_lines(plan))
    assert "runs under Rosetta 2" in text
    assert "do:      /usr/bin/arch -arm64 /bin/bash /Users/student/" in text  # Homebrew's
    assert "skip if: /usr/bin/arch -arm64 /usr/bin/xcode-select -p exits 0" in text
    as_json = serialize_plan(plan)
    assert {tuple(s["launcher"]) for s in as_json["steps"]} == {ROSETTA_LAUNCHER}


@pytest.mark.parametrize("kind", ["native-arm64", "intel"])
def test_native_macs_plan_commands_as_they_are(kind: str) -> None:
    facts = mac_facts(kind)
    assert not facts.translated
    plan = build_plan(load_recipe_set([REPO / "recipes"]), ["with-homebrew"], facts)
    assert all(s.launcher == () for s in plan.steps)
    text = "\n".join(plan_lines(plan))
    assert "arch -arm64" not in text and "Rosetta" not in text
    assert all(s["launcher"] == [] for s in serialize_plan(plan)["steps"])


RECIPE = """\
recipe: tool
description: A tool
steps:
  - name: tool_install
    check: {command: [test, -e, "{home}/installed"]}
    command: [touch, "{home}/installed"]
  - name: tool_setup
    shell: echo "$0" > "{home}/shell-ran"
  - name: tool_admin
    sudo: the test says so
    command: [touch, "{home}/admin-ran"]
"""


def _stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)


@pytest.fixture
def fake_arch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`arch -arm64 PROG ARGS...` runs PROG with ARGS (macOS's arch(1)); each call is logged.
    A `sudo` stub first on PATH logs its arguments and runs the rest."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    log = tmp_path / "calls.log"
    _stub(
        stubs / "arch",
        f"""\
        echo "arch $*" >> '{log}'
        [ "$1" = -arm64 ] || exit 64
        shift
        exec "$@"
        """,
    )
    _stub(
        stubs / "sudo",
        f"""\
        echo "sudo $*" >> '{log}'
        [ "$1" = -n ] && shift
        exec "$@"
        """,
    )
    monkeypatch.setenv("PATH", f"{stubs}:/usr/bin:/bin")
    monkeypatch.setattr(facts_module, "ROSETTA_LAUNCHER", (str(stubs / "arch"), "-arm64"))
    return log


@pytest.mark.parametrize("kind", ["translated", "native-arm64", "intel"])
def test_a_run_starts_commands_and_checks_through_arch_only_when_translated(
    kind: str, fake_arch: Path, isolated_home: Path, tmp_path: Path
) -> None:
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "tool.yaml").write_text(RECIPE)
    facts = mac_facts(kind, home=str(isolated_home))
    plan = build_plan(load_recipe_set([recipes]), ["tool"], facts)

    result = run(plan, facts, tmp_path)
    assert [o.status for o in result.outcomes] == [Status.SUCCESS] * 3, result.outcomes
    assert (isolated_home / "installed").exists()
    assert (isolated_home / "shell-ran").read_text().strip() == "/bin/bash"
    assert (isolated_home / "admin-ran").exists()
    calls = fake_arch.read_text().splitlines() if fake_arch.exists() else []
    home = isolated_home
    if kind == "translated":
        assert calls == [
            f"arch -arm64 test -e {home}/installed",  # the check, before the action
            f"arch -arm64 touch {home}/installed",
            f'arch -arm64 /bin/bash -c echo "$0" > "{home}/shell-ran"',
            # sudo runs the launcher, so what runs as root is the native process
            f"sudo -n {tmp_path}/stubs/arch -arm64 touch {home}/admin-ran",
            f"arch -arm64 touch {home}/admin-ran",
        ]
    else:
        assert calls == [f"sudo -n touch {home}/admin-ran"]

    # The second run: the check passes (through arch when translated) and skips the step.
    again = run(plan, facts, tmp_path)
    assert again.outcomes[0].status is Status.SKIPPED
