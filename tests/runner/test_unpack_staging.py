"""Unpacking through a staging folder (installer/steps/staging.py): a `dtu-install run`
killed (SIGKILL, no clean-up possible) in the middle of unpacking an app leaves nothing that
passes the step's "the app exists" check, and the next run completes.

Real `dtu-install run` processes and a real tar archive; for the killed run, a `tar` first on
PATH unpacks part of the app and then hangs, as a slow unpack of VS Code's 500 MB would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

from installer.steps import staging

RECIPE = """\
recipe: app
description: An app unpacked into an Applications folder
steps:
  - name: app_install
    check: {{path_exists: "{apps}/Tool.app"}}
    extract: {{archive: "{archive}", dest: "{apps}"}}
"""

HANGING_TAR = """\
#!/bin/sh
# tar -xf ARCHIVE -C DEST: half an app, then a hang.
dest=$4
mkdir -p "$dest/Tool.app/Contents"
echo partial > "$dest/Tool.app/Contents/Info.plist"
touch "{started}"
exec sleep 600
"""


def _run_cli(tmp_path: Path, recipes: Path, path: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PATH": path,
        "DTU_INSTALL_ALLOW_ROOT": "1",  # the test machine may run tests as root
        "NONINTERACTIVE": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "installer", "run", "app", "--yes", "--recipes", str(recipes)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # killed with its whole group, as a closed Terminal would
    )


def test_a_killed_unpack_leaves_nothing_that_passes_the_check(tmp_path: Path) -> None:
    apps = tmp_path / "Applications"
    app_src = tmp_path / "src" / "Tool.app" / "Contents"
    app_src.mkdir(parents=True)
    (app_src / "Info.plist").write_text("complete\n")
    archive = tmp_path / "tool.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(tmp_path / "src" / "Tool.app", "Tool.app")
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "app.yaml").write_text(RECIPE.format(apps=apps, archive=archive))
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    started = tmp_path / "tar-started"
    (stubs / "tar").write_text(HANGING_TAR.format(started=started))
    (stubs / "tar").chmod(0o755)
    system_path = os.environ.get("PATH", "/usr/bin:/bin")

    killed = _run_cli(tmp_path, recipes, f"{stubs}:{system_path}")
    deadline = time.monotonic() + 30
    while not started.exists() and time.monotonic() < deadline:
        assert killed.poll() is None, killed.communicate()[0]
        time.sleep(0.05)
    assert started.exists(), "the unpack never started"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(10)

    assert not (apps / "Tool.app").exists()  # the check fails: the next run unpacks again
    leftovers = list(apps.glob(f"{staging.STAGING_PREFIX}*"))
    assert len(leftovers) == 1  # the half-unpacked app, hidden in its staging folder
    assert (leftovers[0] / "Tool.app" / "Contents" / "Info.plist").read_text() == "partial\n"

    again = _run_cli(tmp_path, recipes, system_path)
    output = again.communicate(timeout=60)[0]
    assert again.returncode == 0, output
    assert (apps / "Tool.app" / "Contents" / "Info.plist").read_text() == "complete\n"
    assert sorted(p.name for p in apps.iterdir()) == ["Tool.app"]  # no staging left

    third = _run_cli(tmp_path, recipes, system_path)
    output = third.communicate(timeout=60)[0]
    assert third.returncode == 0 and "already done" in output.lower(), output


def test_an_older_copy_is_replaced_whole(tmp_path: Path) -> None:
    """An entry already in place (a damaged copy the check did not accept) is swapped for
    the new one in one rename; entries the archive does not have stay untouched."""
    dest = tmp_path / "Applications"
    (dest / "Tool.app" / "old-only").mkdir(parents=True)
    (dest / "Other.app").mkdir()
    into = staging.new_staging(str(dest))
    (Path(into) / "Tool.app" / "Contents").mkdir(parents=True)
    assert staging.move_into_place(into, str(dest)) == ["Tool.app"]
    assert sorted(p.name for p in dest.iterdir()) == ["Other.app", "Tool.app"]
    assert [p.name for p in (dest / "Tool.app").iterdir()] == ["Contents"]
