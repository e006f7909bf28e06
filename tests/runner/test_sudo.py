"""`sudo: {reason, prime: true}`: a command that calls sudo itself (Homebrew's install script).

A fake `sudo` first on PATH behaves like macOS sudo with `timestamp_type=tty`: a password
typed once is cached for that terminal and session only; `sudo -n` without a cached password
fails at once. It records every call with its arguments and whether it had a terminal.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import pty
import select
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

from installer.errors import InputFileError
from installer.events.outcome import ErrorCategory, Status
from installer.kinds.actions.command import CommandAction
from installer.platform.facts import Facts
from installer.runner.command import load_plan
from installer.runner.display import LiveDisplay, make_console
from tests.runner.conftest import plan, run, step

REPO = Path(__file__).resolve().parents[2]
PASSWORD = b"secret"

FAKE_SUDO = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys, time
    state = os.environ["FAKE_SUDO_DIR"]
    ttl = float(os.environ.get("FAKE_SUDO_TTL", "3600"))  # macOS: timestamp_timeout, 5 min
    args = sys.argv[1:]
    try:
        tty_fd = os.open("/dev/tty", os.O_RDWR)
        tty = os.ttyname(tty_fd)
    except OSError:
        tty_fd, tty = None, None
    key = "%s|%s" % (tty, os.getsid(0))  # macOS: per terminal and session
    with open(os.path.join(state, "calls.jsonl"), "a") as log:
        log.write(json.dumps({{"args": args, "tty": tty is not None, "key": key}}) + "\\n")
    opts = []
    while args and args[0].startswith("-"):
        opts.append(args.pop(0))
    ticket = os.path.join(state, "ticket")
    cached = (tty is not None and os.path.exists(ticket) and open(ticket).read() == key
              and time.time() - os.path.getmtime(ticket) < ttl)
    if not cached and os.environ.get("FAKE_SUDO_NOPASSWD") != "1":
        if "-n" in opts:
            sys.stderr.write("sudo: a password is required\\n")
            sys.exit(1)
        if tty_fd is None:
            sys.stderr.write("sudo: a terminal is required to read the password\\n")
            sys.exit(1)
        os.write(tty_fd, b"Password:")
        answer = b""
        while not answer.endswith(b"\\n"):
            chunk = os.read(tty_fd, 1)
            if not chunk:
                break
            answer += chunk
        if answer.strip() != {password!r}:
            os.write(tty_fd, b"Sorry, try again.\\n")
            sys.exit(1)
        with open(ticket, "w") as out:
            out.write(key)
    if "-v" in opts:
        if cached:
            os.utime(ticket)  # -v refreshes the ticket
        sys.exit(0)
    os.execvp(args[0], args)
    """
)

# What Homebrew's install.sh does under NONINTERACTIVE=1: `sudo -n` to check, then use it.
INSTALL_SCRIPT = textwrap.dedent(
    """\
    #!/bin/sh
    sudo -n true || {{ echo "Need sudo access (the user needs to be an Administrator)!"; exit 1; }}
    sudo -n touch "{created}"
    echo "Installation successful!"
    """
)


@dataclasses.dataclass
class FakeSudo:
    state: Path
    bin_dir: Path
    script: Path

    @property
    def created(self) -> Path:
        return self.state / "created"

    def calls(self) -> list[dict[str, object]]:
        path = self.state / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}",
            "FAKE_SUDO_DIR": str(self.state),
            **extra,
        }


@pytest.fixture
def fake_sudo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSudo:
    state, bin_dir = tmp_path / "sudo-state", tmp_path / "bin"
    state.mkdir()
    bin_dir.mkdir()
    sudo = bin_dir / "sudo"
    sudo.write_text(FAKE_SUDO.format(python=sys.executable, password=PASSWORD))
    sudo.chmod(0o755)
    script = tmp_path / "install.sh"
    script.write_text(INSTALL_SCRIPT.format(created=state / "created"))
    script.chmod(0o755)
    fake = FakeSudo(state, bin_dir, script)
    for name, value in fake.env().items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)
    return fake


