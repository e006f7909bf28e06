"""`dtu-install run` as a plain function: typed values in, exit code out.

Facts, recipes and plan come from the foundation (`detect_facts`, `load_recipe_set`,
`build_plan`); telemetry from `installer.telemetry.open_sink`. This module wires them to
`run_plan`, the display and the `--json` envelope, and makes sure every sink is closed
(a bounded telemetry flush) whatever happens: success, failure, Ctrl-C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from installer.errors import ExitCode
from installer.events.outcome import OutcomeSink
from installer.platform.facts import Facts
from installer.runner.install_record import InstallRecord
from installer.steps.context import DEFAULT_SUPPORT_URL, RunOptions, is_interactive
from installer.steps.model import Plan
from installer.steps.runlog import new_log_path

SUPPORT_URL_VARIABLE = "support_url"  # a plan variable a maintainer may set


def support_url(plan: Plan) -> str:
    return plan.variables.get(SUPPORT_URL_VARIABLE) or DEFAULT_SUPPORT_URL


def load_plan(targets: Sequence[str], recipe_paths: Sequence[Path], facts: Facts) -> Plan:
    from installer.recipes.loader import load_recipe_set
    from installer.recipes.plan import build_plan

    return build_plan(load_recipe_set(list(recipe_paths) or None), list(targets), facts)


def refuse_old_mac(plan: Plan, *, as_json: bool) -> int:
    """This Mac's macOS is older than a component needs (recipes' `minimum_macos`): say which
    and what to do, instead of an installer failing after its download."""
    from installer.recipes.macos_minimum import refusal

    sentence = refusal(plan.too_old, plan.platform.get("os_version", "?"))
    print(sentence, file=sys.stderr)
    print(f"Help: {support_url(plan)}", file=sys.stderr)
    if as_json:
        too_old = [dataclasses.asdict(t) for t in plan.too_old]
        sys.stdout.write(json.dumps({"refusal": sentence, "too_old": too_old}, indent=2) + "\n")
    return ExitCode.FAILED


def telemetry_sink(facts: Facts, *, interactive: bool, test_mode: bool) -> OutcomeSink:
    from installer.telemetry import open_sink

    return open_sink(facts, interactive=interactive, test_mode=test_mode)


def _close_all(sinks: Sequence[OutcomeSink]) -> None:
    for sink in sinks:
        with contextlib.suppress(Exception):  # closing must never change the exit code
            sink.close()


def run(
    targets: Sequence[str],
    *,
    recipe_paths: Sequence[Path] = (),
    dry_run: bool = False,
    assume_yes: bool = False,
    as_json: bool = False,
    only: Sequence[str] = (),
    skip: Sequence[str] = (),
    test_mode: bool = False,
    bundle: Path | None = None,
) -> int:
    from installer.platform.facts import detect_facts
    from installer.runner.display import LineDisplay, LiveDisplay, make_console, print_summary
    from installer.runner.engine import deselected, run_plan
    from installer.runner.safety import refuse_root

    facts = detect_facts()
    refuse_root(facts)
    plan = load_plan(targets, recipe_paths, facts)
    if bundle is not None:
        from installer.steps.bundle_source import read_manifest

        read_manifest(bundle)  # not a bundle: exit 2 before anything starts
    interactive = is_interactive(facts, assume_yes=assume_yes)
    options = RunOptions(
        dry_run=dry_run,
        assume_yes=assume_yes,
        interactive=interactive,
        only=tuple(only),
        skip=tuple(skip),
        support_url=support_url(plan),
        log_path=new_log_path(),
        bundle=bundle,
    )
    left_out = deselected(plan, options)  # unknown --only/--skip names: exit 2 first
    chosen = {s.recipe for s in plan.steps if s.name not in left_out}
    too_old = tuple(t for t in plan.too_old if t.recipe in chosen)
    if too_old:  # before anything is downloaded: one sentence, exit 1
        return refuse_old_mac(dataclasses.replace(plan, too_old=too_old), as_json=as_json)
    sinks: list[OutcomeSink] = []
    run_id: Optional[str] = None
    if not dry_run:  # a dry run installs nothing, so it reports nothing
        # Before the live display starts: opening telemetry may ask for consent, once.
        telemetry = telemetry_sink(facts, interactive=interactive, test_mode=test_mode)
        sinks.append(telemetry)
        # The run id its events carry (None when nothing is sent): the support id.
        run_id = getattr(telemetry, "run_id", None)
        # What this run installed, so that `uninstall` removes that and nothing else.
        sinks.append(InstallRecord())
    try:
        # With --json, stdout carries only the JSON; people read stderr.
        console = make_console(sys.stderr if as_json else sys.stdout)
        display = (LiveDisplay if interactive and not as_json else LineDisplay)(
            console, len(plan.steps)
        )
        sinks.insert(0, display)
        result = run_plan(plan, facts, options, sinks, events=display)
    finally:
        _close_all(sinks)
    result = dataclasses.replace(result, run_id=run_id if isinstance(run_id, str) else None)
    print_summary(console, result)
    if as_json:
        sys.stdout.write(json.dumps(result.serialize(), indent=2) + "\n")
    if result.interrupted:
        return ExitCode.INTERRUPTED
    return result.exit_code
