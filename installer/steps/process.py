"""The one subprocess helper: argv lists (a shell only for `ShellAction`), a timeout, output
streamed line by line into the run log, and the whole process group stopped on timeout or
Ctrl-C so no grandchild keeps running (pre-commit has the same single helper)."""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import selectors
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from installer.events.outcome import ErrorCategory
from installer.steps.failure import StepError, category_for_os_error
from installer.steps.runlog import RunLog, redact_env

TAIL_LINES = 40  # output kept in memory for the failure message and category patterns
TERM_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
EXIT_POLL = 0.5  # seconds between looks at whether the process exited while its pipe stays open
READ_SIZE = 65536


@dataclass(frozen=True)
class ProcessResult:
    returncode: int
    tail: str  # the last lines of output (already redacted)


@functools.lru_cache(maxsize=1)
def _have_controlling_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDONLY))
    except OSError:
        return False
    return True


def _own_group_kwargs() -> dict[str, Any]:
    """Put the command in its own process group: the terminal's Ctrl-C reaches us, not it,
    and we stop its whole group deliberately.

    With a controlling terminal, a new session (setsid): a command that opens /dev/tty to
    prompt then fails at once instead of being stopped by SIGTTIN and hanging until its
    timeout. Without one (CI, --yes from a script, the benchmarks) nothing can stop it that
    way, and on Python 3.11+ `process_group=0` (setpgid) keeps subprocess's fast vfork path:
    setsid cost ~3 ms per step (bench/bench_runner.py). The keyword is built at run time so
    the code still runs on Python 3.9/3.10."""
    if sys.version_info >= (3, 11) and not _have_controlling_terminal():
        return {"process_group": 0}
    return {"start_new_session": True}


def _stop_group(proc: subprocess.Popen[bytes], own_group: bool) -> None:
    if proc.poll() is not None:
        return
    sig_send: Callable[[int], None]
    if own_group:

        def sig_send(sig: int) -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)

    else:
        sig_send = proc.send_signal
    sig_send(signal.SIGTERM)
    sig_send(signal.SIGCONT)  # a stopped process acts on SIGTERM only once it runs again
    try:
        proc.wait(TERM_GRACE)
    except subprocess.TimeoutExpired:
        sig_send(signal.SIGKILL)
        proc.wait()


def run_process(
    argv: Sequence[str],
    *,
    log: RunLog,
    label: str,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timeout: float | None = None,
    own_group: bool = True,
    on_line: Callable[[str], None] | None = None,
) -> ProcessResult:
    """Run `argv` and wait. Raises `StepError` when it cannot start or times out; re-raises
    `KeyboardInterrupt` after stopping the process group. A non-zero exit is a result, not
    an exception: the caller decides what it means."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
        log.add_secrets(env)
        log.write(f"{label}: env {redact_env(env)}")
    log.write(f"{label}: $ {shlex.join(argv)}" + (f"  (cwd {cwd})" if cwd else ""))
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL if own_group else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=cwd,
            **(_own_group_kwargs() if own_group else {}),
        )
    except OSError as exc:
        category = category_for_os_error(exc)
        if category is ErrorCategory.MISSING_DEPENDENCY and cwd and not os.path.isdir(cwd):
            reason = f"working directory {cwd} does not exist"
        elif category is ErrorCategory.MISSING_DEPENDENCY:
            reason = f"command not found: {argv[0]}"
        else:
            reason = f"cannot run {argv[0]}: {exc.strerror or exc}"
        log.write(f"{label}: {reason}")
        raise StepError(category, reason) from exc

    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)

    def emit(raw: bytes) -> None:
        line = log.redact(raw.decode("utf-8", "replace").rstrip("\r\n"))
        tail.append(line)
        log.output(label, line)
        if on_line is not None:
            on_line(line)

    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        _pump(proc, deadline, emit)
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        code = proc.wait(remaining)
    except subprocess.TimeoutExpired:
        _stop_group(proc, own_group)
        log.write(f"{label}: timed out after {timeout:g} s; process group stopped")
        raise StepError(
            ErrorCategory.TIMEOUT, f"{argv[0]} did not finish within {timeout:g} s", retryable=True
        ) from None
    except BaseException:  # Ctrl-C (KeyboardInterrupt) or anything else: never leave it running
        _stop_group(proc, own_group)
        log.write(f"{label}: stopped (interrupted)")
        raise
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    log.write(f"{label}: exit {code}")
    return ProcessResult(code, "\n".join(tail))


def _pump(
    proc: subprocess.Popen[bytes], deadline: float | None, emit: Callable[[bytes], None]
) -> None:
    """Stream the output line by line on this thread (no reader thread per step: that cost
    milliseconds per step on a busy machine, see bench/bench_runner.py) until EOF, or until
    the process has exited and a daemon it started keeps the pipe open."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            wait = EXIT_POLL
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise subprocess.TimeoutExpired(proc.args, 0)
            if not selector.select(wait):
                if proc.poll() is not None:
                    break  # exited; whatever still holds the pipe is not ours to wait for
                continue
            data = os.read(fd, READ_SIZE)
            if not data:
                break
            *lines, pending = (pending + data).split(b"\n")
            for line in lines:
                emit(line)
    if pending:
        emit(pending)
