"""The entry point itself: a bare `dtu-install` installs the default profile (SPEC 2), and
the top-level handler's exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.cli.main import main

RECIPE = """recipe: hello
description: writes a marker
steps:
  - name: hello_write
    description: Write the marker
    check: {path_exists: "{home}/marker"}
    command: [touch, "{home}/marker"]
"""


def test_bare_command_installs_the_default_profile(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipes = tmp_path / "recipes"
    (recipes / "profiles").mkdir(parents=True)
    (recipes / "hello.yaml").write_text(RECIPE)
    (recipes / "profiles" / "default.yaml").write_text(
        "profile: default\ndescription: d\nrecipes: [hello]\n"
    )
    monkeypatch.setenv("DTU_INSTALL_RECIPES", str(recipes))
    monkeypatch.setenv("NONINTERACTIVE", "1")
    assert main([]) == 0
    assert (isolated_home / "marker").exists()


def test_version_fast_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("dtu-install ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "no-such-command" in capsys.readouterr().err


def test_unexpected_error_writes_a_crash_log_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    import installer.cli.app

    def broken() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(installer.cli.app, "build_app", broken)
    assert main(["list"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "boom" in err
    logs = list(isolated_home.rglob("crash-*.log"))
    assert len(logs) == 1 and "RuntimeError: boom" in logs[0].read_text()


def test_crashes_in_the_same_second_keep_their_own_logs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    # Issue 14 item 14: the crash log was named by the second, so a second crash in the same
    # second overwrote the first one's traceback.
    import installer.cli.app

    crashes = iter(["boom-1", "boom-2", "boom-3"])

    def broken() -> None:
        raise RuntimeError(next(crashes))

    monkeypatch.setattr(installer.cli.app, "build_app", broken)
    for _ in range(3):  # milliseconds apart: at least two share a second
        assert main(["list"]) == 3
    err = capsys.readouterr().err
    logs = sorted(isolated_home.rglob("crash-*.log"))
    assert len(logs) == 3
    assert sorted(log.read_text().splitlines()[-1] for log in logs) == [
        "RuntimeError: boom-1",
        "RuntimeError: boom-2",
        "RuntimeError: boom-3",
    ]
    for log in logs:
        assert str(log) in err
