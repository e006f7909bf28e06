"""`dtu-install telemetry status|on|off|show`, run as the user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer import paths
from installer.events.outcome import ErrorCategory, Status, StepOutcome
from installer.telemetry import open_sink
from installer.telemetry.spool import SPOOL_NAME
from tests.helpers.hit_recorder import HitRecorder
from tests.telemetry.conftest import FACTS

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "installer", "telemetry", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or dict(os.environ),
        timeout=60,
        check=False,
    )


def test_on_off_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DTU_INSTALL_NO_TELEMETRY")
    first = cli("status")
    assert first.returncode == 0
    assert "not asked yet" in first.stdout
    on = cli("on")
    assert on.returncode == 0 and "Telemetry is on" in on.stdout
    assert json.loads((paths.config_dir() / "telemetry.json").read_text())["enabled"] is True
    assert "on: your choice" in cli("status").stdout
    off = cli("off")
    assert off.returncode == 0 and "Telemetry is off" in off.stdout
    assert "off: your choice" in cli("status").stdout


def test_on_says_when_the_environment_still_blocks() -> None:
    result = cli("on")  # DTU_INSTALL_NO_TELEMETRY=1 from the test suite's fixture
    assert result.returncode == 0
    assert "DTU_INSTALL_NO_TELEMETRY" in result.stderr


def test_off_deletes_waiting_reports(telemetry_on: HitRecorder) -> None:
    telemetry_on.mode = "status:500"
    sink = open_sink(FACTS, interactive=False, test_mode=False)
    sink.record(StepOutcome("vscode_install", "vscode", Status.SUCCESS, 0.5))
    sink.close()
    assert (paths.data_dir() / SPOOL_NAME).exists()
    assert "1 hits waiting" in cli("status").stdout
    result = cli("off")
    assert "1 unsent reports were deleted" in result.stdout
    assert not (paths.data_dir() / SPOOL_NAME).exists()


def test_show_prints_exactly_the_last_runs_hits(telemetry_on: HitRecorder) -> None:
    sink = open_sink(FACTS, interactive=False, test_mode=False)
    sink.record(StepOutcome("vscode_install", "vscode", Status.SUCCESS, 0.5))
    sink.record(
        StepOutcome("conda_init", "miniforge", Status.FAILED, 1.0, category=ErrorCategory.DISK)
    )
    sink.close()
    telemetry_on.wait_for_hits(2)
    sent_bodies = [json.loads(r["body"])["requests"] for r in telemetry_on.requests]
    sent = [hit for body in sent_bodies for hit in body]
    result = cli("show")
    assert result.returncode == 0
    assert result.stdout.splitlines() == sent
    as_json = json.loads(cli("show", "--json").stdout)
    assert [r["hit"] for r in as_json["hits"]] == sent
    assert {r["status"] for r in as_json["hits"]} == {"delivered"}
    assert as_json["hits"][1]["params"]["e_n"] == "conda_init_disk_error"


def test_show_planned_prints_one_hit_per_planned_step(tmp_path: Path) -> None:
    root = tmp_path / "recipes"
    (root / "profiles").mkdir(parents=True)
    (root / "demo.yaml").write_text(
        "recipe: demo\ndescription: d\nsteps:\n"
        + "".join(
            f"  - name: demo_step_{i}\n    description: s\n"
            f'    check: {{path_exists: "{{home}}/x"}}\n    command: ["true"]\n'
            for i in range(3)
        )
    )
    (root / "profiles" / "p.yaml").write_text("profile: p\ndescription: t\nrecipes: [demo]\n")
    result = cli("show", "--planned", "--recipes", str(root), "p", "--test")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split("&e_n=")[1].split("&")[0] for line in lines] == [
        "demo_step_0",
        "demo_step_1",
        "demo_step_2",
    ]
    assert all(line.startswith("?idsite=") and "e_c=Installer_TEST" in line for line in lines)
    assert "NOT sent" in result.stderr  # the suite's DTU_INSTALL_NO_TELEMETRY=1


def test_on_with_an_unwritable_config_dir_is_a_clear_error(tmp_path: Path) -> None:
    from tests.telemetry.conftest import read_only_dir

    env = {**os.environ, "HOME": str(read_only_dir(tmp_path))}
    result = cli("on", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("error: could not save the telemetry choice:")
    assert "Traceback" not in result.stderr