def primed_step(script: Path, prime: bool = True, reason: str | None = "it creates /opt/x"):
    action = CommandAction(argv=(str(script),), env={"NONINTERACTIVE": "1"})
    return step("brew_install", action, sudo=reason, sudo_prime=prime, timeout=20)


def as_user(facts: Facts) -> Facts:
    return dataclasses.replace(facts, is_root=False)  # the test may run as root in a container


# ---------------------------------------------------------------- no one to type a password
def test_noninteractive_prime_fails_fast_with_a_clear_permission_error(
    fake_sudo: FakeSudo, facts: Facts, tmp_path: Path
) -> None:
    started = time.monotonic()
    result = run(plan(primed_step(fake_sudo.script)), as_user(facts), tmp_path, assume_yes=True)
    elapsed = time.monotonic() - started
    [outcome] = result.outcomes
    assert (outcome.status, outcome.category, outcome.attempts) == (
        Status.FAILED,
        ErrorCategory.PERMISSION,
        1,
    )
    assert "administrator rights" in outcome.reason and "without --yes" in outcome.reason
    # Only the probe ran, without a terminal; the install script never started.
    assert [c["args"] for c in fake_sudo.calls()] == [["-n", "true"]]
    assert not fake_sudo.created.exists()
    assert elapsed < 10  # no waiting for a password that cannot come (a hang detector)


