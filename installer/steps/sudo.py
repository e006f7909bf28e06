"""Administrator rights for the steps that declare `sudo:` (docs/runner.md, "Safety").

Two ways a step can need them:

- `sudo: <reason>`: the runner runs the command under `sudo`. Interactive runs let sudo ask
  for the password on the terminal; otherwise `sudo -n`, which fails at once.
- `sudo: {reason, prime: true}`: the command calls sudo itself and must not run as root
  (Homebrew's install script). With NONINTERACTIVE=1 such a script checks its rights with
  `sudo -n`, which only works if a ticket is already cached, and macOS caches tickets per
  terminal and session (`timestamp_type=tty`). So in an interactive run the runner first
  runs `sudo -v` on the terminal (sudo's own password prompt), then runs the command in the
  foreground of the same terminal and session, where the script's own `sudo` finds the
  ticket. Without anyone to answer, `sudo -n true` is tried first, run the way the command
  will be (own process group, no terminal): it passes where sudo needs no password (GitHub's
  macOS runners) and otherwise fails fast with a clear permission_error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from installer.common.quiet_command import quiet_output
from installer.events.outcome import ErrorCategory
from installer.steps.context import RunContext
from installer.steps.failure import StepError
from installer.steps.model import PlannedStep
from installer.steps.process import run_process

SUDO = "sudo"
PRIME_ARGV: tuple[str, ...] = (SUDO, "-v")  # ask for the password, cache a ticket, run nothing
PROBE_ARGV: tuple[str, ...] = (SUDO, "-n", "true")  # would a password be needed?
PASSWORD_TIMEOUT = 900.0  # seconds; sudo's own passwd_timeout (5 min) normally ends it first
PROBE_TIMEOUT = 30.0  # `sudo -n` never waits for a person; this only guards a broken sudo
# macOS sudo forgets the password after 5 minutes unused, and Homebrew's script calls
# `sudo -n` again after its git fetch (/etc/paths.d), which can take longer on a slow line.
KEEPALIVE_ARGV: tuple[str, ...] = (SUDO, "-n", "-v")  # refresh the ticket, never ask
KEEPALIVE_SECONDS = 60.0

NOT_GRANTED = (
    "administrator rights were not granted (a wrong password, or this account is not an "
    "administrator)"
)
NO_PROMPT = (
    "this step needs administrator rights and no password can be asked for in "
    "non-interactive mode; run it in a terminal without --yes"
)


@dataclass(frozen=True)
class SudoUse:
    """How a step's command is started with respect to sudo."""

    prefix: tuple[str, ...] = ()  # put before the command's argv
    keeps_terminal: bool = False  # runs in the foreground on the run's terminal
    prime: bool = False  # the password is asked for (or its absence checked) first
    may_prompt: bool = False  # someone can type a password

    @property
    def needed(self) -> bool:
        return bool(self.prefix) or self.prime


def sudo_use(step: PlannedStep, ctx: RunContext) -> SudoUse:
    if step.sudo is None or ctx.facts.is_root:
        return SudoUse()
    may_prompt = ctx.options.may_prompt
    if step.sudo_prime:
        return SudoUse((), keeps_terminal=may_prompt, prime=True, may_prompt=may_prompt)
    if may_prompt:
        return SudoUse((SUDO,), keeps_terminal=True, may_prompt=True)  # sudo prompts itself
    return SudoUse((SUDO, "-n"))


def prime(step: PlannedStep, ctx: RunContext, use: SudoUse) -> None:
    """Before a priming step's command: get the ticket (interactive) or make sure none is
    needed (non-interactive). Raises a non-retryable permission_error otherwise."""
    if use.may_prompt:
        ctx.events.notice(
            f"{step.name}: sudo now asks for the password you log in to this computer with "
            "(nothing shows while you type it)"
        )
        ctx.events.pause()  # sudo's prompt must not fight the live display
        try:
            result = run_process(
                PRIME_ARGV,
                log=ctx.log,
                label=f"{step.name} (sudo)",
                timeout=PASSWORD_TIMEOUT,
                own_group=False,  # the terminal's session: the ticket is cached for it
            )
        finally:
            ctx.events.resume()
        if result.returncode != 0:
            raise StepError(ErrorCategory.PERMISSION, NOT_GRANTED)
        return
    result = run_process(
        PROBE_ARGV, log=ctx.log, label=f"{step.name} (sudo)", timeout=PROBE_TIMEOUT
    )
    if result.returncode != 0:
        raise StepError(ErrorCategory.PERMISSION, NO_PROMPT)


@contextlib.contextmanager
def ticket_kept_alive(use: SudoUse) -> Iterator[None]:
    """While a primed command runs on the terminal, refresh the ticket every
    KEEPALIVE_SECONDS from the same terminal and session (where the ticket belongs)."""
    if not (use.prime and use.keeps_terminal):
        yield
        return
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(KEEPALIVE_SECONDS):
            quiet_output(KEEPALIVE_ARGV, PROBE_TIMEOUT)  # best effort: a failure is ignored

    thread = threading.Thread(target=refresh, name="sudo-keepalive", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(PROBE_TIMEOUT)


def failure_reason(use: SudoUse, category: ErrorCategory) -> str | None:
    """The plain-words reason when a sudo step's command failed for lack of rights."""
    if category is not ErrorCategory.PERMISSION or not use.prefix:
        return None  # a priming step's command speaks for itself (its last output line)
    return NOT_GRANTED if use.may_prompt else NO_PROMPT
