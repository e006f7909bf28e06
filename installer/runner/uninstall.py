"""`dtu-install uninstall [PROFILE|RECIPE...] [--dry-run] [--yes]`.

Each recipe declares its `uninstall` steps (docs/recipes.md, "Uninstall"). They run with
the recipes in reverse dependency order (VS Code and the course environments before conda),
each step one outcome and one telemetry event, like `run`. Before anything is removed the
whole list is shown and confirmed once; `--dry-run` stops after showing it.

What is removed: a step with `undoes` runs only when the install record shows that
dtu-install ran one of those steps (install_record.py); otherwise what it would remove is
named as left in place ("not installed by dtu-install"). A step without `undoes` only
touches what dtu-install marked (a profile block between our markers). A step whose thing
is already gone (the path is not there, no file holds the block, its check passes) is
"nothing to remove".
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from installer.errors import ExitCode, UsageError
from installer.events.outcome import OutcomeSink, Status, StepOutcome
from installer.kinds.registry import ACTIONS
from installer.platform.facts import Facts
from installer.recipes.conditions import why_excluded
from installer.recipes.plan import DEFAULT_PROFILE, resolve_targets, with_requirements
from installer.recipes.recipe_set import RecipeSet
from installer.recipes.render import Renderer
from installer.runner import install_record
from installer.runner.checks import all_pass
from installer.steps.context import RunContext, RunOptions
from installer.steps.download import Network
from installer.steps.model import Plan, PlannedStep
from installer.steps.runlog import RunLog

REMOVE, LEFT, ABSENT = "remove", "left", "absent"
NOT_OURS = "not installed by dtu-install: left as it is"
NOTHING = "nothing to remove"


@dataclass(frozen=True)
class Item:
    step: PlannedStep
    undoes: tuple[str, ...]
    state: str  # REMOVE | LEFT | ABSENT


def selected_recipes(
    recipe_set: RecipeSet, targets: Sequence[str], recorded: Sequence[str]
) -> list[str]:
    """The recipes to uninstall, dependents first. No targets: the default profile's recipes
    and every recipe the install record names (a course, Homebrew)."""
    if targets:
        names = resolve_targets(recipe_set, targets)
    else:
        names = (
            list(recipe_set.profiles[DEFAULT_PROFILE].recipes)
            if (DEFAULT_PROFILE in recipe_set.profiles)
            else []
        )
        names += [r for r in recorded if r in recipe_set.recipes]
    wanted = set(names)
    order = with_requirements(recipe_set, list(dict.fromkeys(names)))
    return [name for name in reversed(order) if name in wanted]


def _already_gone(step: PlannedStep, ctx: RunContext) -> bool:
    """Nothing left to remove: the kind knows (`remove`, `profile_block_remove`), or else the
    step's checks pass."""
    gone = ACTIONS.of(step.action).already_gone(step.action)
    return gone if gone is not None else all_pass(step.checks, ctx, step.name, step.launcher)


def build_items(
    recipe_set: RecipeSet,
    targets: Sequence[str],
    facts: Facts,
    record: dict[str, dict[str, object]],
    ctx: RunContext,
) -> list[Item]:
    recorded = list(dict.fromkeys(str(v.get("recipe", "")) for v in record.values()))
    renderer = Renderer(facts, recipe_set.variables)
    items = []
    for name in selected_recipes(recipe_set, targets, recorded):
        recipe = recipe_set.recipes[name]
        if why_excluded(recipe.when, facts):
            continue
        for step_def in recipe.uninstall:
            if why_excluded(step_def.data.get("when"), facts):
                continue
            step = renderer.step(step_def, ())
            undoes = tuple(step_def.data.get("undoes", ()))
            if _already_gone(step, ctx):
                state = ABSENT
            elif undoes and not any(u in record for u in undoes):
                state = LEFT
            else:
                state = REMOVE
            items.append(Item(step, undoes, state))
    return items


def listing(items: Sequence[Item]) -> list[str]:
    """What the confirmation (and `--dry-run`) shows."""
    lines = []
    remove = [i for i in items if i.state == REMOVE]
    left = [i for i in items if i.state == LEFT]
    if remove:
        lines.append("dtu-install will remove:")
        lines += [f"  - {i.step.description}  [{i.step.name}]" for i in remove]
    else:
        lines.append("Nothing that dtu-install installed is left to remove.")
    if left:
        lines.append("Left as they are (not installed by dtu-install):")
        lines += [f"  - {i.step.description}  [{i.step.name}]" for i in left]
    return lines


