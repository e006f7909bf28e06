"""What a run needs besides the plan: options from the command line, and the shared state
the executors use (log, network session, display hooks)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from installer.platform.env_flags import says_noninteractive
from installer.platform.facts import Facts
from installer.steps.download import Network
from installer.steps.model import PlannedStep
from installer.steps.runlog import RunLog

DEFAULT_SUPPORT_URL = "https://pythonsupport.dtu.dk/install/"
PREFETCH_WORKERS = 4  # downloads fetched ahead at once; one per typical profile download
CHECK_TIMEOUT = 60.0  # seconds a check command may take before it counts as "not done"


@dataclass(frozen=True)
class RunOptions:
    dry_run: bool = False
    assume_yes: bool = False  # --yes: never prompt
    interactive: bool = False  # a person is watching a terminal (live display, prompts)
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    support_url: str = DEFAULT_SUPPORT_URL
    log_path: Path | None = None  # None: no log file (tests of pure logic)
    verify: bool | str = True  # TLS verification: True or a CA bundle path
    connect_timeout: float = 15.0
    read_timeout: float = 30.0
    stall_seconds: float = 30.0  # download.STALL_SECONDS (a test seam: tests use less)
    prefetch_workers: int = PREFETCH_WORKERS
    # `run --bundle DIR`: downloads come from this offline bundle, never the network
    # (installer/runner/bundle.py).
    bundle: Path | None = None

    @property
    def may_prompt(self) -> bool:
        return self.interactive and not self.assume_yes


def env_is_noninteractive(environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if says_noninteractive(env):  # NONINTERACTIVE (Homebrew's install.sh, ours) or CI
        return True
    return not (sys.stdin.isatty() and sys.stdout.isatty())


def is_interactive(facts: Facts, *, assume_yes: bool) -> bool:
    """`RunOptions.interactive` for `run` and `uninstall`: a person is at a terminal and
    may be asked (not with --yes, NONINTERACTIVE or CI, or without a TTY)."""
    return facts.interactive and not assume_yes and not env_is_noninteractive()


class RunEvents:
    """Display hooks; the default does nothing (the rich display overrides them).

    Called from the main thread, except `download_progress`, which prefetch workers call.
    """

    def step_started(self, step: PlannedStep) -> None:
        pass

    def output_line(self, step: PlannedStep, line: str) -> None:
        pass

    def download_progress(self, label: str, done: int, total: int | None) -> None:
        pass

    def notice(self, message: str) -> None:
        pass

    def pause(self) -> None:
        """A command is about to use the terminal itself (sudo asking for a password)."""

    def resume(self) -> None:
        pass


@dataclass
class RunContext:
    facts: Facts
    options: RunOptions
    log: RunLog
    net: Network
    events: RunEvents = field(default_factory=RunEvents)
    # `run --bundle`: a command step's argv as it reads from the offline bundle (conda's
    # channel, VS Code's .vsix files; installer/runner/bundle.py offline_argv, set by run_plan).
    bundle_argv: Callable[[Sequence[str], PlannedStep], list[str]] | None = None
