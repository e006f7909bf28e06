"""What the person at the terminal sees: live progress (only when interactive), one line per
outcome otherwise, and the summary at the end. Everything shown is made from the
`StepOutcome` values; this is the only runner module that imports rich."""

from __future__ import annotations

import re
import threading
from typing import IO

from rich.console import Console, JustifyMethod
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column, Table

from installer.events.outcome import ErrorCategory, Status, StepOutcome
from installer.runner.result import RunResult
from installer.steps.context import RunEvents
from installer.steps.failure import advice_for
from installer.steps.model import PlannedStep

MB = 1_000_000
OUTPUT_WIDTH = 60  # characters of a command's latest output line shown live
BAR_WIDTH = 20
# What the other columns of a progress line take: spinner 2, bar 21, sizes 15, clock 8.
COLUMNS_BESIDE_DESCRIPTION = 46
MIN_DESCRIPTION = 12  # below this a description says nothing; the bar gives way instead

# How each status looks: (symbol, rich style, word).
STATUS_LOOK: dict[Status, tuple[str, str, str]] = {
    Status.SUCCESS: ("✓", "green", "done"),
    Status.SKIPPED: ("↷", "cyan", "already done"),
    Status.FAILED: ("✗", "red", "failed"),
    Status.INTERRUPTED: ("■", "yellow", "interrupted"),
    Status.NOT_RUN: ("·", "dim", "not run"),
}
# A dry run's steps whose check did not pass are `not_run` too, but they are what a dry run
# is asked to show: they are told apart from those a failure or `--skip` left out.
WOULD_RUN_LOOK: tuple[str, str, str] = ("→", "blue", "would run")
# An uninstall step whose thing dtu-install did not install: skipped, but not "already done"
# (the thing is still there, on purpose; runner/uninstall.py marks it `left`).
LEFT_LOOK: tuple[str, str, str] = ("↷", "yellow", "left as it is")


def look(outcome: StepOutcome) -> tuple[str, str, str]:
    if outcome.status is Status.NOT_RUN and outcome.details.get("dry_run"):
        return WOULD_RUN_LOOK
    if outcome.status is Status.SKIPPED and outcome.details.get("left"):
        return LEFT_LOOK
    return STATUS_LOOK[outcome.status]


def make_console(stream: IO[str] | None = None) -> Console:
    console = Console(file=stream, highlight=False)
    # A log or a pipe gets long lines whole (no width to wrap to); a terminal gets words
    # wrapped at its width, which would otherwise break them mid-word ("eduro / am").
    console.soft_wrap = not console.is_terminal
    return console


