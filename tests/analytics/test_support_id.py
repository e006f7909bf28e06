"""Support by run (SPEC 6): a failing `dtu-install run` shows its support id, and
`dtu-install analytics run ID` finds that run, with every step, in the collector's store.
Real subprocesses: the installer, the collector, the analytics command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers.collector import start_collector
from tests.telemetry.test_run_e2e import ROOT, recipes, run_env

RECIPE = """recipe: sup
description: support id test steps
steps:
  - name: sup_first
    description: works
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'exit 0']
  - name: sup_done
    description: already done
    check: {path_exists: "{home}"}
    command: [sh, -c, 'exit 0']
  - name: sup_broken
    description: fails
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'exit 3']
    on_failure: continue
  - name: sup_last
    description: works after the failure
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'exit 0']
"""
SUPPORT_LINE = re.compile(r"^Support id: ([0-9a-f]{8}) \(give it when you ask for help\)$", re.M)


def dtu(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=90,
        check=False,
    )


def test_a_failing_runs_support_id_finds_every_step(tmp_path: Path) -> None:
    home = tmp_path / "student"
    home.mkdir()
    collector = start_collector(tmp_path / "events.db")
    try:
        env = run_env(home, collector.tracking_url, DTU_INSTALL_TELEMETRY_POLICY="on")
        recipe_dir = str(recipes(tmp_path, "sup", RECIPE))
        out = dtu("run", "--recipes", recipe_dir, "p", "--yes", env=env)
        assert out.returncode == 1, out.stderr
        found = SUPPORT_LINE.search(out.stdout)
        assert found, out.stdout
        support_id = found.group(1)
        # The id sits with the help link, under the failure.
        assert out.stdout.index("sup_broken failed") < found.start()
        assert found.start() < out.stdout.index("Help: ")

        as_json = dtu("run", "--recipes", recipe_dir, "p", "--yes", "--json", env=env)
        result = json.loads(as_json.stdout)
        assert result["support_id"] == result["run_id"][:8] and len(result["run_id"]) == 32
        assert result["support_id"] != support_id  # a new run, a new id
    finally:
        collector.stop()

    db = str(tmp_path / "events.db")
    shown = dtu("analytics", "run", support_id, "--db", db, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    timeline = json.loads(shown.stdout)
    assert timeline["support_id"] == support_id
    steps = {e["name"]: e["outcome"] for e in timeline["events"]}
    assert steps == {
        "sup_first": "ok",
        "sup_done": "skipped",
        "sup_broken_unknown_error": "failed",
        "sup_last": "ok",
    }
    assert all(e["os"] and e["arch"] and e["duration"] is not None for e in timeline["events"])
    text = dtu("analytics", "run", support_id, "--db", db, env=env)
    assert text.returncode == 0 and f"(support id {support_id})" in text.stdout
    assert "4 events, 1 failed, 1 skipped" in text.stdout


def test_without_telemetry_there_is_no_support_id(tmp_path: Path) -> None:
    home = tmp_path / "student"
    home.mkdir()
    env = run_env(home, "http://127.0.0.1:9/", DTU_INSTALL_NO_TELEMETRY="1")
    recipe_dir = str(recipes(tmp_path, "sup", RECIPE))
    out = dtu("run", "--recipes", recipe_dir, "p", "--yes", "--json", env=env)
    assert out.returncode == 1
    result = json.loads(out.stdout)
    assert result["support_id"] is None and result["run_id"] is None
    assert "Support id" not in out.stderr  # nothing was sent: support could not find it
    assert "Help: " in out.stderr