def test_noninteractive_prime_with_passwordless_sudo_runs_the_command_itself(
    fake_sudo: FakeSudo, facts: Facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub's macOS runners: sudo needs no password, so the probe passes and the script
    runs (not under sudo: Homebrew's script refuses root)."""
    monkeypatch.setenv("FAKE_SUDO_NOPASSWD", "1")
    result = run(plan(primed_step(fake_sudo.script)), as_user(facts), tmp_path, assume_yes=True)
    assert result.outcomes[0].status is Status.SUCCESS, result.outcomes[0].reason
    assert [c["args"] for c in fake_sudo.calls()] == [
        ["-n", "true"],  # the runner's probe
        ["-n", "true"],  # the script's own check
        ["-n", "touch", str(fake_sudo.created)],
    ]
    assert fake_sudo.created.exists()


def test_a_plain_reason_still_runs_the_command_under_sudo_n(
    fake_sudo: FakeSudo, facts: Facts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SUDO_NOPASSWD", "1")
    the_step = primed_step(fake_sudo.created, prime=False)
    target = str(tmp_path / "x")  # never the working directory (the checkout)
    the_step = dataclasses.replace(the_step, action=CommandAction(("touch", target)))
    result = run(plan(the_step), as_user(facts), tmp_path, assume_yes=True)
    assert result.outcomes[0].status is Status.SUCCESS
    assert [c["args"] for c in fake_sudo.calls()] == [["-n", "touch", target]]
    assert Path(target).exists()


# ---------------------------------------------------------------- a student at a terminal
DRIVER = textwrap.dedent(
    """
    import json, os, signal, sys
    # As in a Terminal session (a test runner may have inherited these as ignored).
    signal.signal(signal.SIGTTIN, signal.SIG_DFL)
    signal.signal(signal.SIGTTOU, signal.SIG_DFL)
    from installer.platform.facts import Facts
    from installer.steps.model import Plan, PlannedStep
    from installer.kinds.actions.command import CommandAction
    from installer.steps.context import RunEvents, RunOptions
    from installer.runner.engine import run_plan

    class Shown(RunEvents):
        def notice(self, message):
            print("NOTICE", message, flush=True)
        def output_line(self, step, line):
            print("OUT", line, flush=True)

    mode, script = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        from installer.steps import sudo
        sudo.KEEPALIVE_SECONDS = float(sys.argv[3])
    facts = Facts(os_name="Linux", os_version="6", arch="x86_64", translated=False,
                  shell="bash", home=os.environ["HOME"], free_disk_bytes=1, is_admin=True,
                  is_root=False, ci=False, interactive=True)
    step = PlannedStep("brew_install", "brew", "install", CommandAction(
        (script,), env={"NONINTERACTIVE": "1"}), timeout=20,
        sudo="it creates /opt/x" if mode == "prime" else None, sudo_prime=mode == "prime")
    result = run_plan(Plan(("t",), (step,)), facts, RunOptions(interactive=True), [], Shown())
    print("RESULT", json.dumps(result.serialize()["steps"][0]), flush=True)
    """
)


class Terminal:
    """The driver on a pseudo-terminal, as a student runs dtu-install in Terminal.app."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: a session leader with the pty as its terminal
            os.chdir(REPO)
            os.execve(sys.executable, [sys.executable, *argv], env)
        self.output = b""

    def read_until(self, marker: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while marker not in self.output and time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                self.output += chunk
        return marker in self.output

    def type(self, data: bytes) -> None:
        os.write(self.fd, data)

    def close(self) -> int:
        with contextlib.suppress(ProcessLookupError):  # it may have finished already
            os.kill(self.pid, signal.SIGKILL)
        status = os.waitpid(self.pid, 0)[1]
        os.close(self.fd)
        return status

    def result(self) -> dict[str, object]:
        assert self.read_until(b"RESULT", 30), self.output.decode(errors="replace")
        assert self.read_until(b"}", 5)
        line = self.output.split(b"RESULT ", 1)[1].split(b"\n", 1)[0]
        return dict(json.loads(line))


def start(
    tmp_path: Path,
    fake: FakeSudo,
    mode: str,
    *extra: str,
    script: Path | None = None,
    **env_extra: str,
) -> Terminal:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = fake.env(PYTHONPATH=str(REPO), TERM="dumb", **env_extra)
    env.pop("FAKE_SUDO_NOPASSWD", None)
    return Terminal([str(driver), mode, str(script or fake.script), *extra], env)


def test_interactive_prime_asks_once_on_the_terminal_and_the_script_finds_the_ticket(
    fake_sudo: FakeSudo, tmp_path: Path
) -> None:
    term = start(tmp_path, fake_sudo, "prime")
    try:
        assert term.read_until(b"Password:", 20), term.output.decode(errors="replace")
        term.type(PASSWORD + b"\n")
        outcome = term.result()
    finally:
        term.close()
    shown = term.output.decode(errors="replace")
    assert outcome["status"] == "success", shown
    # Why first, in plain words, then sudo's own prompt.
    assert shown.index("needs administrator rights: it creates /opt/x") < shown.index("Password:")
    assert "Installation successful!" in shown
    calls = fake_sudo.calls()
    assert [c["args"] for c in calls] == [
        ["-v"],  # the runner, on the terminal
        ["-n", "true"],  # the script's own check: finds the ticket
        ["-n", "touch", str(fake_sudo.created)],
    ]
    assert all(c["tty"] for c in calls)
    assert len({c["key"] for c in calls}) == 1  # same terminal, same session
    assert fake_sudo.created.exists()


def test_interactive_wrong_password_is_a_permission_error_and_the_script_never_starts(
    fake_sudo: FakeSudo, tmp_path: Path
) -> None:
    term = start(tmp_path, fake_sudo, "prime")
    try:
        assert term.read_until(b"Password:", 20), term.output.decode(errors="replace")
        term.type(b"wrong\n")
        outcome = term.result()
    finally:
        term.close()
    assert (outcome["status"], outcome["error_category"]) == ("failed", "permission_error")
    assert "not granted" in str(outcome["reason"])
    assert [c["args"] for c in fake_sudo.calls()] == [["-v"]]


def test_without_prime_the_scripts_sudo_n_fails_in_its_own_session(
    fake_sudo: FakeSudo, tmp_path: Path
) -> None:
    """The reported bug, reproduced by the fake: a step that calls sudo itself, started in
    a new session without the terminal, cannot use a ticket, so `sudo -n` fails."""
    term = start(tmp_path, fake_sudo, "none")
    try:
        outcome = term.result()
    finally:
        term.close()
    assert outcome["status"] == "failed"
    assert [(c["args"], c["tty"]) for c in fake_sudo.calls()] == [(["-n", "true"], False)]


# Homebrew's script calls `sudo -n` again after its git fetch, minutes later.
SLOW_SCRIPT = """\
#!/bin/sh
sudo -n true || exit 1
sleep 2.5
sudo -n touch "{created}" || {{ echo "the password was forgotten"; exit 1; }}
"""


def _slow_install(tmp_path: Path, fake: FakeSudo, keepalive: str) -> dict[str, object]:
    script = tmp_path / "slow.sh"
    script.write_text(SLOW_SCRIPT.format(created=fake.created))
    script.chmod(0o755)
    term = start(tmp_path, fake, "prime", keepalive, script=script, FAKE_SUDO_TTL="1.2")
    try:
        assert term.read_until(b"Password:", 20), term.output.decode(errors="replace")
        term.type(PASSWORD + b"\n")
        return term.result()
    finally:
        term.close()


def test_the_ticket_is_kept_alive_while_a_long_primed_command_runs(fake_sudo, tmp_path):
    outcome = _slow_install(tmp_path, fake_sudo, keepalive="0.2")
    assert outcome["status"] == "success", outcome
    refreshes = [c for c in fake_sudo.calls() if c["args"] == ["-n", "-v"]]
    assert refreshes and all(c["tty"] for c in refreshes)
    assert len({c["key"] for c in fake_sudo.calls()}) == 1  # same terminal and session


def test_without_the_keepalive_a_long_command_loses_the_ticket(fake_sudo, tmp_path):
    """The fake's expiry is real: with refreshes too rare, the late `sudo -n` fails."""
    outcome = _slow_install(tmp_path, fake_sudo, keepalive="1000")
    assert outcome["status"] == "failed"
    assert not fake_sudo.created.exists()


# ---------------------------------------------------------------- the recipe syntax
RECIPE = """\
recipe: tool
steps:
  - name: tool_install
    command: [/bin/true]
    sudo: {sudo}
"""


@pytest.mark.parametrize(
    ("value", "reason", "prime"),
    [
        ("writes to /usr/local", "writes to /usr/local", False),
        ("{reason: calls sudo itself, prime: true}", "calls sudo itself", True),
        ("{reason: only the reason}", "only the reason", False),
    ],
)
def test_recipe_sudo_forms(tmp_path: Path, facts: Facts, value: str, reason: str, prime: bool):
    (tmp_path / "tool.yaml").write_text(RECIPE.format(sudo=value))
    [planned] = load_plan(["tool"], [tmp_path], facts).steps
    assert (planned.sudo, planned.sudo_prime) == (reason, prime)


def test_recipe_prime_without_a_reason_is_rejected(tmp_path: Path, facts: Facts) -> None:
    (tmp_path / "tool.yaml").write_text(RECIPE.format(sudo="{prime: true}"))
    with pytest.raises(InputFileError) as caught:
        load_plan(["tool"], [tmp_path], facts)
    assert "reason" in str(caught.value.problems)


def test_the_live_display_prints_a_terminal_commands_output_while_paused() -> None:
    """While a sudo step has the terminal the spinner is stopped; its output (Homebrew's
    "==> ..." lines) is printed as it comes instead of vanishing into a stopped display."""
    out = io.StringIO()
    display = LiveDisplay(make_console(out), 1)
    the_step = primed_step(Path("/bin/true"))
    display.output_line(the_step, "shown beside the spinner only")
    display.pause()
    display.output_line(the_step, "==> Installing [Homebrew]")
    display.resume()
    display.close()
    assert "==> Installing [Homebrew]" in out.getvalue()
