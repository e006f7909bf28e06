""".github/workflows/upstream.yml: its "Check the pins" step, run for real with bash and jq on
`dtu-install upstream check` against the local publishers (tests/upstream/publishers.py): a
broken pin fails the run naming component, arch and URL; newer versions lead to the bump."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.upstream.conftest import REPO, World

WORKFLOW = REPO / ".github" / "workflows" / "upstream.yml"


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def steps() -> dict[str, dict[str, Any]]:
    return {s.get("name", s.get("uses")): s for s in workflow()["jobs"]["upstream"]["steps"]}


def run_check_step(tmp_path: Path, world: World) -> tuple[int, str, dict[str, str], str]:
    """The step's script in a checkout-like directory whose `.venv/bin/dtu-install` is this
    dtu-install, pointed at the recipes copy (the environment carries the mirrors and CA)."""
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    tool = checkout / ".venv" / "bin" / "dtu-install"
    tool.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m installer "$@" --recipes "{world.recipes}"\n'
    )
    tool.chmod(0o755)
    output, summary = tmp_path / "output", tmp_path / "summary"
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PYTHONPATH": str(REPO),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", steps()["Check the pins"]["run"]],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = (
        dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        if output.exists()
        else {}
    )
    return (
        done.returncode,
        done.stdout + done.stderr,
        outputs,
        summary.read_text() if summary.exists() else "",
    )


def test_schedule_dispatch_and_the_steps_that_bump_test_and_open_a_pull_request() -> None:
    data = workflow()
    triggers = data[True] if True in data else data["on"]  # YAML 1.1 reads `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    job = data["jobs"]["upstream"]
    assert job["runs-on"] == "ubuntu-24.04"
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    s = steps()
    assert "upstream bump --write" in s["Bump the pins"]["run"]
    assert s["make test"]["run"] == "make test"
    pull = s["Pull request"]
    assert pull["uses"].startswith("peter-evans/create-pull-request@")
    assert "recipes/*.yaml" in pull["with"]["add-paths"]
    assert "GITHUB_TOKEN" not in job.get("env", {})  # only the steps that ask GitHub get it
    assert "GITHUB_TOKEN" not in s["make test"].get("env", {})


def test_a_broken_pin_fails_the_run_naming_it(tmp_path: Path, world: World) -> None:
    checksum = world.pub.miniforge_url(world.miniforge, "arm64", ".sha256")
    world.pub.remove(checksum)
    code, log, _, summary = run_check_step(tmp_path, world)
    assert code == 1, log
    assert f"::error::miniforge arm64: checksum file: HTTP 404 ({checksum})" in log
    assert "| miniforge | arm64 | broken |" in summary


def test_newer_versions_pass_the_check_and_lead_to_the_bump(tmp_path: Path, world: World) -> None:
    world.pub.publish_miniforge("99.1.0-0")
    code, log, outputs, summary = run_check_step(tmp_path, world)
    assert code == 0, log
    assert outputs["newer"] == "2"  # both architectures: the bump step runs
    assert "| miniforge | x86_64 | newer |" in summary


def test_up_to_date_skips_the_bump(tmp_path: Path, world: World) -> None:
    code, log, outputs, _ = run_check_step(tmp_path, world)
    assert code == 0, log
    assert outputs["newer"] == "0"


def test_unreachable_publishers_fail_the_run(
    tmp_path: Path,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DTU_INSTALL_MIRRORS", "https://github.com/=https://127.0.0.1:9/")
    code, log, _, _ = run_check_step(tmp_path, world)
    assert code == 1
    assert "::error::upstream check could not ask the publishers" in log
