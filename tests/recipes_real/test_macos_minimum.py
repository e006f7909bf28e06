"""The oldest macOS each component runs on (`minimum_macos` in the real recipes): an older
Mac is refused with one plain sentence before anything is downloaded (exit 1), and `plan`
shows it. The run is a real `dtu-install run` on a simulated Mac (DTU_INSTALL_PLATFORM=darwin,
stub `sw_vers`/`uname`/`sysctl` first on PATH) whose downloads would go to a local HTTPS
server through the mirrors: the server must see no request at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.recipes.display import plan_lines
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.recipes.serialize import serialize_plan
from tests.helpers.download_server import DownloadServer
from tests.helpers.recipes import mac

ROOT = Path(__file__).resolve().parents[2]


def _plan(arch: str, version: str, profile: str = "default"):  # type: ignore[no-untyped-def]
    return build_plan(load_recipe_set([ROOT / "recipes"]), [profile], mac(arch, version))


def test_a_mac_too_old_for_vs_code_is_told_in_one_sentence() -> None:
    plan = _plan("x86_64", "11.7")
    assert [(t.component, t.minimum) for t in plan.too_old] == [("VS Code", "12.0")]
    sentence = (
        "This Mac has macOS 11.7, but VS Code needs macOS 12.0 or newer: update macOS "
        "(System Preferences > Software Update), then run the installer again."
    )
    assert serialize_plan(plan)["refusal"] == sentence
    text = list(plan_lines(plan))
    assert text[1] == f"Refused on this Mac: {sentence}"


def test_several_components_in_the_same_sentence() -> None:
    plan = _plan("x86_64", "10.12")
    sentence = serialize_plan(plan)["refusal"]
    assert sentence == (
        "This Mac has macOS 10.12, but Miniforge (conda) needs macOS 10.13 or newer and VS Code "
        "needs macOS 12.0 or newer: update macOS (System Preferences > Software Update), then "
        "run the installer again."
    )


@pytest.mark.parametrize(("arch", "version"), [("x86_64", "12.0"), ("arm64", "15.1")])
def test_supported_macs_are_not_refused(arch: str, version: str) -> None:
    plan = _plan(arch, version, "with-homebrew")
    assert plan.too_old == ()
    assert serialize_plan(plan)["refusal"] is None
    assert not any("Refused" in line for line in plan_lines(plan))


MAC_COMMANDS = {
    "uname": '#!/bin/sh\ncase "$1" in -m) echo x86_64;; *) echo Darwin;; esac\n',
    "sw_vers": '#!/bin/sh\n[ "$1" = -productVersion ] && echo 11.7\n',
    "sysctl": "#!/bin/sh\necho \"sysctl: unknown oid '$2'\" >&2\nexit 1\n",  # an Intel Mac
    "id": "#!/bin/sh\necho staff everyone admin\n",
}


def test_run_refuses_before_anything_is_downloaded(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in MAC_COMMANDS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    with DownloadServer() as server:
        mirrors = " ".join(
            f"https://{host}/={server.url('')}{host}/"
            for host in ("github.com", "raw.githubusercontent.com", "update.code.visualstudio.com")
        )
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "DTU_INSTALL_PLATFORM": "darwin",
            "DTU_INSTALL_MIRRORS": mirrors,
            "REQUESTS_CA_BUNDLE": server.ca_path,
            "DTU_INSTALL_ALLOW_ROOT": "1",  # the tests may run as root here
        }
        done = subprocess.run(
            # Only the downloads: were the refusal missing, nothing else would run here.
            [
                sys.executable,
                "-m",
                "installer",
                "run",
                "--yes",
                "--json",
                "--only",
                "vscode_download",
                "--only",
                "miniforge_download",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert server.requests == {}  # nothing was downloaded, not even a checksum
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[0] == (
        "This Mac has macOS 11.7, but VS Code needs macOS 12.0 or newer: update macOS "
        "(System Preferences > Software Update), then run the installer again."
    )
    assert "Traceback" not in done.stderr
    answer = json.loads(done.stdout)
    assert answer["too_old"] == [{"recipe": "vscode", "component": "VS Code", "minimum": "12.0"}]


def test_steps_of_other_components_still_run_on_request(tmp_path: Path) -> None:
    """`--only` a supported component's step: the too-old one is not in the run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in MAC_COMMANDS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DTU_INSTALL_PLATFORM": "darwin",
        "DTU_INSTALL_ALLOW_ROOT": "1",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "installer",
            "run",
            "--yes",
            "--dry-run",
            "--only",
            "miniforge_config_channels",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VS Code needs" not in done.stdout + done.stderr
