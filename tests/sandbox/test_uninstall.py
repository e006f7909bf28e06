"""`dtu-install uninstall` in the Mac sandbox (issue 20 item 2): after installing the real
`default` profile, uninstall removes exactly what dtu-install installed and marked, and
leaves the student's own lines, files, apps and a second conda as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sandbox.conftest import MacFactory
from tests.sandbox.mac import MacModel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HOME = "/Users/student"
# The student's own things, there before dtu-install: lines in the files our steps edit,
# another conda (with its own `conda init` block: theirs), another app, a file.
BEFORE = r"""
set -e
printf 'export EDITOR=vim\n' > ~/.zshrc
printf 'alias ll="ls -l"\n' > ~/.bash_profile
printf '# my zprofile\nexport LANG=da_DK.UTF-8\n' > ~/.zprofile
mkdir -p ~/anaconda3/bin /Applications/Other.app/Contents
printf '#!/bin/sh\necho "conda 24.1.2"\n' > ~/anaconda3/bin/conda
chmod +x ~/anaconda3/bin/conda
echo notes > ~/notes.txt
"""
THEIR_FILES = {
    "anaconda3/bin/conda": '#!/bin/sh\necho "conda 24.1.2"\n',
    "notes.txt": "notes\n",
}


def test_uninstall_removes_what_dtu_install_installed_and_nothing_else(
    make_mac: MacFactory,
) -> None:
    with make_mac(MacModel(arch="arm64", macos="15.1")) as box:
        home = box.sandbox.home
        assert box.shell(BEFORE).returncode == 0
        code, _, err = box.run_profile("default")
        assert code == 0, err
        assert (home / "miniforge3/bin/conda").exists()
        assert "conda initialize" in (home / ".zshrc").read_text()

        dry = box.dtu("uninstall", "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"Remove {HOME}/miniforge3" in dry.stdout
        assert "Remove /Applications/Visual Studio Code.app" in dry.stdout
        assert (home / "miniforge3").exists()  # a dry run removes nothing

        no_answer = box.dtu("uninstall")  # NONINTERACTIVE=1 and no --yes: refuses
        assert no_answer.returncode == 2 and "--yes" in no_answer.stderr
        assert (home / "miniforge3").exists()

        done = box.dtu("uninstall", "--yes", "--json", "--test")
        assert done.returncode == 0, done.stderr
        steps = {s["step"]: s["status"] for s in json.loads(done.stdout)["steps"]}
        # Reverse dependency order: VS Code before conda (which xcode-clt comes before).
        assert list(steps) == [
            "vscode_uninstall_shell_path",
            "vscode_uninstall",
            "miniforge_uninstall_init",
            "miniforge_uninstall",
        ]
        assert set(steps.values()) == {"success"}

        assert not (home / "miniforge3").exists()
        assert not box.sandbox.host_path("/Applications/Visual Studio Code.app").exists()
        assert box.sandbox.host_path("/Applications/Other.app/Contents").is_dir()
        assert (home / ".zshrc").read_text() == "export EDITOR=vim\n"
        assert (home / ".bash_profile").read_text() == 'alias ll="ls -l"\n'
        assert (home / ".zprofile").read_text() == "# my zprofile\nexport LANG=da_DK.UTF-8\n"
        for name, text in THEIR_FILES.items():
            assert (home / name).read_text() == text
        # The student's VS Code settings are theirs: kept (with DTU's keys) for a reinstall.
        assert (home / "Library/Application Support/Code/User/settings.json").exists()
        # One event per uninstall step reached the collector.
        names = [r[0] for r in box.collector.rows("name")]
        assert all(names.count(step) == 1 for step in steps), names

        again = box.dtu("uninstall", "--yes", "--json")
        assert again.returncode == 0, again.stderr
        assert {s["status"] for s in json.loads(again.stdout)["steps"]} == {"skipped"}


def test_a_conda_that_was_there_before_is_named_and_left(make_mac: MacFactory) -> None:
    """The student's own Miniforge at the same place: the install skips it, so uninstall
    neither removes it nor reverses its `conda init`."""
    with make_mac(MacModel(arch="arm64", macos="15.1")) as box:
        home: Path = box.sandbox.home
        assert box.dtu("run", "miniforge", "--yes", "--test").returncode == 0
        record = home / "Library/Application Support/dtu-install/installed.json"
        record.unlink()  # as if another installer had put this Miniforge here
        zshrc = (home / ".zshrc").read_text()
        done = box.dtu("uninstall", "miniforge", "--yes", "--json")
        assert done.returncode == 0, done.stderr
        steps = {s["step"]: s for s in json.loads(done.stdout)["steps"]}
        assert steps["miniforge_uninstall"]["status"] == "skipped"
        assert "not installed by dtu-install" in steps["miniforge_uninstall"]["reason"]
        assert "not installed by dtu-install" in done.stderr  # and named in the listing
        assert (home / "miniforge3/bin/conda").exists()
        assert (home / ".zshrc").read_text() == zshrc
