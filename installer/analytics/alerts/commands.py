"""`analytics alerts check|backtest`: plain functions that take typed values and return an
exit code (the CLI layer only parses options)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from installer.analytics.alerts.backtest import backtest
from installer.analytics.alerts.evaluate import evaluate
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.load import load_config
from installer.analytics.store import EventStore, resolve_db_path
from installer.analytics.timeutil import format_moment
from installer.errors import ExitCode


def check(db: str | None, at: int, *, as_json: bool, send: bool, rules_file: Path | None) -> int:
    config = load_config(rules_file)
    with EventStore(resolve_db_path(db), readonly=True) as store:
        firings = evaluate(store, config.rules, at)
        _print(firings, as_json, f"at {format_moment(at)}")
        if not send:
            return ExitCode.OK
        from installer.analytics.notify.dispatch import dispatch_alerts

        outcome = dispatch_alerts(store, config, firings, at)
    for line in outcome.lines():
        print(line, file=sys.stderr)
    return ExitCode.OK if outcome.ok else ExitCode.FAILED


def run_backtest(
    db: str | None,
    start: int,
    end: int,
    every: int,
    *,
    as_json: bool,
    rules_file: Path | None,
) -> int:
    config = load_config(rules_file)
    with EventStore(resolve_db_path(db), readonly=True) as store:
        firings = backtest(store, config.rules, start, end, every)
    _print(firings, as_json, f"from {format_moment(start)} to {format_moment(end)}")
    return ExitCode.OK


def _print(firings: list[Firing], as_json: bool, when: str) -> None:
    if as_json:
        print(json.dumps([f.serialize() for f in firings], indent=2))
        return
    if not firings:
        print(f"no alerts firing {when}")
        return
    for f in firings:
        key = f" [{f.key}]" if f.key is not None else ""
        print(f"{format_moment(f.at)}  {f.severity.upper():8}  {f.rule}{key}: {f.summary}")
        print(f"    runbook: {f.runbook}")
