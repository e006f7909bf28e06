"""Faults at the profile level, in the Mac sandbox (Apple silicon, `default`): what a student
meets on a bad day, and what the run does about it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import MacFactory
from tests.sandbox.harness import Mac
from tests.sandbox.mac import MacModel
from tests.sandbox.test_profiles import install_once, statuses

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def installer_path(box: Mac, arch: str = "arm64") -> str:
    """The server path of the bytes of the pinned Miniforge installer (after GitHub's redirect)."""
    tag = box.upstream.versions.miniforge_pinned
    url = (
        f"https://github.com/conda-forge/miniforge/releases/download/{tag}/"
        f"Miniforge3-{tag}-MacOSX-{arch}.sh"
    )
    return box.upstream.final_path(url)


def step(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in result["steps"] if s["step"] == name)


def test_503_then_success(make_mac: MacFactory) -> None:
    with make_mac(MacModel()) as box:
        path = installer_path(box)
        box.server.files[path].script = ["status:503", "ok"]
        install_once(box, "default", box.steps("default"))
        assert box.server.hits(path) == 2
        rows = box.collector.rows("name, success")
        assert ("miniforge_download", 1) in rows


def test_connection_cut_mid_installer_resumes(make_mac: MacFactory) -> None:
    """The connection breaks 1.5 MB into the 3 MB installer: the download resumes with a
    Range request and fetches only the missing bytes."""
    with make_mac(MacModel()) as box:
        path = installer_path(box)
        size = box.server.files[path].size()
        cut = 1_500_000
        box.server.files[path].script = [f"drop:{cut}", "ok"]
        install_once(box, "default", box.steps("default"))
        assert box.server.hits(path) == 2
        assert box.server.requests[path][1].get("Range") == f"bytes={cut}-"
        assert box.server.bytes_served[path] == size  # nothing fetched twice


def test_checksum_mismatch_installs_nothing(make_mac: MacFactory) -> None:
    """The pinned installer's URL answers other bytes: nothing is installed or left in
    place, exit 1, the step's event says checksum_error."""
    with make_mac(MacModel()) as box:
        path = installer_path(box)
        good = box.server.files[path].content
        assert isinstance(good, bytes)
        box.server.files[path].content = good.replace(b"Miniforge3", b"Miniforge4", 1)
        code, result, err = box.run_profile("default")
        assert code == 1
        failed = step(result, "miniforge_download")
        assert (failed["status"], failed["error_category"]) == ("failed", "checksum_error")
        assert "miniforge_download failed (checksum_error)" in err
        for later in ("miniforge_install", "miniforge_init", "python_install"):
            assert step(result, later)["status"] == "not_run"
        home = box.sandbox.home
        assert not (home / "miniforge3").exists()
        cache = home / "Library" / "Caches" / "dtu-install"
        assert not list(cache.glob("Miniforge3*")), list(cache.iterdir())
        rows = box.collector.rows("name, success, error")
        assert ("miniforge_download_checksum_error", 0, "checksum_error") in rows


def _interrupt(bwrap: subprocess.Popen[str]) -> None:
    """Ctrl-C at the terminal: SIGINT to every process of the foreground group, here all the
    processes in the sandbox (bubblewrap itself stays, to pass on the exit status)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == bwrap.pid:
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        pgrp = int(stat[stat.rindex(")") + 2 :].split()[2])
        if pgrp == bwrap.pid and comm != "bwrap":
            os.kill(int(entry), signal.SIGINT)


def test_ctrl_c_mid_profile_then_rerun_completes(make_mac: MacFactory) -> None:
    with make_mac(MacModel()) as box:
        # conda's channel stops answering mid-file once, so the interrupt lands inside
        # `conda install` (which would give up after its own 20 s read timeout).
        repodata = "/conda.anaconda.org/conda-forge/osx-arm64/repodata.json"
        box.server.files[repodata].script = ["hang", "ok"]
        argv = box.dtu_argv("run", "default", "--yes", "--json", "--test")
        # A terminal's foreground job takes Ctrl-C; a test runner started in the background
        # hands SIGINT down ignored, so it is set back to default (coreutils env) first.
        full = [
            "env",
            "--default-signal=INT",
            *box.sandbox.bwrap_argv(box.sandbox.environment(box.env())),
            "--",
            *argv,
        ]
        process = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert process.stderr is not None and process.stdout is not None
        seen = []
        deadline = time.monotonic() + 120
        for line in process.stderr:
            seen.append(line)
            if "miniforge_config_channels" in line or time.monotonic() > deadline:
                break
        deadline = time.monotonic() + 30
        while box.server.hits(repodata) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert box.server.hits(repodata) == 1, "".join(seen)
        _interrupt(process)
        out, rest = process.communicate(timeout=60)
        assert process.returncode == 130, "".join(seen) + rest
        result = json.loads(out)
        assert result["interrupted"] is True
        assert step(result, "python_install")["status"] == "interrupted"
        assert "Traceback" not in rest
        done = {s["step"] for s in result["steps"] if s["status"] in ("success", "skipped")}
        assert {"miniforge_install", "miniforge_init"} <= done

        code, again, err = box.run_profile("default")
        assert code == 0, err
        now = statuses(again)
        assert now["python_install"] == "success", (
            f"first: {[(s['step'], s['status'], s.get('reason')) for s in result['steps']]}\n"
            f"again: {[(s['step'], s['status'], s.get('reason')) for s in again['steps']]}"
        )
        assert now["miniforge_install"] == "skipped"  # not installed twice
        assert set(now.values()) <= {"success", "skipped"}
        assert box.doctor("default")["ok"] is True
        rows = box.collector.rows("name, error")
        assert ("python_install_interrupted", "interrupted") in rows