class LineDisplay(RunEvents):
    """Non-interactive: one plain line per decided outcome (CI logs read well)."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0

    def notice(self, message: str) -> None:
        self.console.print(escape(message))

    def record(self, outcome: StepOutcome) -> None:
        self.done += 1
        symbol, style, word = look(outcome)
        extra = escape(f" [{outcome.category.value}]") if outcome.category else ""
        self.console.print(
            f"[{style}]{symbol}[/] [{self.done}/{self.total}] {escape(outcome.step)}: {word}"
            f"{extra} ({outcome.duration:.1f} s)"
        )

    def close(self) -> None:
        pass


class LiveDisplay(LineDisplay):
    """Interactive: a spinner for the current step and a bar per download."""

    def __init__(self, console: Console, total: int) -> None:
        super().__init__(console, total)
        self._lock = threading.Lock()
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=BAR_WIDTH),
            TextColumn("{task.fields[info]}", table_column=Column(no_wrap=True, min_width=14)),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._steps = self.progress.add_task("steps", total=total, info=f"0/{total} steps")
        self._downloads: dict[str, TaskID] = {}
        self._paused = False
        self.progress.start()

    def _fit(self, text: str) -> str:
        """`text` cut to what the line has left beside the bar, the sizes and the clock:
        a long step description otherwise pushed "3.1/6.0 MB" off an 80-column Terminal."""
        room = max(MIN_DESCRIPTION, self.console.width - COLUMNS_BESIDE_DESCRIPTION)
        return escape(text if len(text) <= room else text[: room - 1] + "…")

    def step_started(self, step: PlannedStep) -> None:
        self.progress.update(self._steps, description=self._fit(step.description or step.name))

    def output_line(self, step: PlannedStep, line: str) -> None:
        if self._paused:  # the command has the terminal (sudo): show its output as it comes
            self.console.print(escape(line))
            return
        # The command's latest line beside the spinner: a long step visibly does something.
        text = f"{step.description or step.name}: {line.strip()[:OUTPUT_WIDTH]}"
        self.progress.update(self._steps, description=self._fit(text))

    def download_progress(self, label: str, done: int, total: int | None) -> None:
        with self._lock:
            task = self._downloads.get(label)
            if task is None:
                task = self.progress.add_task(self._fit(f"  ↓ {label}"), total=total, info="")
                self._downloads[label] = task
        size = f"{done / MB:.1f}" + (f"/{total / MB:.1f} MB" if total else " MB")
        self.progress.update(task, completed=done, total=total, info=size)

    def record(self, outcome: StepOutcome) -> None:
        with self._lock:
            task = self._downloads.pop(outcome.step, None)
        if task is not None:
            self.progress.remove_task(task)
        super().record(outcome)
        info = f"{self.done}/{self.total} steps"
        self.progress.update(self._steps, completed=self.done, info=info)

    def pause(self) -> None:
        self._paused = True
        self.progress.stop()

    def resume(self) -> None:
        self._paused = False
        self.progress.start()

    def close(self) -> None:
        self.progress.stop()


def summary_table(result: RunResult) -> Table:
    table = Table(title="Summary", show_edge=False, title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("step", "left"),
        ("outcome", "left"),
        ("duration", "right"),
        ("error category", "left"),
    )
    for column, justify in columns:
        # In a narrow window a step name or category is folded onto the next line, never
        # cut short ("homebr…"): it is what the student tells support.
        table.add_column(column, justify=justify, overflow="fold")
    for o in result.outcomes:
        symbol, style, word = look(o)
        table.add_row(
            escape(o.step),
            f"[{style}]{symbol} {word}[/]",
            f"{o.duration:.1f} s",
            o.category.value if o.category else "",
        )
    return table


# With no log file (its folder could not be written), advice that says to send "the log file
# below" points at nothing (issue 14 item 19): the lines on the screen are what there is.
_LOG_FILE = re.compile(r"send the log(?: file below)? to support")
_WITHOUT_LOG = "copy the lines above into a message to support"


def print_summary(console: Console, result: RunResult) -> None:
    console.print(summary_table(result))
    counts = result.counts()
    would_run = sum(look(o) is WOULD_RUN_LOOK for o in result.outcomes)
    interrupted = counts["interrupted"]
    console.print(
        f"{counts['success']} done, {counts['skipped']} already done, {counts['failed']} failed, "
        + (f"{interrupted} interrupted, " if interrupted else "")  # so the counts add up
        + (f"{would_run} would run, " if result.dry_run else "")
        + f"{counts['not_run'] - would_run} not run in {result.duration:.1f} s"
        + (" (dry run: no action was executed; checks did run)" if result.dry_run else "")
    )
    trouble = [o for o in result.outcomes if o.status in (Status.FAILED, Status.INTERRUPTED)]
    for outcome in trouble:
        category = outcome.category or ErrorCategory.UNKNOWN
        console.print()
        console.print(
            f"[bold red]{escape(outcome.step)}[/] {STATUS_LOOK[outcome.status][2]} "
            f"([bold]{category.value}[/]): {escape(outcome.reason)}"
        )
        advice = advice_for(category, outcome.details.get("http_status"))
        if result.log_path is None:
            advice = _LOG_FILE.sub(_WITHOUT_LOG, advice)
        console.print(advice)
    if trouble:
        console.print()
        # Never word-wrapped: a path or link broken by a newline cannot be copied whole.
        if result.support_id is not None:
            # SPEC 6: support finds this run's every step from it (`analytics run ID`).
            console.print(
                f"Support id: [bold]{result.support_id}[/] (give it when you ask for help)",
                soft_wrap=True,
            )
        if result.log_path is not None:
            console.print(f"Full log: {escape(str(result.log_path))}", soft_wrap=True)
            console.print(
                f"Help: {escape(result.support_url)} (attach the log file)", soft_wrap=True
            )
        else:
            console.print(
                f"Help: {escape(result.support_url)} (no log file could be written: copy the "
                "lines above into your message)",
                soft_wrap=True,
            )
