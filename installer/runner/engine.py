"""`run_plan`: a plan's steps run in order, each producing exactly one `StepOutcome`.

The run is a pipeline of plain functions: select the steps (`--only`/`--skip`), refuse root,
start fetching downloads ahead, then for each step decide (requirement failed? already done?
dry run?) and execute, handing every outcome to the sinks as soon as it is decided.
"""

from __future__ import annotations

import difflib
import time
import traceback
from collections.abc import Iterable, Sequence

from installer.errors import UsageError
from installer.events.outcome import ErrorCategory, OutcomeSink, Status, StepOutcome
from installer.kinds.registry import ACTIONS
from installer.platform.facts import Facts
from installer.runner import bundle
from installer.runner.checks import all_pass
from installer.runner.result import RunResult
from installer.runner.safety import refuse_root
from installer.steps.context import RunContext, RunEvents, RunOptions
from installer.steps.download import Network
from installer.steps.failure import StepError, category_for_os_error
from installer.steps.model import Plan, PlannedStep
from installer.steps.prefetch import Prefetcher
from installer.steps.retry import Attempted
from installer.steps.runlog import RunLog


# ---------------------------------------------------------------- selection
def _unknown(names: Iterable[str], known: Sequence[str], flag: str) -> None:
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UsageError(f"{flag} {name}: no step of that name in this plan{hint}")


def deselected(plan: Plan, options: RunOptions) -> dict[str, str]:
    """Steps left out by `--only`/`--skip`, with the reason (unknown names: exit 2)."""
    known = [s.name for s in plan.steps]
    _unknown(options.only, known, "--only")
    _unknown(options.skip, known, "--skip")
    out = {}
    for step in plan.steps:
        if options.only and step.name not in options.only:
            out[step.name] = "left out (--only)"
        elif step.name in options.skip:
            out[step.name] = "left out (--skip)"
    return out


# ---------------------------------------------------------------- one step
def _outcome(
    step: PlannedStep,
    status: Status,
    started: float,
    attempts: int = 0,
    category: ErrorCategory | None = None,
    reason: str = "",
    **details: object,
) -> StepOutcome:
    return StepOutcome(
        step=step.name,
        recipe=step.recipe,
        status=status,
        duration=time.monotonic() - started,
        attempts=attempts,
        category=category,
        reason=reason,
        finished_at=time.time(),
        details=dict(details),
    )


def execute_step(step: PlannedStep, ctx: RunContext, prefetch: Prefetcher | None) -> StepOutcome:
    """Check, then act. Never raises: Ctrl-C becomes an INTERRUPTED outcome."""
    started = time.monotonic()
    counter = Attempted(0)
    ctx.events.step_started(step)
    try:
        # An action no registered kind claims fails here, loudly (unknown_error, traceback
        # in the log), instead of reaching some default.
        kind = ACTIONS.of(step.action)
        ctx.log.write(f"== {step.name} ({kind.name}): {step.description}")
        if all_pass(step.checks, ctx, step.name, step.launcher):
            return _outcome(step, Status.SKIPPED, started, reason="already done")
        if ctx.options.dry_run:
            return _outcome(
                step, Status.NOT_RUN, started, reason="dry run: would run", dry_run=True
            )
        if step.sudo is not None and not ctx.facts.is_root:
            ctx.events.notice(f"{step.name} needs administrator rights: {step.sudo}")
            ctx.log.write(f"{step.name}: needs administrator rights: {step.sudo}")
        kind.execute(step.action, step, ctx, counter, prefetch)
        return _outcome(step, Status.SUCCESS, started, counter.attempts)
    except StepError as err:
        status = Status.INTERRUPTED if err.category is ErrorCategory.INTERRUPTED else Status.FAILED
        answer = {} if err.http_status is None else {"http_status": err.http_status}
        return _outcome(step, status, started, counter.attempts, err.category, err.reason, **answer)
    except KeyboardInterrupt:
        return _outcome(
            step,
            Status.INTERRUPTED,
            started,
            counter.attempts,
            ErrorCategory.INTERRUPTED,
            "stopped with Ctrl-C",
        )
    except OSError as exc:
        return _outcome(
            step,
            Status.FAILED,
            started,
            counter.attempts,
            category_for_os_error(exc),
            f"{exc.strerror or exc}",
        )
    except Exception as exc:  # a bug in an executor must not hide the other steps' outcomes
        ctx.log.write(traceback.format_exc())
        return _outcome(
            step,
            Status.FAILED,
            started,
            counter.attempts,
            ErrorCategory.UNKNOWN,
            f"{type(exc).__name__}: {exc}",
        )


