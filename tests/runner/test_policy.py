"""Retry policy, categories, concurrency of downloads ahead, and sudo in non-interactive mode."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from installer.events.outcome import ErrorCategory, Status
from installer.kinds.actions.shell import ShellAction
from installer.steps import failure, retry
from installer.steps.failure import StepError
from installer.steps.model import RetryPolicy
from tests.helpers.download_server import DownloadServer
from tests.runner.conftest import download, plan, run, sha, step

REPO = Path(__file__).resolve().parents[2]


def test_backoff_doubles_caps_and_jitters(monkeypatch):
    policy = RetryPolicy(attempts=9, backoff=1.0, max_backoff=5.0)
    monkeypatch.setattr(retry, "uniform", lambda low, high: high)
    assert [retry.backoff_delay(policy, n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    monkeypatch.setattr(retry, "uniform", lambda low, high: low)
    assert retry.backoff_delay(policy, 2, None) == 1.0  # jitter scales down to half
    assert retry.backoff_delay(policy, 1, 30.0) == 30.0  # Retry-After wins when longer


def test_with_retries_stops_on_permanent_errors(sleeps):
    errors = [
        StepError(ErrorCategory.NETWORK, "503", True),
        StepError(ErrorCategory.NETWORK, "404"),
    ]
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise errors[len(calls) - 1]

    counter = retry.Attempted(0)
    with pytest.raises(StepError, match="404"):
        retry.with_retries(RetryPolicy(attempts=5, backoff=1.0), attempt, counter=counter)
    assert counter.attempts == 2 and sleeps == [1.0]


def test_retry_after_beyond_the_cap_fails_clearly(sleeps):
    def attempt() -> None:
        raise StepError(ErrorCategory.NETWORK, "HTTP 429", True, retry_after=3600)

    with pytest.raises(StepError, match="asked to wait 3600 s"):
        retry.with_retries(RetryPolicy(attempts=3), attempt)
    assert sleeps == []


@pytest.mark.parametrize(
    ("code", "output", "category"),
    [
        (127, "", ErrorCategory.MISSING_DEPENDENCY),
        (126, "", ErrorCategory.PERMISSION),
        (1, "sudo: a password is required", ErrorCategory.PERMISSION),
        (1, "write error: No space left on device", ErrorCategory.DISK),
        (1, "curl: (6) Could not resolve host: github.com", ErrorCategory.NETWORK),
        (2, "something odd", ErrorCategory.UNKNOWN),
        # What happened wins over what was printed:
        (127, "Permission denied", ErrorCategory.MISSING_DEPENDENCY),
    ],
)
def test_exit_code_first_output_pattern_as_fallback(code, output, category):
    assert failure.category_for_exit(code, output) is category


def test_every_category_has_advice():
    assert set(failure.ADVICE) == set(ErrorCategory)


def test_downloads_of_later_steps_run_while_earlier_steps_run(facts, tmp_path, sleeps):
    data = os.urandom(1024 * 1024)
    with DownloadServer() as server:
        url = server.add("/f.bin", data, rate=2 * 1024 * 1024)  # 0.5 s each
        steps = [step("a_wait", ShellAction("sleep 3"))]
        steps += [download(f"d{i}_fetch", url, tmp_path / f"{i}.bin", sha(data)) for i in range(3)]
        result = run(plan(*steps), facts, tmp_path, server)
    assert [o.status for o in result.outcomes] == [Status.SUCCESS] * 4
    # All three were fetched and verified while the first step was still running (the log
    # is written in the order things happen); sequentially, none would have started.
    log = (tmp_path / "run.log").read_text()
    first_step_done = log.index("-> a_wait: success")
    for i in range(3):
        assert log.index(f"d{i}_fetch: {len(data)} bytes, sha256") < first_step_done


def test_prefetch_skips_a_step_that_is_already_done(facts, tmp_path, sleeps, server):
    from installer.kinds.checks.path_exists import PathExistsCheck

    url = server.add("/f.bin", b"abc")
    (tmp_path / "done").touch()
    the_step = download(
        "d_fetch",
        url,
        tmp_path / "f.bin",
        sha(b"abc"),
        checks=(PathExistsCheck(str(tmp_path / "done")),),
    )
    result = run(plan(the_step), facts, tmp_path, server)
    assert result.outcomes[0].status is Status.SKIPPED
    assert server.hits("/f.bin") == 0


DRIVER = textwrap.dedent(
    """
    import json, os, sys
    from installer.platform.facts import Facts
    from installer.steps.model import Plan, PlannedStep
    from installer.kinds.actions.command import CommandAction
    from installer.steps.context import RunEvents, RunOptions
    from installer.runner.engine import run_plan

    class Notices(RunEvents):
        said = []
        def notice(self, message):
            self.said.append(message)

    facts = Facts("Linux", "6", "x86_64", False, "bash", os.environ["HOME"], 1, True, False,
                  False, False)
    step = PlannedStep("admin_write", "admin", "write a system file", CommandAction(("true",)),
                       sudo="it writes to /etc")
    events = Notices()
    result = run_plan(Plan(("t",), (step,)), facts, RunOptions(assume_yes=True), [], events)
    print(json.dumps({"said": events.said, "steps": result.serialize()["steps"]}))
    """
)


def test_sudo_step_without_a_tty_fails_fast_with_a_clear_permission_error(tmp_path):
    """A real non-root user, real sudo: `sudo -n` must fail at once, not wait for a password."""
    if os.geteuid() != 0 or not shutil.which("sudo") or not shutil.which("runuser"):
        pytest.skip("needs root (to become another user), sudo and runuser")
    site = next(p for p in sys.path if p.endswith("site-packages"))
    python = "/usr/bin/python3"
    probe = subprocess.run(
        [
            "runuser",
            "-u",
            "nobody",
            "--",
            "env",
            f"PYTHONPATH={REPO}:{site}",
            python,
            "-c",
            "import installer, requests",
        ],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip("no Python that the `nobody` user can run with this checkout's packages")
    home = Path("/tmp") / f"dtu-sudo-{os.getpid()}"
    home.mkdir(mode=0o777, exist_ok=True)
    try:
        started = time.monotonic()
        done = subprocess.run(
            [
                "runuser",
                "-u",
                "nobody",
                "--",
                "env",
                f"HOME={home}",
                f"PYTHONPATH={REPO}:{site}",
                python,
                "-c",
                DRIVER,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["said"] == ["admin_write needs administrator rights: it writes to /etc"]
    [outcome] = data["steps"]
    assert (outcome["status"], outcome["error_category"], outcome["attempts"]) == (
        "failed",
        "permission_error",
        1,
    )
    assert "administrator rights" in outcome["reason"] and "--yes" in outcome["reason"]
    assert elapsed < 20


TTY_DRIVER = textwrap.dedent(
    """
    import json, os, signal
    from installer.platform.facts import Facts
    from installer.steps.model import Plan, PlannedStep
    from installer.kinds.actions.shell import ShellAction

    # As in a Terminal session (a test runner may have inherited these as ignored).
    signal.signal(signal.SIGTTIN, signal.SIG_DFL)
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    from installer.steps.context import RunOptions
    from installer.runner.engine import run_plan

    facts = Facts("Linux", "6", "x86_64", False, "bash", os.environ["HOME"], 1, True,
                  os.geteuid() == 0, False, True)
    step = PlannedStep("tty_prompt", "tty", "asks on the terminal",
                       ShellAction("read answer < /dev/tty"), timeout=10)
    result = run_plan(Plan(("t",), (step,)), facts, RunOptions())
    print("RESULT", json.dumps(result.serialize()["steps"][0]))
    """
)


def test_a_command_prompting_on_the_terminal_fails_fast_instead_of_hanging(tmp_path):
    """Run from a real terminal (a pty from `script`), a step that opens /dev/tty must not
    get the terminal (it would wait, or be stopped by SIGTTIN, until its timeout)."""
    if not shutil.which("script") or sys.platform != "linux":
        pytest.skip("needs util-linux `script` to give the run a controlling terminal")
    driver = tmp_path / "driver.py"
    driver.write_text(TTY_DRIVER)
    # script's stdin stays open (as a person's keyboard would), so the pty stays usable.
    proc = subprocess.Popen(
        ["script", "-qec", f"{sys.executable} {driver}", "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        output = proc.stdout.read()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)
    line = next(x for x in output.splitlines() if x.startswith("RESULT"))
    outcome = json.loads(line.split(" ", 1)[1])
    assert outcome["status"] == "failed" and outcome["error_category"] != "timeout_error"
