"""Running a step's program (the `command`, `shell` and `extract` kinds): under sudo when the
step needs it, through the Rosetta launcher, with the step's retries and timeout, and a
failure line a student can read. Returns when the program exits 0, else raises `StepError`.
Also a check's program (the `command` and `version_at_least` checks): `run_check_argv`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping, Sequence

from installer.events.outcome import ErrorCategory
from installer.steps import sudo
from installer.steps.context import CHECK_TIMEOUT, RunContext
from installer.steps.failure import StepError, category_for_exit, retryable_category
from installer.steps.model import PlannedStep
from installer.steps.process import ProcessResult, run_process
from installer.steps.retry import Attempted, with_retries


def run_argv(
    argv: Sequence[str],
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    launcher: Sequence[str] = (),
    explain: Callable[[int, str], tuple[ErrorCategory, str]] | None = None,
) -> None:
    """`explain(returncode, output)`: the category and the line to show for a failure, for a
    program whose last line does not say what went wrong (default: the last line)."""
    use = sudo.sudo_use(step, ctx)
    # sudo first, then the Rosetta launcher: `sudo /usr/bin/arch -arm64 prog`, so that what
    # runs as root is the native process. Messages name `argv[0]`, never the launcher.
    full = [*use.prefix, *launcher, *argv]
    primed = False

    def attempt() -> None:
        nonlocal primed
        if use.prime and not primed:
            sudo.prime(step, ctx, use)  # once; a retry a few seconds later finds the ticket
            primed = True
        if use.keeps_terminal:
            ctx.events.pause()  # sudo's password prompt must not fight the live display
        try:
            with sudo.ticket_kept_alive(use):
                result = run_process(
                    full,
                    log=ctx.log,
                    label=step.name,
                    env=env,
                    cwd=cwd,
                    timeout=step.timeout,
                    own_group=not use.keeps_terminal,
                    on_line=lambda line: ctx.events.output_line(step, line),
                )
        finally:
            if use.keeps_terminal:
                ctx.events.resume()
        if result.returncode != 0:
            if explain is not None:
                category, line = explain(result.returncode, result.tail)
            else:
                category = category_for_exit(result.returncode, result.tail)
                line = (result.tail.strip().splitlines()[-1:] or [""])[0]
            reason = sudo.failure_reason(use, category) or (
                f"{argv[0]} {_how_it_ended(result.returncode)}"
                + (f": {line[:200]}" if line else "")
            )
            raise StepError(category, reason, retryable=retryable_category(category))

    with_retries(step.retries, attempt, _logger(step, ctx), counter)


def run_check_argv(
    argv: Sequence[str], ctx: RunContext, label: str, launcher: Sequence[str]
) -> ProcessResult | None:
    """Run a check's program once (no sudo, no retries, `CHECK_TIMEOUT`); None when it could
    not start or timed out, which the check reads as "not done"."""
    try:
        return run_process(
            [*launcher, *argv], log=ctx.log, label=f"{label} check", timeout=CHECK_TIMEOUT
        )
    except StepError:
        return None


def _how_it_ended(returncode: int) -> str:
    """A negative code is subprocess's way of saying a signal ended the process: "exited
    with code -9" means nothing to a student, "was stopped by SIGKILL" says it was killed."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was stopped by {name}"
    return f"exited with code {returncode}"


def _logger(step: PlannedStep, ctx: RunContext) -> Callable[[int, StepError, float], None]:
    def on_retry(attempt: int, err: StepError, delay: float) -> None:
        ctx.log.write(f"{step.name}: attempt {attempt} failed ({err}); retrying in {delay:.1f} s")
        ctx.events.notice(f"{step.name}: {err}; trying again in {delay:.0f} s")

    return on_retry
