"""An offline bundle end to end in the Mac sandbox (issue 20 item 3): `dtu-install bundle` on one
Mac with the network (the upstream simulator, whose conda channel is
tests/sandbox/conda_packages.py), then `run --bundle` on another Mac whose simulator is STOPPED
installs the whole `default` profile and the course 02402 environment: every step, conda's
packages from the bundle's local channel (`--offline`, a `file://` channel) and VS Code's
extensions from the bundle's .vsix files. A damaged package or a missing .vsix fails its step
naming the file."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import MacFactory
from tests.sandbox.harness import Mac
from tests.sandbox.mac import MacModel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

USB = "/Volumes/USB"
BUNDLE = f"{USB}/bundle"
ALREADY_DONE = {"xcode_clt_install", "miniforge_config_usage"}


def vsix(publisher: str, name: str, version: str, target: str | None) -> bytes:
    """A .vsix as vsce packs one (microsoft/vscode-vsce src/package.ts): extension.vsixmanifest
    with the Identity, and the extension's files under extension/."""
    platform = f' TargetPlatform="{target}"' if target else ""
    manifest = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/'
        'vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">'
        f'<Metadata><Identity Language="en-US" Id="{name}" Version="{version}" '
        f'Publisher="{publisher}"{platform}/></Metadata></PackageManifest>\n'
    )
    package = {
        "name": name,
        "publisher": publisher,
        "version": version,
        "engines": {"vscode": "^1.95.0"},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("extension.vsixmanifest", manifest)
        zf.writestr("extension/package.json", json.dumps(package))
        zf.writestr("extension/dist/extension.js", f"// {publisher}.{name} {version} {target}\n")
    return buffer.getvalue()


def write_vsix(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # The Python extension ships one build per Mac; Jupyter's runs anywhere.
    for target in ("darwin-arm64", "darwin-x64"):
        (folder / f"ms-python.python-2025.6.1@{target}.vsix").write_bytes(
            vsix("ms-python", "python", "2025.6.1", target)
        )
    (folder / "ms-toolsai.jupyter-2025.4.1.vsix").write_bytes(
        vsix("ms-toolsai", "jupyter", "2025.4.1", None)
    )


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {s["step"]: s["status"] for s in result["steps"]}


def failures(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        s["step"]: (s["error_category"], s["reason"])
        for s in result["steps"]
        if s["status"] == "failed"
    }


def make_bundle(admin: Mac) -> Path:
    write_vsix(admin.sandbox.host_path(f"{USB}/vsix"))
    done = admin.dtu(
        "bundle",
        "default",
        "course",
        "02402",
        "--arch",
        "arm64,x86_64",
        "--out",
        BUNDLE,
        "--vsix",
        f"{USB}/vsix",
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return admin.sandbox.host_path(BUNDLE)


def offline_lab(box: Mac, bundle: Path) -> None:
    """A lab Mac: the simulator stopped (nothing answers), the bundle on its USB stick."""
    box.server.stop()
    shutil.copytree(bundle, box.sandbox.host_path(BUNDLE))


def test_bundle_then_offline_run_installs_default_and_a_course(make_mac: MacFactory) -> None:
    with make_mac(MacModel(arch="arm64", macos="15.1")) as admin:
        bundle = make_bundle(admin)
    manifest = json.loads((bundle / "manifest.json").read_text())
    conda = manifest["conda"]
    # The local channel: repodata per subdir with only the chosen packages, the files beside it.
    arm = json.loads((bundle / "conda/conda-forge/osx-arm64/repodata.json").read_text())
    chosen = {r["name"]: r["version"] for r in arm["packages"].values()}
    assert chosen["python"] == "3.12.8"  # python=3.12, not the newer 3.13.1
    assert chosen["numpy"] == "1.26.4"  # pandas needs numpy <2
    assert (bundle / "conda/conda-forge/noarch/repodata.json").exists()
    assert {(s["step"], s["arch"]) for s in conda["steps"]} >= {
        ("python_install", "arm64"),
        ("python_install", "x86_64"),
        ("course_create_02402", "arm64"),
        ("course_update_02402", "x86_64"),
    }
    assert {e["extension"] for e in manifest["extensions"]["files"]} == {
        "ms-python.python",
        "ms-toolsai.jupyter",
    }
    assert manifest["extensions"]["missing"] == []

    with make_mac(MacModel(arch="arm64", macos="15.1")) as lab:
        offline_lab(lab, bundle)
        steps = lab.steps("default")
        code, result, err = lab.run_profile("default", "--bundle", BUNDLE)
        assert code == 0, (failures(result), err)
        assert statuses(result) == {s: "skipped" if s in ALREADY_DONE else "success" for s in steps}
        log = lab.sandbox.host_path(result["log"]).read_text()
        assert (
            "--offline --override-channels --channel file:///Volumes/USB/bundle/conda/conda-forge"
            in log
        )
        assert "Platform: osx-arm64" in log
        doctor = lab.doctor("default")
        assert doctor["ok"] is True, doctor
        # The packages came out of the bundle's files: the import check reads them.
        home = lab.sandbox.home
        site = home / "miniforge3/lib/python3.12/site-packages"
        assert '__version__ = "2.2.3"' in (site / "pandas/__init__.py").read_text()
        assert (site / "sympy").is_dir()  # a dependency, noarch: python, linked into site-packages
        extensions = home / ".vscode/extensions"
        assert (
            (extensions / "ms-python.python-2025.6.1/dist/extension.js")
            .read_text()
            .endswith("darwin-arm64\n")
        )  # the Apple-silicon build of the Python extension

        code, course, err = lab.run_profile("course", "02402", "--bundle", BUNDLE)
        assert code == 0, (failures(course), err)
        ran = statuses(course)
        assert ran["course_create_02402"] == "success"
        assert ran["course_kernel_02402"] == "success"
        kernel = json.loads((home / "Library/Jupyter/kernels/02402-a26/kernel.json").read_text())
        assert kernel["argv"][0] == "/Users/student/miniforge3/envs/02402-A26/bin/python"
        assert lab.server.hits("/conda.anaconda.org/conda-forge/osx-arm64/repodata.json") == 0

        # Again: everything is done, nothing runs.
        code, again, err = lab.run_profile("course", "02402", "--bundle", BUNDLE)
        assert code == 0, err
        assert set(statuses(again).values()) == {"skipped"}


def test_damaged_package_or_missing_vsix_fails_naming_the_file(make_mac: MacFactory) -> None:
    with make_mac(MacModel(arch="x86_64", macos="14.5")) as admin:
        bundle = make_bundle(admin)
    repodata = json.loads((bundle / "conda/conda-forge/osx-64/repodata.json").read_text())
    pandas = next(fn for fn, r in repodata["packages"].items() if r["name"] == "pandas")
    damaged = bundle / "conda/conda-forge/osx-64" / pandas
    original = damaged.read_bytes()
    data = bytearray(original)
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    manifest = json.loads((bundle / "manifest.json").read_text())
    jupyter = next(
        e for e in manifest["extensions"]["files"] if e["extension"] == "ms-toolsai.jupyter"
    )
    (bundle / jupyter["name"]).unlink()

    with make_mac(MacModel(arch="x86_64", macos="14.5")) as lab:
        offline_lab(lab, bundle)
        lab_damaged = lab.sandbox.host_path(f"{BUNDLE}/conda/conda-forge/osx-64/{pandas}")
        code, result, _ = lab.run_profile("default", "--bundle", BUNDLE)
        assert code == 1
        category, reason = failures(result)["python_install"]
        assert category == "checksum_error"
        assert reason.startswith(f"{BUNDLE}/conda/conda-forge/osx-64/{pandas} is damaged"), reason
        assert statuses(result)["miniforge_install"] == "success"  # its installer was whole
        site = lab.sandbox.home / "miniforge3/lib/python3.12/site-packages"
        assert not (site / "pandas").exists()  # conda never ran: nothing half-installed

        lab_damaged.write_bytes(original)  # the package mended: the .vsix is still missing
        code, result, _ = lab.run_profile("default", "--bundle", BUNDLE)
        assert code == 1
        assert statuses(result)["python_install"] == "success"
        category, reason = failures(result)["vscode_install_extensions"]
        assert category == "missing_dependency"
        assert f"{BUNDLE}/{jupyter['name']} is missing from the bundle" in reason
