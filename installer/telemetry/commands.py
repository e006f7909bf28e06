"""`dtu-install telemetry status|on|off|show` as plain functions (typed values in, exit code out).

`show` prints hits one per line in the tracker's own format (`?idsite=...`), exactly as the
bulk request carries them, so the output can also be fed to `dtu-install analytics import`.
Explanations go to stderr, the hits alone to stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from installer import paths
from installer.errors import DtuInstallError, ExitCode, InputFileError
from installer.events.outcome import Status, StepOutcome
from installer.platform.env_flags import is_ci
from installer.telemetry.config import TelemetryConfig, environment_of, load_config
from installer.telemetry.consent import consent_path, decide, store_choice
from installer.telemetry.hits import decode, encode, hit_params, new_run_context
from installer.telemetry.sink import read_last_run
from installer.telemetry.spool import Spool


def _spool(config: TelemetryConfig) -> Spool:
    return Spool(paths.data_dir(), max_bytes=config.spool_max_bytes, max_age=config.spool_max_age)


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def status() -> int:
    config = load_config()
    ci = is_ci(os.environ)
    decision = decide(os.environ, config, interactive=False, ci=ci)
    environment = environment_of(os.environ, test_mode=False, ci=ci)
    waiting = _spool(config).peek(now=time.time())
    last = read_last_run(paths.data_dir())
    print(f"telemetry: {decision.reason}")
    print(f"endpoint:  {config.endpoint}")
    print(f"site id:   {config.site_id}")
    print(f"category:  {config.category(environment)}")
    print(f"policy:    {config.policy.value} (maintainers' default)")
    print(f"spool:     {len(waiting)} hits waiting to be sent by the next run")
    last_hits = last.get("hits") if last else None
    if isinstance(last_hits, list):
        rows = [r for r in last_hits if isinstance(r, dict)]
        counts: dict[str, int] = {}
        for row in rows:
            counts[str(row.get("status"))] = counts.get(str(row.get("status")), 0) + 1
        summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "none"
        print(f"last run:  {len(rows)} hits ({summary})")
    print("details:   dtu-install telemetry show; what is sent: docs/telemetry.md")
    return ExitCode.OK


def set_choice(enabled: bool) -> int:
    try:
        path = store_choice(enabled, "command")
    except OSError as exc:
        raise DtuInstallError(f"could not save the telemetry choice: {exc}") from exc
    config = load_config()
    if enabled:
        print(f"Telemetry is on: one anonymous report per install step. (Saved in {path}.)")
    else:
        dropped = _spool(config).take(now=time.time(), lock_timeout=1.0).hits
        extra = f" {len(dropped)} unsent reports were deleted." if dropped else ""
        print(f"Telemetry is off: nothing is sent.{extra} (Saved in {path}.)")
    decision = decide(os.environ, config, interactive=False, ci=False)
    if enabled and not decision.send:
        _err(f"note: this environment still sends nothing ({decision.reason})")
    return ExitCode.OK


def _print_hits(hits: Sequence[str], statuses: Sequence[str], as_json: bool) -> None:
    if as_json:
        rows = [{"hit": h, "status": s, "params": decode(h)} for h, s in zip(hits, statuses)]
        print(json.dumps({"hits": rows}, indent=2))
    else:
        for hit in hits:
            print(hit)


def show_last(as_json: bool) -> int | None:
    """The last run's hits; None when there was no (readable) last run."""
    last = read_last_run(paths.data_dir())
    rows = last.get("hits") if isinstance(last, dict) else None
    if not isinstance(rows, list):
        return None
    good = [r for r in rows if isinstance(r, dict) and isinstance(r.get("hit"), str)]
    endpoint = last.get("endpoint") if isinstance(last, dict) else "?"
    _err(f"The last run's {len(good)} hits (endpoint {endpoint}), one per line:")
    _print_hits([r["hit"] for r in good], [str(r.get("status", "?")) for r in good], as_json)
    return ExitCode.OK


def show_planned(
    targets: Sequence[str], recipes: Sequence[Path], as_json: bool, test_mode: bool
) -> int:
    """The hits a run of `targets` would send on this Mac if every step succeeded."""
    from installer.build_info import commit_sha
    from installer.platform.facts import detect_facts
    from installer.recipes.commands import report_problems
    from installer.recipes.loader import load_recipe_set
    from installer.recipes.plan import build_plan

    facts = detect_facts()
    try:
        recipe_set = load_recipe_set(list(recipes) or None)
    except InputFileError as exc:
        return report_problems(exc)
    plan = build_plan(recipe_set, targets, facts)
    config = load_config()
    environment = environment_of(os.environ, test_mode=test_mode, ci=facts.ci)
    ctx = new_run_context(facts, config, environment, commit_sha())
    now = time.time()
    hits: list[str] = []
    for step in plan.steps:
        params = hit_params(
            StepOutcome(step.name, step.recipe, Status.SUCCESS, 0.0, finished_at=now), ctx, now=now
        )
        if params is not None:
            hits.append(encode(params))
    _err(
        f"The {len(hits)} hits a run of {' '.join(plan.targets) or 'default'} would send if "
        "every step succeeded (durations 0.000 here; an already-done step sends e_a=Skipped, "
        "a failed one e_v=0 and its error category):"
    )
    _print_hits(hits, ["planned"] * len(hits), as_json)
    return ExitCode.OK


def show(
    targets: Sequence[str],
    recipes: Sequence[Path],
    *,
    planned: bool,
    as_json: bool,
    test_mode: bool,
) -> int:
    decision = decide(os.environ, load_config(), interactive=False, ci=is_ci(os.environ))
    if not decision.send:
        _err(f"Telemetry {decision.reason}; these hits are NOT sent.")
    if not planned and not targets:
        shown = show_last(as_json)
        if shown is not None:
            return shown
        _err("No run has been recorded yet; showing a planned run instead.")
    return show_planned(targets, recipes, as_json, test_mode)


__all__ = ["consent_path", "set_choice", "show", "status"]
