"""The one-time question in a real terminal (a pty): asked once, answered, remembered."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
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

    def __init__(self, args: list[str], env: dict[str, str], columns: int = 80) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become dtu-install
            # The window's size, as Terminal.app tells it to what runs in it.
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
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


def question_lines(output: bytes) -> list[str]:
    text = output.decode(errors="replace").replace("\r\n", "\n")
    start = text.index("dtu-install can send")
    return text[start : text.index(PROMPT.decode(), start)].splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 40])
def test_the_question_fits_the_terminal_window(
    tmp_path: Path, isolated_home: Path, recorder: HitRecorder, columns: int
) -> None:
    """No line of the question is wider than the window (the terminal would break it
    mid-word, "h / ow long it"), and no word is split."""
    env = run_env(isolated_home, recorder.url, TERM="xterm")
    term = Terminal(["run", "--recipes", str(recipes(tmp_path)), "p"], env, columns=columns)
    try:
        assert term.read_until(PROMPT, 30), term.output.decode(errors="replace")
        os.write(term.fd, b"n\n")
        term.finish(30)
    finally:
        term.kill()
    lines = question_lines(term.output)
    assert all(len(line) < columns for line in lines), lines
    words = " ".join(lines).split()
    assert "how" in words and "long" in words and "Apple" in words


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "code", "said"),
    [(b"\x04", 1, b"\r\n(no answer: nothing is sent"), (b"\x03", 130, b"\r\nInterrupted:")],
)
def test_ctrl_d_or_ctrl_c_at_the_question_ends_its_line(
    tmp_path: Path,
    isolated_home: Path,
    recorder: HitRecorder,
    key: bytes,
    code: int,
    said: bytes,
) -> None:
    """Ctrl-D (no answer: the run goes on, nothing stored) and Ctrl-C (exit 130) both end
    the prompt's line with a word, so neither the live progress nor the shell's prompt is
    drawn on the question's line."""
    env = run_env(isolated_home, recorder.url, TERM="xterm")
    term = Terminal(["run", "--recipes", str(recipes(tmp_path)), "p"], env)
    try:
        assert term.read_until(PROMPT, 30), term.output.decode(errors="replace")
        time.sleep(0.2)
        os.write(term.fd, key)
        assert term.finish(30) == code  # 1: tele_fail fails; Ctrl-C: interrupted
    finally:
        term.kill()
    after = term.output.split(PROMPT, 1)[1]
    assert after.lstrip(b"^CD").startswith(said), after[:200]
    assert not (isolated_home / ".config" / "dtu-install" / "telemetry.json").exists()
