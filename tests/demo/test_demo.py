"""`make run` (python -m demo.harness), for real: a local HTTPS server, the real runner
in subprocesses, the real collector and its SQLite store, a sandbox HOME and prefix. Run
twice: the second run skips every step."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo.harness import Sandbox, build_artefact, sandbox_env, telemetry_allowed

ROOT = Path(__file__).resolve().parents[2]
DEMO_STEPS = [
    "demo_download",
    "demo_extract",
    "demo_setup",
    "demo_shell_path",
    "demo_settings_write",
]


def _demo(sandbox: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "demo.harness", "--dir", str(sandbox), "--json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def _statuses(summary: dict[str, Any]) -> dict[str, str]:
    return {s["step"]: s["status"] for s in summary["result"]["steps"]}


@pytest.mark.slow
def test_demo_installs_for_real_then_skips_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_NO_TELEMETRY")  # the demo's events go to its collector
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    sandbox = tmp_path / ".demo"

    first = _demo(sandbox)
    assert _statuses(first) == dict.fromkeys(DEMO_STEPS, "success")
    assert first["doctor"]["ok"] is True
    assert {c["result"] for c in first["doctor"]["checks"]} == {"PASS"}

    # What it installed, where it said it would.
    home, prefix = Path(first["home"]), Path(first["prefix"])
    assert home == sandbox.resolve() / "home" and prefix == sandbox.resolve() / "prefix"
    tool = prefix / "dtu-demo-tool-1.0" / "bin" / "dtu-demo"
    ran = subprocess.run([str(tool)], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "Hello from dtu-demo 1.0"
    assert (home / ".dtu-demo" / "initialised").exists()
    for profile in (".bash_profile", ".zprofile"):
        text = (home / profile).read_text()
        assert text.count("# >>> dtu-install demo >>>") == 1
        assert f'export PATH="{tool.parent}:$PATH"' in text
    settings = json.loads((home / ".config" / "dtu-demo" / "settings.json").read_text())
    assert settings == {
        "dtu_demo.greeting": "Hello from dtu-install",
        "dtu_demo.prefix": str(prefix),
    }
    # Nothing outside the sandbox: the test's own HOME is untouched.
    assert list(Path(os.environ["HOME"]).iterdir()) == []

    second = _demo(sandbox)
    assert _statuses(second) == dict.fromkeys(DEMO_STEPS, "skipped")
    assert second["result"]["counts"]["skipped"] == len(DEMO_STEPS)
    for profile in (".bash_profile", ".zprofile"):
        assert (home / profile).read_text().count("# >>> dtu-install demo >>>") == 1

    # One telemetry event per step per run, in the collector's store, tagged as a test.
    assert second["events_stored"] == 2 * len(DEMO_STEPS)
    with sqlite3.connect(second["events_db"]) as db:
        rows = db.execute("SELECT category, action, name, success FROM events").fetchall()
    assert {r[0] for r in rows} == {"Installer_TEST"}
    assert sorted(r[2] for r in rows if r[1] == "Skipped") == sorted(DEMO_STEPS)
    assert all(r[3] == 1 for r in rows)


def test_recipe_pins_the_artefact_the_demo_serves() -> None:
    recipe = yaml.safe_load((ROOT / "recipes" / "demo-tool.yaml").read_text())
    download = next(s for s in recipe["steps"] if s["name"] == "demo_download")["download"]
    assert download["sha256"] == hashlib.sha256(build_artefact()).hexdigest()
    assert build_artefact() == build_artefact()  # reproducible, or the pin breaks


def test_sandbox_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/elsewhere")
    box = Sandbox(tmp_path)
    env = sandbox_env(box, box.ca, "http://127.0.0.1:1/ppms.php")
    assert env["HOME"] == str(box.home)
    assert env["REQUESTS_CA_BUNDLE"] == str(box.ca)
    assert "XDG_CONFIG_HOME" not in env
    assert env["DTU_INSTALL_TELEMETRY_POLICY"] == "on"
    assert not telemetry_allowed({"DO_NOT_TRACK": "1"})
    assert not telemetry_allowed({"DTU_INSTALL_NO_TELEMETRY": "1"})
    assert telemetry_allowed({})