def _blocked_by(step: PlannedStep, outcomes: dict[str, StepOutcome]) -> str | None:
    """The first required step that did not succeed. Neither a step left out by `--only`/
    `--skip` nor one a dry run would have run blocks: a dry run goes on to check and report
    the steps after it, instead of calling them all "not run: it needs X"."""
    for name in step.requires:
        done = outcomes.get(name)
        if done is None or done.ok:
            continue
        if not done.details.get("deselected") and not done.details.get("dry_run"):
            return name
    return None


# ---------------------------------------------------------------- the run
def _record(sinks: Sequence[OutcomeSink], outcome: StepOutcome, log: RunLog) -> None:
    log.write(
        f"-> {outcome.step}: {outcome.status.value} in {outcome.duration:.3f} s"
        + (f" [{outcome.category.value}] {outcome.reason}" if outcome.category else "")
    )
    for sink in sinks:
        try:
            sink.record(outcome)
        except Exception as exc:  # a sink (telemetry, display) must never break the install
            log.write(f"outcome sink {type(sink).__name__} failed: {exc!r}")


def run_plan(
    plan: Plan,
    facts: Facts,
    options: RunOptions,
    sinks: Sequence[OutcomeSink] = (),
    events: RunEvents | None = None,
) -> RunResult:
    refuse_root(facts)
    left_out = deselected(plan, options)
    run_started = time.monotonic()
    log = RunLog(options.log_path)
    events = events or RunEvents()
    net = Network(
        log,
        options.verify,
        options.connect_timeout,
        options.read_timeout,
        stall_seconds=options.stall_seconds,
        progress=events.download_progress,
        mirrors=plan.mirrors,
    )
    bundle_dir = options.bundle
    bundle_argv = (
        None
        if bundle_dir is None
        else lambda argv, step: bundle.offline_argv(argv, step, facts.arch, bundle_dir)
    )
    ctx = RunContext(facts, options, log, net, events, bundle_argv)
    log.write(
        f"dtu-install run {' '.join(plan.targets)}; {facts.os_label} {facts.arch}"
        + ("; dry run" if options.dry_run else "")
    )
    outcomes: dict[str, StepOutcome] = {}
    interrupted = False
    aborted_by: str | None = None
    prefetch: Prefetcher | None = None
    try:
        todo = [s for s in plan.steps if s.name not in left_out]
        if not options.dry_run and options.prefetch_workers > 0 and options.bundle is None:
            prefetch = Prefetcher(
                ctx,
                todo,
                options.prefetch_workers,
                lambda s: all_pass(s.checks, ctx, s.name, s.launcher),
            )
        for step in plan.steps:
            now = time.monotonic()
            if step.name in left_out:
                outcome = _outcome(
                    step, Status.NOT_RUN, now, reason=left_out[step.name], deselected=True
                )
            elif aborted_by is not None:
                outcome = _outcome(
                    step, Status.NOT_RUN, now, reason=f"not run: {aborted_by} failed"
                )
            elif (blocker := _blocked_by(step, outcomes)) is not None:
                outcome = _outcome(
                    step,
                    Status.NOT_RUN,
                    now,
                    reason=f"not run: it needs {blocker}, which did not succeed",
                )
            else:
                outcome = execute_step(step, ctx, prefetch)
            outcomes[step.name] = outcome
            _record(sinks, outcome, log)
            if outcome.status is Status.INTERRUPTED:
                interrupted = True
                break
            if outcome.status is Status.FAILED and step.on_failure == "abort":
                aborted_by = step.name
    except KeyboardInterrupt:  # between two steps
        interrupted = True
    finally:
        if prefetch is not None:
            prefetch.stop()
    # Exactly one outcome per step, also after Ctrl-C.
    for step in plan.steps:
        if step.name not in outcomes:
            outcomes[step.name] = _outcome(
                step, Status.NOT_RUN, time.monotonic(), reason="not run: the run was interrupted"
            )
            _record(sinks, outcomes[step.name], log)
    result = RunResult(
        targets=plan.targets,
        outcomes=tuple(outcomes[s.name] for s in plan.steps),
        log_path=log.path,
        interrupted=interrupted,
        dry_run=options.dry_run,
        duration=time.monotonic() - run_started,
        support_url=options.support_url,
    )
    log.write(f"finished: exit {result.exit_code} in {result.duration:.3f} s")
    log.close()
    return result
