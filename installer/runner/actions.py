"""Action executors: one function per action kind, registered in `ACTION_EXECUTORS`.

Each takes the action, its step, the run context and an attempt counter, and either returns
(done) or raises `StepError` (with the category and whether another attempt may help).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from installer.events.outcome import ErrorCategory
from installer.recipes.model import (
    CommandAction,
    DownloadAction,
    ExtractAction,
    JsonSettingsAction,
    PlannedStep,
    ProfileBlockAction,
    ProfileBlockRemoveAction,
    RemoveAction,
    ShellAction,
)
from installer.runner import bundle, download, files, removal, staging, sudo, tar_failure
from installer.runner.context import RunContext
from installer.runner.failure import (
    StepError,
    category_for_exit,
    from_os_error,
    retryable_category,
)
from installer.runner.prefetch import Prefetcher
from installer.runner.process import run_process
from installer.runner.retry import Attempted, with_retries

# Archive suffix -> how to unpack it. System tools keep symlinks and permissions intact (an
# .app bundle is full of both), which Python's zipfile does not.
# Chosen by the facts' OS (`uname -s`), not sys.platform: the Mac sandbox runs on Linux.
ZIP_TOOL: Mapping[str, tuple[str, ...]] = {
    "Darwin": ("/usr/bin/ditto", "-x", "-k", "{archive}", "{dest}"),
}
ZIP_FALLBACK: tuple[str, ...] = (sys.executable, "-m", "zipfile", "-e", "{archive}", "{dest}")
TAR_TOOL: tuple[str, ...] = ("tar", "-xf", "{archive}", "-C", "{dest}")


def _run_argv(
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


def run_command(
    action: CommandAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    argv: Sequence[str] = action.argv
    if ctx.options.bundle is not None:  # conda and VS Code extensions from the bundle, offline
        argv = bundle.offline_argv(argv, step, ctx.facts.arch, ctx.options.bundle)
        if list(argv) != list(action.argv):
            ctx.log.write(f"{step.name}: from the bundle: {' '.join(argv)}")
    _run_argv(
        argv,
        step,
        ctx,
        counter,
        env=action.env,
        cwd=os.path.expanduser(action.cwd) if action.cwd else None,
        launcher=step.launcher,
    )


def run_shell(
    action: ShellAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    # The recipe asked for a shell explicitly (`shell:`); the script goes as one argument.
    _run_argv([action.shell, "-c", action.script], step, ctx, counter, launcher=step.launcher)


def run_download(
    action: DownloadAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    if ctx.options.bundle is not None:  # offline: the bundle's verified copy, no network
        counter.attempts += 1
        entry = bundle.install_from_bundle(action, step, ctx.facts.arch, ctx.options.bundle)
        ctx.log.write(f"{step.name}: {entry.name} from the bundle, sha256 {entry.sha256}")
        return
    job = prefetch.claim(step.name) if prefetch is not None else None
    if job is not None and not job.already_done:
        counter.attempts = job.counter.attempts
        if job.error is not None:
            raise job.error
        assert job.result is not None
        download.install(job.result, action)
        return
    fetched = download.fetch(action, ctx.net, step.name, step.retries, counter, step.timeout)
    download.install(fetched, action)


def run_extract(
    action: ExtractAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    archive, dest = os.path.expanduser(action.archive), os.path.expanduser(action.dest)
    if not os.path.exists(archive):
        raise StepError(ErrorCategory.MISSING_DEPENDENCY, f"archive {archive} does not exist")
    try:
        os.makedirs(dest, exist_ok=True)
        for leftover in staging.remove_leftovers(dest):
            ctx.log.write(f"{step.name}: removed {leftover}, left by an unpack that was stopped")
        into = staging.new_staging(dest)
    except OSError as exc:
        raise StepError(ErrorCategory.PERMISSION, f"cannot create {dest}: {exc.strerror}") from exc
    explain = None
    if archive.endswith(".zip"):
        template = ZIP_TOOL.get(ctx.facts.os_name, ZIP_FALLBACK)
    else:
        template, explain = TAR_TOOL, tar_failure.explain
    # Unpacked beside its place, then renamed into it: a stopped unpack leaves no
    # half-unpacked app that would pass the step's check (installer/runner/staging.py).
    argv = [part.format(archive=archive, dest=into) for part in template]
    try:
        _run_argv(argv, step, ctx, counter, explain=explain)
        moved = staging.move_into_place(into, dest)
    except OSError as exc:
        raise from_os_error(exc, f"cannot move the unpacked files into {dest}") from exc
    finally:
        shutil.rmtree(into, ignore_errors=True)  # failed, interrupted: nothing half-done stays
    ctx.log.write(f"{step.name}: unpacked {', '.join(moved) or 'nothing'} into {dest}")


def run_profile_block(
    action: ProfileBlockAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    counter.attempts += 1
    changed = files.apply_profile_block(action.files, action.marker, action.content)
    ctx.log.write(
        f"{step.name}: profile block '{action.marker}' "
        + (f"written to {', '.join(changed)}" if changed else "already present")
    )


def run_json_settings(
    action: JsonSettingsAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    counter.attempts += 1
    changed = files.apply_json_settings(action.path, action.settings)
    ctx.log.write(f"{step.name}: {action.path} " + ("updated" if changed else "already up to date"))


def run_remove(
    action: RemoveAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    counter.attempts += 1
    removed = removal.remove_path(action.path, ctx.facts.home)
    ctx.log.write(f"{step.name}: {action.path} " + ("removed" if removed else "was not there"))


def run_profile_block_remove(
    action: ProfileBlockRemoveAction,
    step: PlannedStep,
    ctx: RunContext,
    counter: Attempted,
    prefetch: Prefetcher | None,
) -> None:
    counter.attempts += 1
    changed = removal.remove_profile_block(action.files, action.marker)
    ctx.log.write(
        f"{step.name}: profile block '{action.marker}' "
        + (f"removed from {', '.join(changed)}" if changed else "was in no file")
    )


ActionExecutor = Callable[[Any, PlannedStep, RunContext, Attempted, "Prefetcher | None"], None]

ACTION_EXECUTORS: Mapping[type[Any], ActionExecutor] = {
    CommandAction: run_command,
    ShellAction: run_shell,
    DownloadAction: run_download,
    ExtractAction: run_extract,
    ProfileBlockAction: run_profile_block,
    JsonSettingsAction: run_json_settings,
    RemoveAction: run_remove,
    ProfileBlockRemoveAction: run_profile_block_remove,
}
