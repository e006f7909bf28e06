"""Command, shell and file steps through `run_plan`, with real subprocesses."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from installer.events.outcome import ErrorCategory, Status
from installer.kinds.actions.json_settings import JsonSettingsAction
from installer.kinds.actions.profile_block import ProfileBlockAction
from installer.kinds.actions.shell import ShellAction
from installer.kinds.checks.command import CommandCheck
from installer.kinds.checks.json_settings import JsonSettingsCheck
from installer.kinds.checks.path_exists import PathExistsCheck
from installer.kinds.checks.version_at_least import VersionCheck
from installer.steps.model import RetryPolicy
from tests.runner.conftest import Recorder, cmd, plan, run, step


def test_dangerous_values_reach_the_command_as_one_literal_argument(facts, tmp_path):
    out = tmp_path / "argv.json"
    values = ["; rm -rf ~", "$(touch pwned)", "`id`", "a b", "*"]
    script = "import json,sys; json.dump(sys.argv[1:], open(sys.argv[1], 'w'))"
    the_plan = plan(cmd("x_args", sys.executable, "-c", script, str(out), *values))
    result = run(the_plan, facts, tmp_path)
    assert result.outcomes[0].status is Status.SUCCESS
    assert json.loads(out.read_text()) == [str(out), *values]
    assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()


def test_second_run_executes_no_action_and_skips_every_step(facts, tmp_path):
    ledger = tmp_path / "ledger"
    marker = tmp_path / "installed"
    append = f"echo ran >> {ledger}; touch {marker}"
    steps = (
        step("a_install", ShellAction(append), checks=(PathExistsCheck(str(marker)),)),
        step(
            "b_install",
            ShellAction(f"echo b >> {ledger}; touch {marker}.b"),
            checks=(CommandCheck(("test", "-e", f"{marker}.b")),),
            requires=("a_install",),
        ),
        step(
            "c_configure",
            ProfileBlockAction((str(tmp_path / ".zprofile"),), "conda", "x=1"),
            checks=(CommandCheck(("grep", "-q", "x=1", str(tmp_path / ".zprofile"))),),
        ),
    )
    first = run(plan(*steps), facts, tmp_path)
    assert [o.status for o in first.outcomes] == [Status.SUCCESS] * 3
    assert ledger.read_text() == "ran\nb\n"
    sink = Recorder()
    second = run(plan(*steps), facts, tmp_path, sinks=[sink])
    assert [o.status for o in second.outcomes] == [Status.SKIPPED] * 3
    assert ledger.read_text() == "ran\nb\n"  # no action ran
    assert [o.step for o in sink.outcomes] == ["a_install", "b_install", "c_configure"]
    assert second.exit_code == 0


def test_command_not_found_is_missing_dependency_not_retried(facts, tmp_path, sleeps, monkeypatch):
    out = run(plan(cmd("x_run", "no-such-command-dtu")), facts, tmp_path).outcomes[0]
    assert (out.status, out.category, out.attempts) == (
        Status.FAILED,
        ErrorCategory.MISSING_DEPENDENCY,
        1,
    )
    assert sleeps == []
    # Once the command exists (installed by the student, say), the re-run completes.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "no-such-command-dtu"
    tool.write_text("#!/bin/sh\nexit 0\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    again = run(plan(cmd("x_run", "no-such-command-dtu")), facts, tmp_path).outcomes[0]
    assert again.status is Status.SUCCESS


def test_exit_127_from_shell_is_missing_dependency(facts, tmp_path, sleeps):
    out = run(plan(step("x_run", ShellAction("no-such-command-dtu"))), facts, tmp_path).outcomes[0]
    assert (out.category, out.attempts) == (ErrorCategory.MISSING_DEPENDENCY, 1)


def test_non_zero_exit_is_retried_then_reported_with_last_line(facts, tmp_path, sleeps):
    counter = tmp_path / "n"
    script = f"echo tried >> {counter}; echo 'it broke' >&2; exit 3"
    out = run(plan(step("x_run", ShellAction(script))), facts, tmp_path).outcomes[0]
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.UNKNOWN, 3)
    assert "code 3" in out.reason and "it broke" in out.reason
    assert counter.read_text().count("tried") == 3
    log = (tmp_path / "run.log").read_text()
    assert "it broke" in log and "exit 3" in log
    fixed = f"echo tried >> {counter}; exit 0"
    assert run(plan(step("x_run", ShellAction(fixed))), facts, tmp_path).exit_code == 0


def test_output_pattern_is_only_a_fallback(facts, tmp_path, sleeps):
    script = "echo 'mkdir: Permission denied' >&2; exit 1"
    out = run(plan(step("x_run", ShellAction(script))), facts, tmp_path).outcomes[0]
    assert (out.category, out.attempts) == (ErrorCategory.PERMISSION, 1)


def test_timeout_kills_the_process_group(facts, tmp_path, sleeps):
    pidfile = tmp_path / "child.pid"
    script = f"sleep 30 & echo $! > {pidfile}; wait"
    the_step = step("x_run", ShellAction(script), timeout=0.5, retries=RetryPolicy(1))
    out = run(plan(the_step), facts, tmp_path).outcomes[0]
    assert (out.status, out.category) == (Status.FAILED, ErrorCategory.TIMEOUT)
    assert out.duration < 20  # not the 30 s of its grandchild: the group was stopped
    child = int(pidfile.read_text())
    # The group got SIGTERM, but the grandchild dies only once the kernel schedules it: on a
    # busy machine it can still be running (state R) when run() returns. Wait for it to be
    # gone or a zombie; the deadline only guards against a hang (the sleep lasts 30 s).
    deadline = time.monotonic() + 15
    while Path(f"/proc/{child}").exists() and not _is_zombie(child):
        assert time.monotonic() < deadline, f"grandchild {child} survived the timeout"
        time.sleep(0.01)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True  # gone between the two looks


def test_requires_failed_gives_not_run_and_continue_goes_on(facts, tmp_path, sleeps):
    steps = (
        cmd("a_fail", "false", on_failure="continue", retries=RetryPolicy(1)),
        cmd("b_needs_a", "true", requires=("a_fail",)),
        cmd("c_free", "true"),
        cmd("d_fail", "false", retries=RetryPolicy(1)),
        cmd("e_after_abort", "true"),
    )
    sink = Recorder()
    result = run(plan(*steps), facts, tmp_path, sinks=[sink])
    assert [o.status for o in result.outcomes] == [
        Status.FAILED,
        Status.NOT_RUN,
        Status.SUCCESS,
        Status.FAILED,
        Status.NOT_RUN,
    ]
    assert "a_fail" in result.outcomes[1].reason
    assert len(sink.outcomes) == 5 and result.exit_code == 1


def test_dry_run_runs_checks_but_no_action(facts, tmp_path):
    ledger = tmp_path / "ledger"
    steps = (
        step("a_done", ShellAction(f"echo a >> {ledger}"), checks=(CommandCheck(("true",)),)),
        step("b_todo", ShellAction(f"echo b >> {ledger}")),
    )
    result = run(plan(*steps), facts, tmp_path, dry_run=True)
    assert [o.status for o in result.outcomes] == [Status.SKIPPED, Status.NOT_RUN]
    assert "dry run" in result.outcomes[1].reason
    assert not ledger.exists() and result.exit_code == 0


def test_dry_run_reports_steps_after_one_that_would_run(facts, tmp_path):
    # b needs a, which a dry run does not run: b is still checked and would run, not
    # "not run: it needs a_todo"; c's check passes, so it is reported as already done.
    steps = (
        step("a_todo", ShellAction("true")),
        step("b_todo", ShellAction("true"), requires=("a_todo",)),
        step(
            "c_done", ShellAction("true"), checks=(CommandCheck(("true",)),), requires=("b_todo",)
        ),
    )
    result = run(plan(*steps), facts, tmp_path, dry_run=True)
    assert [o.status for o in result.outcomes] == [Status.NOT_RUN, Status.NOT_RUN, Status.SKIPPED]
    assert [o.reason for o in result.outcomes[:2]] == ["dry run: would run"] * 2


def test_a_command_killed_by_a_signal_says_so(facts, tmp_path):
    result = run(plan(step("a_killed", ShellAction("kill -9 $$"))), facts, tmp_path)
    assert result.outcomes[0].status is Status.FAILED
    assert result.outcomes[0].reason == "/bin/bash was stopped by SIGKILL"


def test_only_and_skip(facts, tmp_path):
    steps = (cmd("a_one", "true"), cmd("b_two", "true"), cmd("c_three", "true"))
    result = run(plan(*steps), facts, tmp_path, only=("b_two",))
    assert [o.status for o in result.outcomes] == [Status.NOT_RUN, Status.SUCCESS, Status.NOT_RUN]
    result = run(plan(*steps), facts, tmp_path, skip=("b_two",))
    assert [o.status for o in result.outcomes] == [Status.SUCCESS, Status.NOT_RUN, Status.SUCCESS]


def test_unknown_step_name_is_usage_error_with_suggestion(facts, tmp_path):
    from installer.errors import UsageError

    with pytest.raises(UsageError, match="did you mean 'b_two'"):
        run(plan(cmd("a_one", "true"), cmd("b_two", "true")), facts, tmp_path, skip=("b_tow",))


def test_version_check(facts, tmp_path):
    newer = VersionCheck((sys.executable, "--version"), "3.8")
    older = VersionCheck((sys.executable, "--version"), "99.0")
    steps = (
        step("a_py", ShellAction("true"), checks=(newer,)),
        step("b_py", ShellAction("true"), checks=(older,)),
    )
    result = run(plan(*steps), facts, tmp_path)
    assert [o.status for o in result.outcomes] == [Status.SKIPPED, Status.SUCCESS]


def test_profile_block_idempotent_with_backup(facts, tmp_path):
    profile = tmp_path / ".zprofile"
    profile.write_text("export A=1")
    action = ProfileBlockAction((str(profile), str(tmp_path / ".bash_profile")), "brew", "eval x")
    run(plan(step("a_block", action)), facts, tmp_path)
    once = profile.read_text()
    assert once.count("# >>> dtu-install brew >>>") == 1 and once.startswith("export A=1\n")
    assert (tmp_path / ".zprofile.dtu-install.bak").read_text() == "export A=1"
    run(plan(step("a_block", action)), facts, tmp_path)
    assert profile.read_text() == once
    changed = ProfileBlockAction((str(profile),), "brew", "eval y")
    run(plan(step("a_block", changed)), facts, tmp_path)
    assert profile.read_text().count("dtu-install brew") == 2 and "eval y" in profile.read_text()
    assert "eval x" not in profile.read_text()
    assert (tmp_path / ".zprofile.dtu-install.bak").read_text() == "export A=1"


BEGIN, END = "# >>> dtu-install brew >>>", "# <<< dtu-install brew <<<"


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        (f"export A=1\n{BEGIN}\neval old\nalias ll='ls -l'\nexport B=2\n", 2, "without its end"),
        (f"export A=1\neval old\n{END}\nexport B=2\n", 3, "without its begin"),
        (f"{END}\nexport A=1\n{BEGIN}\nexport B=2\n", 1, "comes before"),
        (f"{BEGIN}\na\n{END}\nuser\n{BEGIN}\nb\n{END}\n", 5, "2 begin markers"),
    ],
    ids=["end-deleted", "begin-deleted", "swapped", "two-blocks"],
)
def test_profile_block_with_unpaired_markers_is_never_rewritten(facts, tmp_path, text, line, why):
    # Issue 14 item 4: with the end marker deleted, one run appended a second block and the
    # next replaced everything from the first begin marker to the new end: the user's lines
    # in between were gone (and the backup, taken once, did not have them either).
    profile = tmp_path / ".zprofile"
    other = tmp_path / ".bash_profile"
    profile.write_text(text)
    action = ProfileBlockAction((str(other), str(profile)), "brew", "eval new")
    for _ in range(2):
        out = run(plan(step("a_block", action)), facts, tmp_path).outcomes[0]
        assert (out.status, out.category) == (Status.FAILED, ErrorCategory.UNKNOWN)
        assert f"{profile}:{line}: the dtu-install 'brew' block's markers are not paired" in (
            out.reason
        )
        assert why in out.reason and "left unchanged" in out.reason
        assert profile.read_text() == text
        assert not other.exists()  # checked before anything is written
    assert not (tmp_path / ".zprofile.dtu-install.bak").exists()


def test_file_actions_write_through_a_symlink_to_its_target(facts, tmp_path):
    # Issue 14 item 6: a dotfiles manager's link became a regular file (the repository's
    # copy was left behind, and the next `git pull` of the dotfiles no longer applied).
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "zprofile").write_text("export A=1\n")
    (dotfiles / "settings.json").write_text('{"a": 1}')
    profile, settings = tmp_path / ".zprofile", tmp_path / "settings.json"
    profile.symlink_to(dotfiles / "zprofile")
    settings.symlink_to(dotfiles / "settings.json")
    steps = (
        step("a_block", ProfileBlockAction((str(profile),), "brew", "eval x")),
        step("b_settings", JsonSettingsAction(str(settings), {"b": 2})),
    )
    outcomes = run(plan(*steps), facts, tmp_path).outcomes
    assert [o.status for o in outcomes] == [Status.SUCCESS] * 2, outcomes
    assert profile.is_symlink() and settings.is_symlink()
    assert "eval x" in (dotfiles / "zprofile").read_text()
    assert json.loads((dotfiles / "settings.json").read_text()) == {"a": 1, "b": 2}
    assert (dotfiles / "zprofile.dtu-install.bak").read_text() == "export A=1\n"


@pytest.mark.parametrize("kind", ["fifo", "link-to-fifo"])
def test_a_json_settings_check_never_reads_a_fifo(facts, tmp_path, kind):
    # Issue 14 items 6 and 11: the action refused a FIFO, but the step's json_settings check
    # (vscode_settings_dtu has one) opened it first and the run hung there before the action
    # could say so; a link to /dev/zero was read without end. Now the check refuses it unread
    # (the key counts as missing) and the action fails the step with its clear message.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = fifo
    if kind == "link-to-fifo":
        path = tmp_path / "settings.json"
        path.symlink_to(fifo)
    check = JsonSettingsCheck(str(path), {"b": 2})
    steps = (step("a_settings", JsonSettingsAction(str(path), {"b": 2}), checks=(check,)),)
    outcomes: list = []
    runner = threading.Thread(
        target=lambda: outcomes.extend(run(plan(*steps), facts, tmp_path).outcomes), daemon=True
    )
    runner.start()
    runner.join(15)
    hung = runner.is_alive()
    if hung:  # release the blocked reader
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        runner.join(15)
    assert not hung, "the json_settings check hung on opening a FIFO"
    assert outcomes and outcomes[0].status is Status.FAILED, outcomes
    assert "is a FIFO (named pipe), not a regular file" in outcomes[0].reason
    assert fifo.exists() and not fifo.is_file()


@pytest.mark.parametrize("kind", ["fifo", "directory", "link-to-fifo"])
def test_file_actions_refuse_what_is_not_a_regular_file(facts, tmp_path, kind):
    # Issue 14 item 6: as root, json_settings on /dev/null replaced the device with a file;
    # a FIFO hung the step on its read. (A FIFO here: the test runs as root, and /dev/null
    # must not be put at risk.)
    path = tmp_path / "special"
    if kind == "directory":
        path.mkdir()
    else:
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        if kind == "fifo":
            path = fifo
        else:
            path.symlink_to(fifo)
    steps = (
        step("a_settings", JsonSettingsAction(str(path), {"b": 2}), on_failure="continue"),
        step("b_block", ProfileBlockAction((str(path),), "brew", "eval x")),
    )
    outcomes: list = []
    runner = threading.Thread(
        target=lambda: outcomes.extend(run(plan(*steps), facts, tmp_path).outcomes), daemon=True
    )
    runner.start()
    runner.join(15)
    if runner.is_alive() and kind != "directory":  # release the blocked reader
        os.close(os.open(tmp_path / "fifo", os.O_WRONLY | os.O_NONBLOCK))
    assert not runner.is_alive(), "the step hung on reading a FIFO"
    kind_text = "a directory" if kind == "directory" else "a FIFO (named pipe)"
    for out in outcomes:
        assert out.status is Status.FAILED, out
        assert f"is {kind_text}, not a regular file; it was left unchanged" in out.reason
    assert len(outcomes) == 2
    assert path.is_dir() if kind == "directory" else path.is_fifo()


def test_json_settings_merge_keep_comments_refuse_broken(facts, tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"editor.fontSize": 14}')
    the_step = step(
        "a_settings", JsonSettingsAction(str(path), {"python.defaultInterpreterPath": "/x"})
    )
    assert run(plan(the_step), facts, tmp_path).outcomes[0].status is Status.SUCCESS
    assert json.loads(path.read_text()) == {
        "editor.fontSize": 14,
        "python.defaultInterpreterPath": "/x",
    }
    path.write_text('{\n // a comment\n "a": 1}')
    assert run(plan(the_step), facts, tmp_path).outcomes[0].status is Status.SUCCESS
    assert path.read_text() == (
        '{\n // a comment\n "a": 1,\n "python.defaultInterpreterPath": "/x"\n}'
    )
    path.write_text('{\n // a comment\n "a": 1,,}')
    out = run(plan(the_step), facts, tmp_path).outcomes[0]
    assert out.status is Status.FAILED and "line 3:" in out.reason
    assert "it was left unchanged" in out.reason
    assert path.read_text() == '{\n // a comment\n "a": 1,,}'


def test_log_never_contains_secrets(facts, tmp_path, monkeypatch):
    monkeypatch.setenv("PIWIK_CLIENT_SECRET", "s3cr3t-value")
    from installer.kinds.actions.command import CommandAction

    the_step = step(
        "a_env",
        CommandAction(
            ("sh", "-c", "echo token=$MY_TOKEN $PIWIK_CLIENT_SECRET"), env={"MY_TOKEN": "tok-12345"}
        ),
    )
    run(plan(the_step), facts, tmp_path)
    log = (tmp_path / "run.log").read_text()
    assert "token=***" in log and "s3cr3t-value" not in log and "tok-12345" not in log


def test_sink_failure_never_breaks_the_run(facts, tmp_path):
    class Broken:
        def record(self, outcome):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

        def close(self) -> None:
            pass

    result = run(plan(cmd("a_one", "true")), facts, tmp_path, sinks=[Broken()])
    assert result.exit_code == 0


def test_root_refused_outside_container(facts, tmp_path, monkeypatch):
    import dataclasses

    from installer.errors import UsageError
    from installer.runner import safety

    monkeypatch.setattr(safety, "CONTAINER_MARKERS", ())
    with pytest.raises(UsageError, match="do not run dtu-install as root"):
        run(plan(cmd("a_one", "true")), dataclasses.replace(facts, is_root=True), tmp_path)
    monkeypatch.setenv("CI", "true")
    assert (
        run(
            plan(cmd("a_one", "true")), dataclasses.replace(facts, is_root=True), tmp_path
        ).exit_code
        == 0
    )


def test_live_display_renders_steps_and_downloads(facts, tmp_path, server, sleeps):
    """The interactive display (rich) on a terminal-like console: bars, then the summary."""
    import io

    from rich.console import Console

    from installer.runner.display import LiveDisplay, print_summary
    from installer.runner.engine import run_plan
    from installer.steps.context import RunOptions
    from tests.runner.conftest import download, sha

    data = b"x" * 300_000
    url = server.add("/f.bin", data)
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system=None, width=100)
    steps = (
        cmd("a_one", "true"),
        download("b_fetch", url, tmp_path / "f", sha(data)),
        cmd("c_fail", "false", retries=RetryPolicy(1)),
    )
    display = LiveDisplay(console, len(steps))
    options = RunOptions(log_path=tmp_path / "run.log", verify=server.ca_path, interactive=True)
    try:
        result = run_plan(plan(*steps), facts, options, [display], events=display)
    finally:
        display.close()
    print_summary(console, result)
    text = buffer.getvalue()
    assert "a_one" in text and "b_fetch" in text and "Summary" in text
    assert "c_fail failed" in text and "unknown_error" in text and "Help:" in text


@pytest.mark.parametrize("width", [80, 60, 40])
def test_live_progress_keeps_the_download_size_visible_beside_a_long_description(
    width: int,
) -> None:
    # Before: a long step description took the whole line and "3.1/6.0 MB" became "3.1/…"
    # at 80 columns; at 40 the sizes vanished.
    import io

    from rich.console import Console

    from installer.kinds.actions.command import CommandAction
    from installer.runner.display import LiveDisplay
    from installer.steps.model import PlannedStep

    console = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=width)
    display = LiveDisplay(console, 5)
    try:
        long = "Install Visual Studio Code into /Applications and put `code` on the PATH"
        display.step_started(PlannedStep("vscode_install", "vscode", long, CommandAction(("x",))))
        display.download_progress("vscode_download", 3_100_000, 6_000_000)
        line = Console(file=io.StringIO(), width=width, color_system=None)
        with line.capture() as captured:
            line.print(display.progress.get_renderable())
        rows = captured.get().splitlines()
    finally:
        display.close()
    assert any("3.1/6.0 MB" in row for row in rows), rows
    assert any("0/5 steps" in row for row in rows), rows
    assert all(len(row) <= width for row in rows)


def test_a_background_process_holding_the_pipe_does_not_hang_the_step(facts, tmp_path):
    script = "sleep 30 & echo started; echo no newline at the end | tr -d '\\n'"
    started = time.monotonic()
    out = run(plan(step("x_daemon", ShellAction(script))), facts, tmp_path).outcomes[0]
    assert out.status is Status.SUCCESS
    assert time.monotonic() - started < 20  # not the 30 s the daemon holds the pipe
    log = (tmp_path / "run.log").read_text()
    assert "| started" in log and "| no newline at the end" in log


def test_extract_zip_and_tar(facts, tmp_path):
    import tarfile
    import zipfile

    from installer.kinds.actions.extract import ExtractAction

    src = tmp_path / "src"
    src.mkdir()
    (src / "App.txt").write_text("hello")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.write(src / "App.txt", "Visual Studio Code.app/App.txt")
    with tarfile.open(tmp_path / "a.tar.gz", "w:gz") as t:
        t.add(src / "App.txt", "pkg/App.txt")
    steps = (
        step("a_unzip", ExtractAction(str(tmp_path / "a.zip"), str(tmp_path / "Applications"))),
        step("b_untar", ExtractAction(str(tmp_path / "a.tar.gz"), str(tmp_path / "opt"))),
        step("c_missing", ExtractAction(str(tmp_path / "none.zip"), str(tmp_path / "x"))),
    )
    result = run(plan(*steps), facts, tmp_path)
    assert [o.status for o in result.outcomes] == [Status.SUCCESS, Status.SUCCESS, Status.FAILED]
    assert (tmp_path / "Applications" / "Visual Studio Code.app" / "App.txt").read_text() == "hello"
    assert (tmp_path / "opt" / "pkg" / "App.txt").read_text() == "hello"
    assert result.outcomes[2].category is ErrorCategory.MISSING_DEPENDENCY


def test_a_tar_failure_names_the_member_and_why(facts, tmp_path):
    # Issue 14 item 19: the reason was tar's last line, "Exiting with failure status due to
    # previous errors", and a hard link to something outside the destination was
    # missing_dependency (tar's "No such file or directory" read as a missing program).
    import io
    import tarfile

    from installer.kinds.actions.extract import ExtractAction

    with tarfile.open(tmp_path / "links.tar", "w") as archive:
        data = tarfile.TarInfo("pkg/ok.txt")
        data.size = 2
        archive.addfile(data, io.BytesIO(b"ok"))
        link = tarfile.TarInfo("pkg/evil")
        link.type = tarfile.LNKTYPE
        link.linkname = "../../outside/secret"
        archive.addfile(link)
    (tmp_path / "cut.tar").write_bytes((tmp_path / "links.tar").read_bytes()[:700])
    steps = (
        step("a_links", ExtractAction(str(tmp_path / "links.tar"), str(tmp_path / "a")), **_go_on),
        step("b_cut", ExtractAction(str(tmp_path / "cut.tar"), str(tmp_path / "b")), **_go_on),
    )
    links, cut = run(plan(*steps), facts, tmp_path).outcomes
    assert (links.status, links.category) == (Status.FAILED, ErrorCategory.UNKNOWN)
    assert "pkg/evil: Cannot hard link to" in links.reason, links.reason
    assert "Exiting with failure status" not in links.reason + cut.reason
    assert "tar exited with code 2: tar: Unexpected EOF in archive" in cut.reason, cut.reason
    assert not (tmp_path / "a" / "pkg").exists()  # nothing half-unpacked is left


_go_on = {"on_failure": "continue", "retries": RetryPolicy(attempts=1)}


def test_unwritable_log_place_does_not_stop_the_install(facts, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = run(plan(cmd("a_one", "true")), facts, tmp_path, log_path=blocker / "run.log")
    assert result.exit_code == 0 and result.log_path is None


@pytest.mark.parametrize("levels", [101, 600, 100_000])
def test_a_settings_file_nested_too_deeply_is_a_located_refusal(facts, tmp_path, levels):
    # Issue 14 item 9, in the student's own settings.json: about 500 levels ended the step
    # (check and action alike) in "RecursionError: maximum recursion depth exceeded".
    from installer.kinds.checks.json_settings import JsonSettingsCheck

    settings = tmp_path / "settings.json"
    text = '{\n"a": ' + "[" * levels + "]" * levels + "}\n"
    settings.write_text(text)
    check = JsonSettingsCheck(str(settings), {"b": 2})
    action = JsonSettingsAction(str(settings), {"b": 2})
    outcome = run(plan(step("a_settings", action, checks=(check,))), facts, tmp_path).outcomes[0]
    assert outcome.status is Status.FAILED, outcome
    assert "Recursion" not in outcome.reason
    assert f"{settings} is not a JSON object (with comments) at line 2: nested too deeply" in (
        outcome.reason
    )
    assert settings.read_text() == text


def test_a_settings_file_nested_at_the_limit_is_edited(facts, tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text('{"a": ' + "[" * 99 + "]" * 99 + "}\n")
    run(plan(step("a_settings", JsonSettingsAction(str(settings), {"b": 2}))), facts, tmp_path)
    assert json.loads(settings.read_text())["b"] == 2
