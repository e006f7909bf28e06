""".github/workflows/analytics.yml: the "Choose the task" step, run for real with bash and GNU
date. A scheduled report's T is its latest scheduled moment, so that a late start or a re-run
of the job asks for the same report and `report --send` sends it once (SPEC 6)."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "analytics.yml"


def _steps() -> dict[str, dict[str, Any]]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return {s.get("name", s.get("uses")): s for s in data["jobs"]["analytics"]["steps"]}


def _choose(tmp_path: Path, schedule: str, now: str, task: str = "") -> dict[str, str]:
    output = tmp_path / "output"
    output.write_text("")
    epoch = int(datetime.fromisoformat(now).replace(tzinfo=timezone.utc).timestamp())
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_OUTPUT": str(output),
        "SCHEDULE": schedule,
        "INPUT_TASK": task,
        "NOW_EPOCH": str(epoch),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", _steps()["Choose the task"]["run"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


@pytest.mark.parametrize(
    ("schedule", "now", "task", "at"),
    [
        # on time, late, and re-run two days later: the same Monday 07:00
        ("0 7 * * 1", "2026-11-30T07:00:00", "weekly", "2026-11-30T07:00:00Z"),
        ("0 7 * * 1", "2026-11-30T07:41:09", "weekly", "2026-11-30T07:00:00Z"),
        ("0 7 * * 1", "2026-12-02T15:00:00", "weekly", "2026-11-30T07:00:00Z"),
        ("0 7 * * 1", "2026-12-07T06:59:59", "weekly", "2026-11-30T07:00:00Z"),
        ("0 7 * * 1", "2026-12-06T23:00:00", "weekly", "2026-11-30T07:00:00Z"),
        ("30 6 * * *", "2026-12-05T06:30:00", "component-health", "2026-12-05T06:30:00Z"),
        ("30 6 * * *", "2026-12-05T09:10:00", "component-health", "2026-12-05T06:30:00Z"),
        ("30 6 * * *", "2026-12-05T06:29:00", "component-health", "2026-12-04T06:30:00Z"),
        ("0 8 1 * *", "2026-12-01T08:03:00", "compatibility", "2026-12-01T08:00:00Z"),
        ("0 8 1 * *", "2026-12-19T12:00:00", "compatibility", "2026-12-01T08:00:00Z"),
        ("0 8 1 * *", "2027-01-01T07:59:00", "compatibility", "2026-12-01T08:00:00Z"),
        ("0 8 1 * *", "2026-03-01T07:00:00", "compatibility", "2026-02-01T08:00:00Z"),
    ],
)
def test_a_scheduled_report_is_asked_for_its_scheduled_moment(
    tmp_path: Path, schedule: str, now: str, task: str, at: str
) -> None:
    assert _choose(tmp_path, schedule, now) == {"task": task, "at": at}


def test_alerts_and_manual_runs_use_now(tmp_path: Path) -> None:
    assert _choose(tmp_path, "*/15 * * * *", "2026-12-05T10:15:00") == {"task": "alerts"}
    manual = _choose(tmp_path, "", "2026-12-05T10:15:00", task="weekly")
    assert manual == {"task": "weekly"}


def test_the_report_step_passes_t_on(tmp_path: Path) -> None:
    """The step's script with a stand-in dtu-install that prints its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "dtu-install"
    tool.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    tool.chmod(0o755)
    script = _steps()["Send the report"]["run"]

    def args(at: str) -> list[str]:
        env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "TASK": "weekly", "AT": at}
        done = subprocess.run(
            ["bash", "-e", "-c", script], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.splitlines()

    assert args("2026-11-30T07:00:00Z")[:5] == [
        "analytics", "report", "weekly", "--at", "2026-11-30T07:00:00Z",
    ]  # fmt: skip
    assert "--at" not in args("")
