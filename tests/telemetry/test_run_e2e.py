"""Telemetry through real `dtu-install run` subprocesses: hits per outcome and environment,
privacy, opt-out, and network faults that leave the install's exit code and output alone."""

from __future__ import annotations

import getpass
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from installer.build_info import commit_sha
from installer.platform.facts import detect_facts
from installer.telemetry.spool import SPOOL_NAME
from tests.helpers.hit_recorder import DNS_FAILURE_URL, HitRecorder, refused_url

ROOT = Path(__file__).resolve().parents[2]
RECIPE = """recipe: tele
description: telemetry test steps
steps:
  - name: tele_ok
    description: prints something private
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'echo PRIVATE-OUT-1 "$0"; echo PRIVATE-ERR-1 >&2', "{home}"]
  - name: tele_skip
    description: already done
    check: {path_exists: "{home}"}
    command: [sh, -c, 'exit 0']
  - name: tele_fail
    description: fails
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'echo PRIVATE-OUT-2; exit 3']
    on_failure: continue
  - name: tele_missing
    description: a tool that does not exist
    check: {path_exists: "{home}/never-there"}
    command: [no-such-tool-dtu, --version]
    on_failure: continue
"""
WAIT_RECIPE = """recipe: wait
description: a step that waits for Ctrl-C
steps:
  - name: wait_first
    description: done quickly
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'exit 0']
  - name: wait_long
    description: waits
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'touch "$0/started"; sleep 30', "{home}"]
  - name: wait_after
    description: never reached
    check: {path_exists: "{home}/never-there"}
    command: [sh, -c, 'exit 0']
"""
PRIVATE_OUTPUT = ("PRIVATE-OUT-1", "PRIVATE-ERR-1", "PRIVATE-OUT-2", "no-such-tool-dtu")
VOLATILE = [
    (re.compile(r"run-\d{8}T\d{6}\.\d+Z"), "run-TIME"),
    # Shown only when events are sent (a run without telemetry has none), new every run.
    (re.compile(r"^Support id: [0-9a-f]{8} \(give it when you ask for help\)\n", re.M), ""),
    (re.compile(r"\d+\.\d+ s\b"), "N s"),
]


def recipes(tmp_path: Path, name: str = "tele", text: str = RECIPE) -> Path:
    root = tmp_path / "recipes"
    (root / "profiles").mkdir(parents=True)
    (root / f"{name}.yaml").write_text(text)
    (root / "profiles" / "p.yaml").write_text(f"profile: p\ndescription: t\nrecipes: [{name}]\n")
    return root


