"""A non-editable `pip install .` carries the recipes (setup.py's build hook).

Offline: the wheel is built with `--no-build-isolation` (this venv's setuptools), and
installed with `--no-deps --no-index` into a fresh venv whose dependencies come from this
venv's site-packages (a `.pth` line), so nothing reaches the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

from tests.dist.conftest import ROOT

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "installer", "recipes")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120, **kw)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done  # type: ignore[no-any-return]


def _build_wheel(tmp_path: Path) -> Path:
    # A copy of the sources: the build writes build/ and *.egg-info next to them, which
    # must not race the other tests reading this checkout.
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=IGNORE)
        else:
            shutil.copy2(path, src / name)
    out = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", str(src), "-w", str(out)]
    )  # fmt: skip
    [wheel] = out.glob("dtu_install-*.whl")
    return wheel


def test_the_wheel_carries_the_recipes_and_an_installed_copy_validates_them(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT / "recipes").as_posix() for p in (ROOT / "recipes").rglob("*.yaml")
    }
    assert shipped, "no recipes in this checkout"
    bundled = {n.split("installer/data/recipes/", 1)[1] for n in names if "/data/recipes/" in n}
    assert bundled == shipped

    # A fresh venv with the wheel installed; its dependencies from this venv.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    python = env_dir / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)]
    )  # fmt: skip
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    (site / "zz_deps_from_the_test_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items() if k != "DTU_INSTALL_RECIPES"}
    elsewhere = tmp_path / "elsewhere"  # not the checkout: no recipes/ to fall back on
    elsewhere.mkdir()
    where = _run(
        [str(python), "-c", "import installer.paths as p; print(p.__file__); "
         "print(p.project_recipes_dir())"],
        cwd=elsewhere, env=env,
    ).stdout.splitlines()  # fmt: skip
    assert where[0].startswith(str(site)), where  # the installed copy, not this checkout
    assert where[1] == str(site / "installer" / "data" / "recipes")

    done = _run([str(env_dir / "bin" / "dtu-install"), "validate"], cwd=elsewhere, env=env)
    # The same files, recipes, profiles, courses and steps as this checkout's own recipes/.
    here = _run([sys.executable, "-m", "installer", "validate"], cwd=ROOT, env=env)
    assert done.stdout == here.stdout, (done.stdout, here.stdout)
    assert f"{len(shipped)} file(s) checked" in done.stdout, done.stdout
    plan = _run(
        [str(env_dir / "bin" / "dtu-install"), "plan", "default", "--arch", "arm64",
         "--os-version", "14.5"],
        cwd=elsewhere, env=env,
    )  # fmt: skip
    assert "miniforge" in plan.stdout
