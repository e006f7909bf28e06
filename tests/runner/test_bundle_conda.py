"""The conda and VS Code parts of an offline bundle with real subprocesses (the whole profile in
the Mac sandbox is tests/sandbox/test_bundle_offline.py): what `bundle` refuses (a spec the
channel cannot satisfy, a record without a sha256, a package whose bytes differ from the
repodata), that a missing .vsix is named at bundle time and at run time, and the exact conda
command `run --bundle` starts, with the server stopped."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from tests.helpers.download_server import DownloadServer
from tests.helpers.recipes import REPO

CONDA = """#!{python}
import json, sys
with open(sys.argv[0] + ".calls", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
"""
RECIPE = """\
recipe: lab
description: a conda step and an extensions step
steps:
  - name: lab_packages
    command: ["{home}/conda/bin/conda", install, --yes, --channel, lab-channel, "pkg >=1"]
  - name: lab_extensions
    command: [/bin/sh, -c, 'for e in "$@"; do "$0" --install-extension "$e"; done',
              "{home}/bin/code", pub.ext]
"""


def package(name: str, version: str, depends: list[str]) -> tuple[str, bytes, dict[str, Any]]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:bz2") as tar:
        data = json.dumps({"name": name, "version": version}).encode()
        info = tarfile.TarInfo("info/index.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    body = raw.getvalue()
    fn = f"{name}-{version}-h0_0.tar.bz2"
    record = {
        "name": name,
        "version": version,
        "build": "h0_0",
        "build_number": 0,
        "depends": depends,
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    return fn, body, record


def serve_channel(
    server: DownloadServer, packages: list[tuple[str, bytes, dict[str, Any]]]
) -> None:
    base = "/lab-channel"
    for subdir in ("osx-arm64", "osx-64", "noarch"):
        records = {fn: rec for fn, _, rec in packages} if subdir == "noarch" else {}
        repodata = {"info": {"subdir": subdir}, "packages": records, "packages.conda": {}}
        server.add(f"{base}/{subdir}/repodata.json", json.dumps(repodata).encode())
    for fn, body, _ in packages:
        server.add(f"{base}/noarch/{fn}", body)


def setup(tmp: Path) -> Path:
    recipes = tmp / "recipes"
    (recipes / "profiles").mkdir(parents=True)
    (recipes / "lab.yaml").write_text(RECIPE)
    (recipes / "profiles" / "exam.yaml").write_text("profile: exam\nrecipes: [lab]\n")
    return recipes


def dtu(
    args: list[str], home: Path, server: DownloadServer | None, ca: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "DTU_INSTALL_NO_TELEMETRY": "1", "NONINTERACTIVE": "1"}
    env["REQUESTS_CA_BUNDLE"] = ca
    if server is not None:
        env["DTU_INSTALL_MIRRORS"] = f"https://conda.anaconda.org/={server.url('/')}"
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        env.pop(var, None)
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip


def vsix(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "extension.vsixmanifest",
            '<PackageManifest xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011">'
            '<Metadata><Identity Id="ext" Version="1.0.0" Publisher="pub"/></Metadata>'
            "</PackageManifest>",
        )
        zf.writestr("extension/package.json", '{"publisher": "pub", "name": "ext"}')


def test_bundle_refuses_what_it_cannot_check_or_satisfy(
    tmp_path: Path, isolated_home: Path
) -> None:
    recipes = setup(tmp_path)
    pkg = package("pkg", "1.0", ["dep >=2", "__osx >=11.0"])
    cases = [
        (
            [pkg, package("dep", "1.5", [])],
            "no build of dep satisfies dep >=2 (from pkg-1.0-h0_0.tar.bz2)",
        ),
        ([pkg], "dep is not in the channel"),
    ]
    fn, body, record = package("pkg", "1.0", [])
    unchecked = (fn, body, {k: v for k, v in record.items() if k != "sha256"})
    cases.append(([unchecked], f"lab-channel/noarch/{fn}: the channel's repodata gives no sha256"))
    lying = (fn, body + b"x", record)
    cases.append(([lying], "does not match the expected"))
    for packages, message in cases:
        out = tmp_path / "bundle"
        with DownloadServer() as server:
            serve_channel(server, packages)
            made = dtu(["bundle", "exam", "--recipes", str(recipes), "--out", str(out)],
                       isolated_home, server, server.ca_path)  # fmt: skip
        assert made.returncode == 1, made.stdout
        assert message in made.stderr, made.stderr
        assert "no manifest was written" in made.stderr
        assert not (out / "manifest.json").exists()


def test_run_bundle_runs_conda_offline_and_names_a_missing_vsix(
    tmp_path: Path, isolated_home: Path
) -> None:
    recipes = setup(tmp_path)
    out = tmp_path / "bundle"
    with DownloadServer() as server:
        serve_channel(server, [package("pkg", "1.2", ["dep"]), package("dep", "3.0", [])])
        made = dtu(["bundle", "exam", "--recipes", str(recipes), "--out", str(out)],
                   isolated_home, server, server.ca_path)  # fmt: skip
    # No --vsix: bundle says which extension it lacks and how to get it, writes the rest, and
    # fails: the bundle cannot install the profile offline.
    assert made.returncode == 1, made.stderr
    assert "run --bundle will fail at lab_extensions" in made.stderr
    assert "MISSING pub.ext (arm64) for lab_extensions" in made.stdout
    assert "MISSING pub.ext (x86_64) for lab_extensions" in made.stdout
    assert "Download VSIX" in made.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["extensions"]["missing"] == [
        {"extension": "pub.ext", "step": "lab_extensions", "arch": arch}
        for arch in ("arm64", "x86_64")
    ]
    assert manifest["conda"]["steps"][0]["packages"] == [
        "lab-channel/noarch/dep-3.0-h0_0.tar.bz2",
        "lab-channel/noarch/pkg-1.2-h0_0.tar.bz2",
    ]
    home = tmp_path / "student"
    (home / "conda/bin").mkdir(parents=True)
    conda = home / "conda/bin/conda"
    conda.write_text(CONDA.format(python=sys.executable))
    conda.chmod(0o755)
    (home / "bin").mkdir()
    (home / "bin/code").write_text("#!/bin/sh\nexit 0\n")
    (home / "bin/code").chmod(0o755)
    run = dtu(["run", "exam", "--recipes", str(recipes), "--bundle", str(out), "--json"],
              home, None, "")  # fmt: skip
    steps = {s["step"]: s for s in json.loads(run.stdout)["steps"]}
    assert steps["lab_packages"]["status"] == "success", steps["lab_packages"]["reason"]
    channel = (out / "conda/lab-channel").resolve().as_uri()
    calls = [json.loads(line) for line in Path(str(conda) + ".calls").read_text().splitlines()]
    assert calls == [
        ["install", "--offline", "--override-channels", "--channel", channel, "--yes", "pkg >=1"]
    ]
    assert steps["lab_extensions"]["error_category"] == "missing_dependency"
    arch = os.uname().machine.replace("aarch64", "arm64")
    reason = steps["lab_extensions"]["reason"]
    assert f"has no .vsix for the VS Code extension pub.ext ({arch})" in reason

    # With the .vsix given, the step gets its path instead of the id.
    vsix(tmp_path / "pub.ext-1.0.0.vsix")
    with DownloadServer() as server:
        serve_channel(server, [package("pkg", "1.2", ["dep"]), package("dep", "3.0", [])])
        made = dtu(["bundle", "exam", "--recipes", str(recipes), "--out", str(out),
                    "--vsix", str(tmp_path / "pub.ext-1.0.0.vsix")], isolated_home, server,
                   server.ca_path)  # fmt: skip
        assert made.returncode == 0, made.stderr
    (home / "bin/code").write_text(f'#!/bin/sh\necho "$@" >> "{home}/code.calls"\n')
    run = dtu(["run", "exam", "--recipes", str(recipes), "--bundle", str(out), "--json"],
              home, None, "")  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert (home / "code.calls").read_text() == (
        f"--install-extension {(out / 'vsix/pub.ext-1.0.0.vsix').resolve()}\n"
    )
