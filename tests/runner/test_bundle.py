"""Offline bundles (issue 20 item 4): `dtu-install bundle` fetches every download of a
profile, verified, with a manifest; `run --bundle` installs from it with the download
server stopped; a missing or damaged file is a failure naming it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from tests.helpers.download_server import DownloadServer
from tests.helpers.recipes import REPO


def tar_with(name: str, text: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


ARM, INTEL = tar_with("tool/arch", "arm64\n"), tar_with("tool/arch", "x86_64\n")
SCRIPT = b'#!/bin/sh\necho setup > "$1/setup-ran"\n'

RECIPE = """\
recipe: tool
description: a tool with a per-arch archive and a script whose checksum file is published
steps:
  - name: tool_download
    check: {{path_exists: "{{home}}/opt/tool"}}
    download:
      url: {{arm64: "{arm}", x86_64: "{intel}"}}
      sha256: {{arm64: {arm_sha}, x86_64: {intel_sha}}}
      dest: "{{cache_dir}}/tool-{{arch}}.tar"
    on_failure: continue # so that one run shows both failures
  - name: tool_extract
    check: {{path_exists: "{{home}}/opt/tool"}}
    extract: {{archive: "{{cache_dir}}/tool-{{arch}}.tar", dest: "{{home}}/opt"}}
    requires: [tool_download]
  - name: tool_script_download
    check: {{path_exists: "{{home}}/setup-ran"}}
    download:
      url: "{script}"
      sha256_url: "{script}.sha256"
      dest: "{{cache_dir}}/setup.sh"
      mode: "0755"
  - name: tool_setup
    check: {{path_exists: "{{home}}/setup-ran"}}
    command: ["{{cache_dir}}/setup.sh", "{{home}}"]
    requires: [tool_script_download]
"""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_recipes(root: Path, server: DownloadServer) -> Path:
    script = server.add("/setup.sh", SCRIPT)
    server.add("/setup.sh.sha256", f"{sha(SCRIPT)}  setup.sh\n".encode())
    text = RECIPE.format(
        arm=server.add("/tool-arm64.tar", ARM),
        intel=server.add("/tool-x86_64.tar", INTEL),
        arm_sha=sha(ARM),
        intel_sha=sha(INTEL),
        script=script,
    )
    (root / "profiles").mkdir(parents=True)
    (root / "tool.yaml").write_text(text)
    (root / "profiles" / "lab.yaml").write_text("profile: lab\nrecipes: [tool]\n")
    return root


def dtu(args: list[str], home: Path, ca: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HOME": str(home),
        "DTU_INSTALL_NO_TELEMETRY": "1",
        "REQUESTS_CA_BUNDLE": ca,
        "NONINTERACTIVE": "1",
    }
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        env.pop(var, None)
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip


def test_bundle_then_install_with_the_server_stopped(tmp_path, isolated_home):
    bundle = tmp_path / "bundle"
    with DownloadServer() as server:
        recipes = make_recipes(tmp_path / "recipes", server)
        made = dtu(["bundle", "lab", "--recipes", str(recipes), "--out", str(bundle)],
                   isolated_home, server.ca_path)  # fmt: skip
        assert made.returncode == 0, made.stderr
        ca = server.ca_path
        ca_copy = tmp_path / "ca.pem"
        ca_copy.write_bytes(Path(ca).read_bytes())
    manifest = json.loads((bundle / "manifest.json").read_text())
    files = {f["name"]: f for f in manifest["files"]}
    assert files["tool-arm64.tar"]["sha256"] == sha(ARM)
    assert files["tool-arm64.tar"]["arch"] == ["arm64"]
    assert files["tool-x86_64.tar"]["size"] == len(INTEL)
    assert files["setup.sh"]["arch"] == ["arm64", "x86_64"]  # one file for both
    assert files["setup.sh"]["url"].endswith("/setup.sh")
    assert (bundle / "files" / "setup.sh").read_bytes() == SCRIPT
    # The server is stopped: only the bundle can serve the install.
    home = tmp_path / "student"
    home.mkdir()
    run = dtu(["run", "lab", "--recipes", str(recipes), "--bundle", str(bundle), "--json"],
              home, str(ca_copy))  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert {s["status"] for s in json.loads(run.stdout)["steps"]} == {"success"}
    arch = os.uname().machine.replace("aarch64", "arm64")
    assert (home / "opt/tool/arch").read_text() == f"{arch}\n"
    assert (home / "setup-ran").exists()


def test_missing_or_damaged_files_are_named(tmp_path, isolated_home):
    bundle = tmp_path / "bundle"
    with DownloadServer() as server:
        recipes = make_recipes(tmp_path / "recipes", server)
        made = dtu(["bundle", "lab", "--recipes", str(recipes), "--out", str(bundle),
                    "--arch", "x86_64,arm64"], isolated_home, server.ca_path)  # fmt: skip
        assert made.returncode == 0, made.stderr
    arch = os.uname().machine.replace("aarch64", "arm64")
    damaged = bundle / "files" / f"tool-{arch}.tar"
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")
    (bundle / "files" / "setup.sh").unlink()
    home = tmp_path / "student"
    home.mkdir()
    run = dtu(["run", "lab", "--recipes", str(recipes), "--bundle", str(bundle), "--json"],
              home, "")  # fmt: skip
    assert run.returncode == 1
    steps = {s["step"]: s for s in json.loads(run.stdout)["steps"]}
    assert steps["tool_download"]["error_category"] == "checksum_error"
    assert f"{damaged} is damaged" in steps["tool_download"]["reason"]
    assert steps["tool_script_download"]["error_category"] == "missing_dependency"
    assert "setup.sh is missing from the bundle" in steps["tool_script_download"]["reason"]
    assert not list((home / ".cache/dtu-install").glob("tool-*.tar*"))  # nothing half-copied

    not_a_bundle = dtu(["run", "lab", "--recipes", str(recipes), "--bundle", str(tmp_path)],
                       home, "")  # fmt: skip
    assert not_a_bundle.returncode == 2
    assert "is not a bundle: it has no manifest.json" in not_a_bundle.stderr


def test_bundle_usage_errors(tmp_path, isolated_home):
    for args, message in (
        (["bundle", "default"], "--out"),
        (["bundle", "default", "--out", str(tmp_path / "b"), "--arch", "ppc"], "--arch"),
    ):
        result = dtu(args, isolated_home, "")
        assert result.returncode == 2 and message in result.stderr, result.stderr


def test_a_wrong_vsix_is_refused_before_anything_is_downloaded(tmp_path, isolated_home):
    """A typo in --vsix is a usage error at once, not after fetching every artefact."""
    bundle = tmp_path / "bundle"
    with DownloadServer() as server:
        recipes = make_recipes(tmp_path / "recipes", server)
        args = ["bundle", "lab", "--recipes", str(recipes), "--out", str(bundle)]
        made = dtu([*args, "--vsix", str(tmp_path / "no-such.vsix")], isolated_home, server.ca_path)
    assert made.returncode == 2, made.stderr
    assert "no-such.vsix: no such file or directory" in made.stderr
    assert not (bundle / "files").exists() or not any((bundle / "files").iterdir())
    assert "ok " not in made.stdout  # nothing was fetched
