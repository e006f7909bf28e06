"""The one-time question in a real terminal (a pty): asked once, answered, remembered."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.hit_recorder import HitRecorder
from tests.telemetry.test_run_e2e import ROOT, recipes, run_env

PROMPT = b"Send these anonymous reports? [y/N] "
QUESTION_END = b"Send these anonymous reports?"
QUIET_SECONDS = 0.6  # rich's live display redraws ten times a second


class Terminal:
    """`dtu-install run` on a pseudo-terminal, as a student starts it in Terminal.app."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become dtu-install
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "installer", *args], env)
        self.output = b""
        self.exit_code: int | None = None

    def kill(self) -> None:
        if self.exit_code is None:
            os.kill(self.pid, signal.SIGKILL)
            self.exit_code = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        os.close(self.fd)

    def read_until(self, marker: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while marker not in self.output and time.monotonic() < deadline:
            self.read_for(0.05)
        return marker in self.output

    def read_for(self, seconds: float) -> bytes:
        got = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                got += chunk
        self.output += got
        return got

    def finish(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.read_for(0.1)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_code = os.waitstatus_to_exitcode(status)
                return self.exit_code
        self.kill()
        raise AssertionError(f"dtu-install did not finish:\n{self.output.decode(errors='replace')}")


def ask_in_terminal(
    tmp_path: Path, home: Path, url: str, answer: bytes
) -> tuple[int, bytes, bytes]:
    env = run_env(home, url, TERM="xterm")
    term = Terminal(["run", "--recipes", str(recipes(tmp_path)), "p"], env)
    try:
        assert term.read_until(QUESTION_END, 30), term.output.decode(errors="replace")
        while_waiting = term.read_for(QUIET_SECONDS)
        os.write(term.fd, answer + b"\n")
        code = term.finish(30)
    finally:
        term.kill()  # only if still running; closes the terminal
    return code, term.output, while_waiting


@pytest.mark.slow
def test_question_answered_yes_is_remembered(
    tmp_path: Path, isolated_home: Path, recorder: HitRecorder
) -> None:
    code, output, _ = ask_in_terminal(tmp_path, isolated_home, recorder.url, b"y")
    assert code == 1  # tele_fail fails; telemetry changes nothing about that
    text = output.decode(errors="replace")
    assert "Not sent:" in text and "telemetry off" in text
    consent = isolated_home / ".config" / "dtu-install" / "telemetry.json"
    assert json.loads(consent.read_text())["enabled"] is True
    assert len(recorder.wait_for_hits(4)) == 4


@pytest.mark.slow
def test_nothing_redraws_over_the_question(
    tmp_path: Path, isolated_home: Path, recorder: HitRecorder
) -> None:
    """The live progress starts only after the answer (the runner opens telemetry first)."""
    _, output, while_waiting = ask_in_terminal(tmp_path, isolated_home, recorder.url, b"n")
    assert PROMPT in output  # the whole prompt, not overwritten
    assert while_waiting == b""
