"""The single-file build (`make dist`) runs with a clean Python: no site-packages, no
environment, only what the zipapp carries, as macOS's /usr/bin/python3 (3.9) would run it.

The build uses the wheel cache that `make zipapp-wheels` (a prerequisite of `make test`)
fills once, so the test never reaches the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.dist.conftest import BUILD, PYTHON39, ROOT, build_zipapp
from tests.helpers.download_server import DownloadServer

INTERPRETERS = [pytest.param(sys.executable, id="current")]
INTERPRETERS.append(
    pytest.param(
        PYTHON39,
        id="python3.9",
        marks=pytest.mark.skipif(PYTHON39 is None, reason="no Python 3.9 on this machine"),
    )
)


def _run_clean(
    python: str, zipapp: Path, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`-I -S`: isolated mode and no `site`: the zipapp's own contents or nothing."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ["HOME"],
        "DTU_INSTALL_NO_TELEMETRY": "1",
        "LC_ALL": "C.UTF-8",
        **(env or {}),
    }
    return subprocess.run(
        [python, "-I", "-S", str(zipapp), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=60,
    )


@pytest.mark.parametrize("python", INTERPRETERS)
def test_version_with_clean_python(python: str, zipapp: Path, tmp_path: Path) -> None:
    from installer import __version__

    result = _run_clean(python, zipapp, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"dtu-install {__version__}"


@pytest.mark.parametrize("python", INTERPRETERS)
def test_plan_default_with_clean_python(python: str, zipapp: Path, tmp_path: Path) -> None:
    # From an empty directory: the recipes must come from inside the zipapp.
    result = _run_clean(
        python, zipapp, "plan", "default", "--arch", "arm64", "--os-version", "14.5", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    plan = json.loads(result.stdout)
    text = json.dumps(plan)
    assert "Miniforge3-MacOSX-arm64.sh" in text
    assert "darwin-arm64" in text
    # The human-readable plan works too (rich renders without a terminal).
    result = _run_clean(python, zipapp, "plan", "default", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


DOWNLOAD_RECIPE = """recipe: dl
description: a download
steps:
  - name: dl_fetch
    description: Fetch a file
    check: {{path_exists: "{{home}}/got.bin"}}
    retries: {{attempts: 2, backoff: 0.01}}
    download:
      url: {url}
      sha256: "{digest}"
      dest: "{{home}}/got.bin"
