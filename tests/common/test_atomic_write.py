"""The one atomic write: temp file beside the target, fsync, rename; links and modes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.common import atomic_write
from installer.common.atomic_write import write_atomically


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_replaces_the_whole_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "a.json"
    path.write_text("old and longer\n")
    assert write_atomically(path, "new\n") == path
    assert path.read_text() == "new\n"
    write_atomically(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    assert sorted(p.name for p in folder.iterdir()) == ["a.json"]


def test_the_data_reaches_the_disk_before_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("rename"), real_replace(a, b))[1])
    write_atomically(tmp_path / "f", "x")
    assert order == ["fsync", "rename"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "spool.txt"
    path.write_text("kept\n")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(path, "lost\n")
    assert path.read_text() == "kept\n"
    assert [p.name for p in folder.iterdir()] == ["spool.txt"]


def test_modes_existing_kept_new_from_umask_or_as_asked(tmp_path: Path, umask_022: None) -> None:
    existing = tmp_path / "profile"
    existing.write_text("a")
    existing.chmod(0o640)
    write_atomically(existing, "b")
    assert _mode(existing) == 0o640
    assert _mode(write_atomically(tmp_path / "new", "c")) == atomic_write.NEW_FILE_MODE & ~0o022
    assert _mode(write_atomically(tmp_path / "page.html", "d", mode=0o644)) == 0o644
    assert _mode(write_atomically(existing, "e", mode=0o600)) == 0o600


def test_through_links_writes_the_target_and_the_link_stays(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "zprofile").write_text("mine\n")
    link = tmp_path / ".zprofile"
    link.symlink_to(dotfiles / "zprofile")
    written = write_atomically(link, "mine\nours\n", through_links=True)
    assert written == dotfiles / "zprofile" and link.is_symlink()
    assert (dotfiles / "zprofile").read_text() == "mine\nours\n"


def test_our_own_file_replaces_a_link_at_its_path(tmp_path: Path) -> None:
    # The spool linked to /dev/zero (issue 14 item 11) is damage: the write replaces the link.
    spool = tmp_path / "telemetry-spool.txt"
    spool.symlink_to("/dev/zero")
    write_atomically(spool, "?hit\n")
    assert not spool.is_symlink() and spool.read_text() == "?hit\n"
