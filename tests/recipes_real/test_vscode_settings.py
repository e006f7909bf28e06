"""DTU's VS Code settings (issue 20 item 4) from the real vscode recipe, run through the
runner into a student's settings.json that has comments and keys of their own; `doctor`
shows each setting."""

from __future__ import annotations

import json
from pathlib import Path

from installer.events.outcome import Status
from installer.kinds.checks.json_settings import JsonSettingsCheck
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.runner.doctor import run_checks
from installer.runner.engine import run_plan
from installer.steps.context import RunOptions
from installer.steps.jsonc import parse
from installer.steps.runlog import RunLog
from tests.helpers.recipes import mac

ROOT = Path(__file__).resolve().parents[2]
# dtudk/pythonsupport-scripts (dev), Core/VsCode/config/default_settings_MacOS.json
DTU_DEFAULTS = {
    "chat.disableAIFeatures": True,
    "chat.agent.enabled": False,
    "telemetry.telemetryLevel": "off",
    "python.locator": "js",
}
STUDENT = """\
// Place your settings in this file to overwrite the default settings
{
    "editor.fontSize": 15, // bigger, for my eyes
    /* my choice */ "telemetry.telemetryLevel": "error",
    "[python]": {"editor.tabSize": 4,},
}
"""


def _run(home: Path, tmp_path: Path) -> Status:
    plan = build_plan(
        load_recipe_set([ROOT / "recipes"]), ["vscode"], mac("arm64", "15.1", str(home))
    )
    options = RunOptions(only=("vscode_settings_dtu",), log_path=tmp_path / "run.log")
    result = run_plan(plan, mac("arm64", "15.1", str(home)), options)
    (outcome,) = [o for o in result.outcomes if o.step == "vscode_settings_dtu"]
    return outcome.status


def test_student_settings_keep_their_comments_and_keys(isolated_home, tmp_path):
    path = isolated_home / "Library/Application Support/Code/User/settings.json"
    path.parent.mkdir(parents=True)
    path.write_text(STUDENT)
    assert _run(isolated_home, tmp_path) is Status.SUCCESS
    text = path.read_text()
    assert parse(text) == {
        "editor.fontSize": 15,
        "telemetry.telemetryLevel": "off",
        "[python]": {"editor.tabSize": 4},
        **DTU_DEFAULTS,
    }
    for line in ("// Place your settings", '"editor.fontSize": 15, // bigger, for my eyes'):
        assert line in text
    assert '/* my choice */ "telemetry.telemetryLevel": "off",' in text
    assert (path.parent / "settings.json.dtu-install.bak").read_text() == STUDENT
    assert _run(isolated_home, tmp_path) is Status.SKIPPED  # done: the check reads JSONC
    assert path.read_text() == text


def test_no_settings_file_yet(isolated_home, tmp_path):
    path = isolated_home / "Library/Application Support/Code/User/settings.json"
    assert _run(isolated_home, tmp_path) is Status.SUCCESS
    assert json.loads(path.read_text()) == DTU_DEFAULTS


def test_doctor_shows_each_setting(isolated_home, tmp_path):
    facts = mac("arm64", "15.1", str(isolated_home))
    plan = build_plan(load_recipe_set([ROOT / "recipes"]), ["vscode"], facts)
    (verify,) = [v for v in plan.verify if v.name == "vscode_settings"]
    assert isinstance(verify.check, JsonSettingsCheck)
    assert dict(verify.check.settings) == DTU_DEFAULTS
    log = RunLog(tmp_path / "doctor.log")
    (before,) = run_checks([verify], facts, log)
    assert not before.passed
    assert before.what == (
        "~/Library/Application Support/Code/User/settings.json has "
        "chat.disableAIFeatures = true, chat.agent.enabled = false, "
        'telemetry.telemetryLevel = "off", python.locator = "js"'
    )
    _run(isolated_home, tmp_path)
    (after,) = run_checks([verify], facts, log)
    assert after.passed
