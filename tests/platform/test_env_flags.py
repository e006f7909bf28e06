"""One meaning of "set" for CI, opt-out and NONINTERACTIVE variables, used by the platform
facts, the runner, the root check and telemetry alike."""

from __future__ import annotations

import pytest

from installer.platform.env_flags import flag_on, is_ci, says_noninteractive
from installer.platform.facts import detect_facts
from installer.runner.safety import root_is_normal
from installer.telemetry.config import environment_of, opted_out


@pytest.mark.parametrize(
    ("value", "on"),
    [("1", True), ("true", True), ("TRUE", True), (" yes ", True), ("on", True),
     ("", False), ("0", False), ("false", False), ("no", False), ("off", False),
     ("y", False), ("2", False)],
)  # fmt: skip
def test_a_flag_is_on_only_for_plain_yes_values(value: str, on: bool) -> None:
    assert flag_on({"DO_NOT_TRACK": value}, "DO_NOT_TRACK") is on
    assert (opted_out({"DO_NOT_TRACK": value}) == "DO_NOT_TRACK") is on


@pytest.mark.parametrize("value", ["yes", "on", "1", "true"])
def test_every_part_agrees_on_ci(value: str) -> None:
    # Before: CI=yes made telemetry send Installer_CI while the facts said "not CI".
    env = {"CI": value}
    facts = detect_facts(env=env, tty=True)
    assert is_ci(env) and facts.ci is True and facts.interactive is False
    assert environment_of(env, test_mode=False, ci=facts.ci).value == "ci"
    assert root_is_normal(env)


@pytest.mark.parametrize(
    ("value", "noninteractive"),
    [("1", True), ("y", True), ("anything", True), ("0", False), ("false", False),
     ("no", False), ("", False)],
)  # fmt: skip
def test_noninteractive_is_set_unless_it_plainly_says_no(value: str, noninteractive: bool) -> None:
    # Before: NONINTERACTIVE=0 made the facts non-interactive and the runner interactive.
    env = {"NONINTERACTIVE": value}
    assert says_noninteractive(env) is noninteractive
    assert detect_facts(env=env, tty=True).interactive is not noninteractive
