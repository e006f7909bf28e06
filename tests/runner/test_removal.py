"""The uninstall actions: remove a path (never `/`, the home or what holds it; a link, not
its target), remove our marked block and no other line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from installer.steps.failure import StepError
from installer.steps.files import with_block
from installer.steps.removal import remove_path, remove_profile_block


@pytest.mark.parametrize("which", ["/", "home", "parent of home", "relative", "link to home"])
def test_dangerous_paths_are_refused(tmp_path, which):
    home = tmp_path / "Users" / "student"
    home.mkdir(parents=True)
    (home / "keep").write_text("x")
    link = tmp_path / "Users" / "link"
    link.symlink_to(home)
    path = {
        "/": "/",
        "home": str(home),
        "parent of home": str(tmp_path / "Users"),
        "relative": "miniforge3",
        "link to home": str(link) + "/",
    }[which]
    with pytest.raises(StepError) as info:
        remove_path(path, str(home))
    assert "not removed" in info.value.reason
    assert (home / "keep").read_text() == "x"


def test_directory_file_and_link(tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    prefix = home / "miniforge3"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "conda").write_text("#!/bin/sh\n")
    assert remove_path(str(prefix), str(home)) is True
    assert not prefix.exists() and os.listdir(home) == []  # nothing left aside
    assert remove_path(str(prefix), str(home)) is False  # already gone: nothing to do
    target = tmp_path / "theirs"
    target.mkdir()
    (target / "data").write_text("kept")
    link = home / "app"
    link.symlink_to(target)
    assert remove_path(str(link), str(home)) is True
    assert not link.is_symlink() and (target / "data").read_text() == "kept"


def test_only_our_block_goes(tmp_path):
    profile = tmp_path / ".zprofile"
    mine = "# my zprofile\nexport A=1\n"
    ours = with_block(mine, "vscode", 'export PATH="$PATH:/x"')
    profile.write_text(ours + "alias ll='ls -l'\n")
    other = tmp_path / ".bash_profile"
    other.write_text("no block here\n")
    changed = remove_profile_block((str(profile), str(other), str(tmp_path / "none")), "vscode")
    assert changed == [str(profile)]
    assert profile.read_text() == mine + "alias ll='ls -l'\n"
    assert other.read_text() == "no block here\n"
    assert (tmp_path / ".zprofile.dtu-install.bak").exists()


def test_unpaired_markers_leave_every_file_unchanged(tmp_path):
    good = tmp_path / "a"
    good.write_text(with_block("x\n", "vscode", "y"))
    broken = tmp_path / "b"
    broken.write_text("# >>> dtu-install vscode >>>\nmine\n")
    with pytest.raises(StepError) as info:
        remove_profile_block((str(good), str(broken)), "vscode")
    assert f"{broken}:1:" in info.value.reason
    assert good.read_text() == with_block("x\n", "vscode", "y")
    assert broken.read_text() == "# >>> dtu-install vscode >>>\nmine\n"


def test_record_only_successful_steps(tmp_path):
    from installer.events.outcome import Status, StepOutcome
    from installer.runner.install_record import InstallRecord, forget, read_record

    path = tmp_path / "installed.json"
    sink = InstallRecord(path)
    for name, status in (("a_install", Status.SUCCESS), ("b_install", Status.SKIPPED)):
        sink.record(StepOutcome(name, "r", status, 0.1, finished_at=100.0))
    assert read_record(path) == {"a_install": {"recipe": "r", "at": 100}}
    forget(["a_install", "c"], path)
    assert read_record(path) == {}
    path.write_text("{not json")
    assert read_record(path) == {}


def test_remove_path_handles_missing_home_value(tmp_path: Path):
    target = tmp_path / "x" / "y"
    target.mkdir(parents=True)
    assert remove_path(str(target), "") is True