def run_env(home: Path, url: str, **extra: str) -> dict[str, str]:
    """The environment of a student's run: our HOME, telemetry to `url`, nothing inherited
    that decides telemetry (the suite's own opt-out, CI variables)."""
    drop = {"DTU_INSTALL_NO_TELEMETRY", "DO_NOT_TRACK", "CI", "GITHUB_ACTIONS", "GITHUB_CI"}
    drop |= {"TESTING_MODE", "DTU_INSTALL_TELEMETRY_POLICY"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("XDG_")}
    env.update(
        HOME=str(home),
        DTU_INSTALL_ALLOW_ROOT="1",  # the test container runs as root
        DTU_INSTALL_TELEMETRY_URL=url,
        DTU_INSTALL_SITE_ID="e2e-site",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def dtu_run(
    recipe_dir: Path, env: Mapping[str, str]
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "installer", "run", "--recipes", str(recipe_dir), "p", "--yes"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(env),
        timeout=60,
        check=False,
    )
    return result, time.monotonic() - started


def normalised(text: str, home: Path) -> str:
    text = text.replace(str(home), "HOME")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Reference:
    """The same install with telemetry off: what the user must see in every fault case."""

    recipes: Path
    home: Path
    result: subprocess.CompletedProcess[str]

    def assert_same(self, result: subprocess.CompletedProcess[str], home: Path) -> None:
        assert result.returncode == self.result.returncode == 1
        assert normalised(result.stdout, home) == normalised(self.result.stdout, self.home)
        assert normalised(result.stderr, home) == normalised(self.result.stderr, self.home)
        assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    base = tmp_path_factory.mktemp("reference")
    home = base / "home"
    home.mkdir()
    recipe_dir = recipes(base)
    result, _ = dtu_run(recipe_dir, run_env(home, refused_url(), CI="true", DO_NOT_TRACK="1"))
    return Reference(recipe_dir, home, result)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "category"),
    [
        ({"DTU_INSTALL_TELEMETRY_POLICY": "on"}, "Installer"),
        ({"DTU_INSTALL_TELEMETRY_POLICY": "on", "TESTING_MODE": "true"}, "Installer_TEST"),
        ({"CI": "true"}, "Installer_CI"),
        ({"GITHUB_ACTIONS": "true"}, "Installer_CI"),
    ],
    ids=["production", "testing_mode", "ci", "github_actions"],
)
def test_a_real_run_sends_one_hit_per_step(
    tmp_path: Path,
    isolated_home: Path,
    recorder: HitRecorder,
    extra: dict[str, str],
    category: str,
) -> None:
    result, _ = dtu_run(recipes(tmp_path), run_env(isolated_home, recorder.url, **extra))
    assert result.returncode == 1, result.stderr  # tele_fail failed
    hits = {h["url"]: h for h in recorder.wait_for_hits(4)}
    assert len(hits) == 4 and len(recorder.hits) == 4
    here = detect_facts()
    expected = {
        "tele_ok": ("Event", "tele_ok", "1", ""),
        "tele_skip": ("Skipped", "tele_skip", "1", ""),
        "tele_fail": ("Event", "tele_fail_unknown_error", "0", "unknown_error"),
        "tele_missing": ("Event", "tele_missing_missing_dependency", "0", "missing_dependency"),
    }
    for step, (action, name, value, error) in expected.items():
        url = f"app://dtu-install/{step}"
        hit = hits[url]
        assert (hit["e_a"], hit["e_n"], hit["e_v"], hit["dimension5"]) == (
            action,
            name,
            value,
            error,
        )
        assert hit["idsite"] == "e2e-site" and hit["rec"] == "1"
        assert hit["e_c"] == category
        assert hit["action_name"] == url
        assert hit["dimension1"] == here.os_label and hit["dimension2"] == here.arch
        assert hit["dimension3"] == commit_sha()
        assert re.fullmatch(r"\d+\.\d{3}", hit["dimension4"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", hit["cdt"])
        assert re.fullmatch(r"[0-9a-f]{16}", hit["_id"])
    assert len({(h["_id"], h["dimension6"]) for h in hits.values()}) == 1


@pytest.mark.slow
def test_ctrl_c_sends_an_interrupted_hit(
    tmp_path: Path, isolated_home: Path, recorder: HitRecorder
) -> None:
    env = run_env(isolated_home, recorder.url, CI="true")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "installer",
            "run",
            "--recipes",
            str(recipes(tmp_path, "wait", WAIT_RECIPE)),
            "p",
            "--yes",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group, like a terminal's foreground job
    )
    deadline = time.monotonic() + 30
    while not (isolated_home / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    names = sorted(h["e_n"] for h in recorder.wait_for_hits(2))
    assert names == ["wait_first", "wait_long_interrupted"]  # wait_after never ran: no hit
    (hit,) = [h for h in recorder.hits if h["e_n"] == "wait_long_interrupted"]
    assert (hit["e_v"], hit["dimension5"], hit["e_a"]) == ("0", "interrupted", "Event")


@pytest.mark.slow
def test_no_personal_data_in_any_hit(
    tmp_path: Path, isolated_home: Path, recorder: HitRecorder
) -> None:
    env = run_env(isolated_home, recorder.url, CI="true", USER="studentname", LOGNAME="studentname")
    recipe_dir = recipes(tmp_path)
    dtu_run(recipe_dir, env)
    dtu_run(recipe_dir, env)
    assert len(recorder.wait_for_hits(8)) == 8
    raw = "\n".join(hit for r in recorder.requests for hit in json.loads(r["body"])["requests"])
    decoded = "\n".join("&".join(f"{k}={v}" for k, v in h.items()) for h in recorder.hits)
    personal = {
        "user name": getpass.getuser(),
        "user name (env)": "studentname",
        "host name": socket.gethostname(),
        "home path": str(isolated_home),
        "home path (encoded)": quote(str(isolated_home), safe=""),
        "home dir name": isolated_home.parent.name,
    }
    personal.update({f"command output {s}": s for s in PRIVATE_OUTPUT})
    for what, value in personal.items():
        assert value and value.lower() not in raw.lower(), what
        assert value.lower() not in decoded.lower(), what


@pytest.mark.slow
@pytest.mark.parametrize("variable", ["DO_NOT_TRACK", "DTU_INSTALL_NO_TELEMETRY"])
def test_opt_out_run_sends_and_spools_nothing(
    tmp_path: Path, isolated_home: Path, recorder: HitRecorder, variable: str
) -> None:
    recorder.mode = "status:500"
    env = run_env(isolated_home, recorder.url, CI="true", **{variable: "1"})
    result, _ = dtu_run(recipes(tmp_path), env)
    assert result.returncode == 1
    time.sleep(0.2)
    assert recorder.request_count() == 0
    data = isolated_home / ".local" / "share" / "dtu-install"
    assert not (data / SPOOL_NAME).exists()
    assert not list(data.glob("telemetry*")) if data.exists() else True


SERVER_WAIT = 60  # seconds: slow_60s's answer and http_429's Retry-After (hit_recorder.py)
FAULTS = {
    "refused": lambda rec: (refused_url(), None),
    "dns": lambda rec: (DNS_FAILURE_URL, None),
    "blackhole": lambda rec: (rec.url, "blackhole"),
    "slow_60s": lambda rec: (rec.url, f"slow:{SERVER_WAIT}"),
    "http_400": lambda rec: (rec.url, "status:400"),
    "http_500": lambda rec: (rec.url, "status:500"),
    "http_429": lambda rec: (rec.url, "status:429"),
    "garbage_body": lambda rec: (rec.url, "garbage"),
    "garbage_http": lambda rec: (rec.url, "garbage_http"),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_network_faults_change_nothing_for_the_user(
    reference: Reference, isolated_home: Path, recorder: HitRecorder, fault: str
) -> None:
    url, mode = FAULTS[fault](recorder)
    if mode:
        recorder.mode = mode
    result, took = dtu_run(reference.recipes, run_env(isolated_home, url, CI="true"))
    reference.assert_same(result, isolated_home)
    # The run does not wait for the server: a blackhole never answers, slow_60s answers and
    # http_429 asks to come back only after SERVER_WAIT seconds, and the run ends long before.
    # Not a stopwatch of the flush bound (a run's own time varies by seconds on a loaded
    # machine; it failed there compared with the reference run's): test_faults.py checks
    # the bound on the sink itself.
    assert took < SERVER_WAIT / 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "damage", ["corrupt_spool", "read_only_data_dir", "fifo_spool", "spool_linked_to_dev_zero"]
)
def test_spool_faults_change_nothing_for_the_user(
    reference: Reference, tmp_path: Path, isolated_home: Path, recorder: HitRecorder, damage: str
) -> None:
    # Issue 14 item 11: a FIFO as the spool hung `run` before its first step (opening it
    # waits for a writer); a link to /dev/zero read until MemoryError.
    extra: dict[str, str] = {}
    data = isolated_home / ".local" / "share" / "dtu-install"
    if damage == "corrupt_spool":
        data.mkdir(parents=True, exist_ok=True)
        (data / SPOOL_NAME).write_bytes(os.urandom(4096))
    elif damage == "fifo_spool":
        data.mkdir(parents=True, exist_ok=True)
        os.mkfifo(data / SPOOL_NAME)
    elif damage == "spool_linked_to_dev_zero":
        data.mkdir(parents=True, exist_ok=True)
        (data / SPOOL_NAME).symlink_to("/dev/zero")
    else:
        from tests.telemetry.conftest import read_only_dir

        extra["XDG_DATA_HOME"] = str(read_only_dir(tmp_path))
    recorder.mode = "status:503"
    result, _ = dtu_run(reference.recipes, run_env(isolated_home, recorder.url, CI="true", **extra))
    reference.assert_same(result, isolated_home)
