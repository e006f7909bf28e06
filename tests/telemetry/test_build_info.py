"""The commit SHA baked in at build time (dimension3), and the script that bakes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from installer import build_info

ROOT = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()


def fake_checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "tools").mkdir(parents=True)
    (root / "installer").mkdir()
    shutil.copy(ROOT / "tools" / "write_commit.py", root / "tools")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "x")
    return root


def test_write_commit_bakes_the_checkouts_head(tmp_path: Path) -> None:
    root = fake_checkout(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_SHA"}
    subprocess.run([sys.executable, "tools/write_commit.py"], cwd=root, check=True, env=env)
    head = git(root, "rev-parse", "HEAD")
    assert (root / "installer" / "_commit.txt").read_text() == head[:7] + "\n"


def test_write_commit_prefers_github_sha(tmp_path: Path) -> None:
    root = fake_checkout(tmp_path)
    sha = "abcdef0123456789abcdef0123456789abcdef01"
    subprocess.run(
        [sys.executable, "tools/write_commit.py"],
        cwd=root,
        check=True,
        env={**os.environ, "GITHUB_SHA": sha},
    )
    assert (root / "installer" / "_commit.txt").read_text() == "abcdef0\n"


def zipapp_sha(tmp_path: Path, commit_txt: str | None) -> str:
    """commit_sha() of an installer package inside a zip (as in the zipapp), no git around."""
    archive = tmp_path / "app.pyz"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("installer/__init__.py", "")
        z.write(ROOT / "installer" / "build_info.py", "installer/build_info.py")
        if commit_txt is not None:
            z.writestr("installer/_commit.txt", commit_txt)
    code = (
        f"import sys; sys.path.insert(0, {str(archive)!r}); "
        "from installer.build_info import commit_sha; print(commit_sha())"
    )
    # -I: no site-packages (where the editable install points at this checkout), no env.
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    return out.stdout.strip()


def test_baked_sha_is_read_inside_a_zipapp(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    assert zipapp_sha(tmp_path / "a", "1a2b3c4\n") == "1a2b3c4"
    assert zipapp_sha(tmp_path / "b", None) == "unknown"  # no file, no checkout: unknown
    assert zipapp_sha(tmp_path / "c", "not a sha\n") == "unknown"


def test_checkout_sha_without_baked_file() -> None:
    baked = ROOT / "installer" / "_commit.txt"
    expected = (
        baked.read_text().strip()[:7]
        if baked.exists()
        else git(ROOT, "rev-parse", "--short=7", "HEAD")
    )
    build_info.commit_sha.cache_clear()
    assert build_info.commit_sha() == expected
