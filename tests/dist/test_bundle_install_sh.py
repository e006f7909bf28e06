"""install.sh with `run --bundle DIR` (issue 20 item 4): the zipapp comes from the bundle,
checked against the bundle's checksum line, and the profile installs from the bundle's
files; nothing is fetched (the recipes' server is stopped, the release server unused)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.dist.conftest import PYTHON39
from tests.dist.test_install_sh import Bootstrap, boot  # noqa: F401 (the fixture)
from tests.helpers.download_server import DownloadServer
from tests.runner.test_bundle import make_recipes


def make_bundle(zipapp: Path, tmp_path: Path) -> tuple[Path, Path]:
    bundle = tmp_path / "bundle"
    with DownloadServer() as server:
        recipes = make_recipes(tmp_path / "recipes", server)
        env = {**os.environ, "HOME": str(tmp_path), "REQUESTS_CA_BUNDLE": server.ca_path,
               "DTU_INSTALL_NO_TELEMETRY": "1"}  # fmt: skip
        made = subprocess.run(
            [PYTHON39 or sys.executable, str(zipapp), "bundle", "lab", "--recipes",
             str(recipes), "--out", str(bundle)],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    assert (bundle / "dtu-install.pyz").read_bytes() == zipapp.read_bytes()
    return bundle, recipes


def test_install_sh_installs_from_the_bundle_alone(
    boot: Bootstrap,  # noqa: F811
    zipapp: Path,
    tmp_path: Path,
) -> None:
    bundle, recipes = make_bundle(zipapp, tmp_path)
    done = boot.run("run", "lab", "--recipes", str(recipes), "--bundle", str(bundle), "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    result = json.loads(done.stdout[done.stdout.index("{") :])  # after install.sh's lines
    assert {s["status"] for s in result["steps"]} == {"success"}
    assert boot.server.hits("/dtu-install.pyz") == 0
    assert boot.server.hits("/dtu-install.pyz.sha256") == 0
    assert (boot.home / "setup-ran").exists()


def test_a_damaged_bundled_zipapp_is_not_run(
    boot: Bootstrap,  # noqa: F811
    zipapp: Path,
    tmp_path: Path,
) -> None:
    bundle, recipes = make_bundle(zipapp, tmp_path)
    with (bundle / "dtu-install.pyz").open("ab") as f:
        f.write(b"\0")
    done = boot.run("run", "lab", "--recipes", str(recipes), f"--bundle={bundle}")
    assert done.returncode == 1
    assert f"{bundle}/dtu-install.pyz is damaged" in done.stderr
    assert not (boot.home / "setup-ran").exists()