def _outcome(item: Item, reason: str) -> StepOutcome:
    return StepOutcome(
        step=item.step.name,
        recipe=item.step.recipe,
        status=Status.SKIPPED,
        duration=0.0,
        reason=reason,
        finished_at=time.time(),
        details={"left": True} if item.state == LEFT else {},
    )


def _confirmed(interactive: bool) -> bool:
    if not interactive:
        raise UsageError(
            "uninstall asks before it removes anything, and no one can answer here: "
            "run it in a terminal, or confirm with --yes (see the list with --dry-run)"
        )
    try:
        answer = input("Remove these? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def uninstall(
    targets: Sequence[str],
    *,
    recipe_paths: Sequence[Path] = (),
    dry_run: bool = False,
    assume_yes: bool = False,
    as_json: bool = False,
    test_mode: bool = False,
) -> int:
    from installer.platform.facts import detect_facts
    from installer.recipes.loader import load_recipe_set
    from installer.runner.safety import refuse_root
    from installer.steps.context import is_interactive
    from installer.steps.runlog import new_log_path

    facts = detect_facts()
    refuse_root(facts)
    recipe_set = load_recipe_set(list(recipe_paths) or None)
    record = install_record.read_record()
    log_path = new_log_path()
    log = RunLog(log_path)
    ctx = RunContext(facts, RunOptions(), log, Network(log))
    try:
        items = build_items(recipe_set, targets, facts, record, ctx)
    finally:
        log.close()
    out = sys.stderr if as_json else sys.stdout
    for line in listing(items):
        print(line, file=out)
    remove = [i for i in items if i.state == REMOVE]
    if dry_run:
        if as_json:
            data = {
                state: [i.step.name for i in items if i.state == state]
                for state in (REMOVE, LEFT, ABSENT)
            }
            sys.stdout.write(json.dumps({"dry_run": True, **data}, indent=2) + "\n")
        return ExitCode.OK
    interactive = is_interactive(facts, assume_yes=assume_yes)
    if remove and not assume_yes and not _confirmed(interactive):
        print("Nothing was removed.", file=out)
        return ExitCode.FAILED
    return _execute(
        items,
        facts,
        targets,
        RunOptions(assume_yes=assume_yes, interactive=interactive, log_path=log_path),
        out,
        as_json=as_json,
        test_mode=test_mode,
    )


def _execute(
    items: Sequence[Item],
    facts: Facts,
    targets: Sequence[str],
    options: RunOptions,
    out: TextIO,
    *,
    as_json: bool,
    test_mode: bool,
) -> int:
    """Run the steps that remove something; the others get their outcome (and event) as
    "left" or "nothing to remove"; the record forgets what is gone."""
    from installer.runner.command import _close_all, telemetry_sink
    from installer.runner.display import LineDisplay, make_console, print_summary
    from installer.runner.engine import run_plan

    remove = [i for i in items if i.state == REMOVE]
    sinks: list[OutcomeSink] = [
        telemetry_sink(facts, interactive=options.interactive, test_mode=test_mode)
    ]
    console = make_console(out)
    display = LineDisplay(console, len(items))
    sinks.insert(0, display)
    try:
        before = {}
        for item in items:
            if item.state != REMOVE:
                outcome = _outcome(item, NOT_OURS if item.state == LEFT else NOTHING)
                before[item.step.name] = outcome
                for sink in sinks:
                    sink.record(outcome)
        plan = Plan(
            targets=tuple(targets) or ("uninstall",),
            steps=tuple(i.step for i in remove),
            platform={"os_name": facts.os_name, "os_version": facts.os_version, "arch": facts.arch},
        )
        result = run_plan(plan, facts, options, sinks, events=display)
    finally:
        _close_all(sinks)
    ran = {o.step: o for o in result.outcomes}
    done = [u for i in items if i.state != LEFT for u in i.undoes if _gone(i, ran)]
    install_record.forget(done)
    ordered = tuple(ran.get(i.step.name) or before[i.step.name] for i in items)
    result = dataclasses.replace(result, outcomes=ordered)
    print_summary(console, result)
    if as_json:
        sys.stdout.write(json.dumps(result.serialize(), indent=2) + "\n")
    if result.interrupted:
        return ExitCode.INTERRUPTED
    return result.exit_code


def _gone(item: Item, ran: dict[str, StepOutcome]) -> bool:
    """The thing the step removes is gone: it was absent, or the step succeeded."""
    if item.state == ABSENT:
        return True
    outcome = ran.get(item.step.name)
    return outcome is not None and outcome.ok