"""


@pytest.mark.parametrize("python", INTERPRETERS)
def test_download_with_clean_python(python: str, zipapp: Path, tmp_path: Path) -> None:
    """A real HTTPS download through the libraries the zipapp carries (its urllib3, not the
    test environment's), cut once mid-body and resumed, as macOS's Python would run it."""
    data = os.urandom(3 * 1024 * 1024 + 5)
    recipes = tmp_path / "recipes"
    (recipes / "profiles").mkdir(parents=True)
    with DownloadServer() as server:
        url = server.add("/f.bin", data, ["drop:1000000", "ok"])
        digest = hashlib.sha256(data).hexdigest()
        (recipes / "dl.yaml").write_text(DOWNLOAD_RECIPE.format(url=url, digest=digest))
        (recipes / "profiles" / "p.yaml").write_text("profile: p\ndescription: p\nrecipes: [dl]\n")
        result = _run_clean(
            python, zipapp, "run", "--recipes", str(recipes), "p", "--yes", "--json",
            cwd=tmp_path, env={"REQUESTS_CA_BUNDLE": server.ca_path},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr + result.stdout
        step = json.loads(result.stdout)["steps"][0]
        assert (step["status"], step["attempts"]) == ("success", 2)
        assert (Path(os.environ["HOME"]) / "got.bin").read_bytes() == data
        assert server.requests["/f.bin"][1]["Range"] == "bytes=1000000-"
        assert server.bytes_served["/f.bin"] == len(data)


def test_contents_are_pure_python_with_recipes_and_commit(zipapp: Path) -> None:
    with zipfile.ZipFile(zipapp) as zf:
        names = set(zf.namelist())
        commit = zf.read("installer/_commit.txt").decode().strip()
    native = [n for n in names if n.endswith((".so", ".pyd", ".dylib", ".dll"))]
    assert native == []
    assert "__main__.py" in names
    assert "installer/cli/main.py" in names
    assert "installer/data/recipes/profiles/default.yaml" in names
    assert "yaml/__init__.py" in names and "click/__init__.py" in names
    assert not any("__pycache__" in n for n in names)
    if PYTHON39 is not None:  # the build found a 3.9: bytecode beside every module
        sources = {n for n in names if n.endswith(".py") and n != "__main__.py"}
        assert {n + "c" for n in sources} <= names
    assert re.fullmatch(r"[0-9a-f]{7}", commit), commit
    sha_file = zipapp.with_name(zipapp.name + ".sha256").read_text()
    import hashlib

    assert sha_file.split()[0] == hashlib.sha256(zipapp.read_bytes()).hexdigest()


def test_build_is_reproducible(tmp_path: Path) -> None:
    # A snapshot of the sources: others edit this working tree while the tests run.
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("installer", "recipes"):
        shutil.copytree(ROOT / part, source / part, ignore=ignore)
    builds = []
    for name in ("one.pyz", "two.pyz"):
        out = tmp_path / name
        result = build_zipapp(out, "--source", str(source), "--commit", "abcdef1", "--no-bytecode")
        assert result.returncode == 0, result.stderr
        builds.append(out.read_bytes())
    assert builds[0] == builds[1]
    with zipfile.ZipFile(tmp_path / "one.pyz") as zf:
        assert zf.read("installer/_commit.txt") == b"abcdef1\n"


def test_offline_build_without_wheels_says_what_to_do(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(BUILD), "--offline", "--wheels", str(tmp_path / "empty"),
         "--out", str(tmp_path / "x.pyz")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "--fetch-only" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.pyz").exists()


# Every command's parameters (names, kind, help) as click sees them, as JSON on stdout.
DESCRIBE_CLI = r"""
import json, click, typer.main
from installer.cli.app import build_app

def walk(cmd, path, out):
    out[" ".join(path)] = [
        [p.name, type(p).__name__, sorted(p.opts), p.help if isinstance(p, click.Option) else 0]
        for p in cmd.params
    ]
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            walk(sub, path + [name], out)

out = {}
walk(typer.main.get_command(build_app()), ["dtu-install"], out)
print(json.dumps(out, sort_keys=True))
"""


def _describe_cli(python: str, *path: str) -> dict[str, object]:
    result = subprocess.run(
        [python, "-I", "-S", "-c", f"import sys; sys.path[:0] = {list(path)!r}\n{DESCRIBE_CLI}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.skipif(PYTHON39 is None, reason="no Python 3.9 on this machine")
def test_every_command_has_the_same_options_on_python39(zipapp: Path) -> None:
    """Typer on 3.9 reads annotations differently (no `eval_str`): an option can silently
    lose its name or help there. Compare the whole CLI with the development Python's."""
    assert PYTHON39 is not None
    site = [p for p in sys.path if p.endswith("site-packages")]
    expected = _describe_cli(sys.executable, str(ROOT), *site)
    actual = _describe_cli(PYTHON39, str(zipapp))
    assert "dtu-install plan" in expected and "dtu-install run" in expected
    assert actual == expected


@pytest.mark.skipif(PYTHON39 is None, reason="no Python 3.9 on this machine")
def test_bytecode_is_reproducible_and_used(tmp_path: Path) -> None:
    """Set constants marshal in hash order: the build pins PYTHONHASHSEED (and must not run
    the compiler with -I, which would ignore it)."""
    assert PYTHON39 is not None
    spec = importlib.util.spec_from_file_location("build_zipapp", BUILD)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    sys.modules["build_zipapp"] = build  # its dataclasses look their module up
    spec.loader.exec_module(build)
    source = b"WORDS = {'alpha', 'beta', 'gamma', 'delta'}\n"
    source += b"def f(x):\n    return x in {'one', 'two', 'three', 'four', 'five'}\n"
    outputs = []
    for _ in range(3):
        files = {"pkg/__init__.py": b"", "pkg/words.py": source}
        assert build.add_bytecode(files, PYTHON39) == 2
        outputs.append(files["pkg/words.pyc"])
    assert outputs[0] == outputs[1] == outputs[2]
    # Python 3.9 imports the module from the .pyc alone (no source beside it).
    archive = tmp_path / "only-pyc.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pkg/__init__.py", b"")
        zf.writestr("pkg/words.pyc", outputs[0])
    probe = f"import sys; sys.path.insert(0, {str(archive)!r}); import pkg.words as w; "
    probe += "print(sorted(w.WORDS))"
    done = subprocess.run(
        [PYTHON39, "-I", "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['alpha', 'beta', 'delta', 'gamma']"
