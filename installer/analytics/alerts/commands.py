"""`analytics alerts check|backtest`: plain functions that take typed values and return an
exit code (the CLI layer only parses options)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from installer.analytics.alerts.backtest import backtest, backtest_incidents
from installer.analytics.alerts.decide import decide
from installer.analytics.alerts.incident_state import CHECKED_AT, load_open
from installer.analytics.alerts.incidents import Incident, Step, duration, ordered
from installer.analytics.alerts.load import load_config
from installer.analytics.alerts.show import print_backtest_incidents, print_firings
from installer.analytics.query import Scope, last_event_before
from installer.analytics.text_fit import say
from installer.analytics.timeutil import format_moment
from installer.errors import ExitCode
from installer.store.event_store import EventStore, resolve_db_path


def check(
    db: str | None,
    at: int,
    *,
    as_json: bool,
    send: bool,
    rules_file: Path | None,
    incidents: bool = False,
) -> int:
    """The firings at T and the incidents after T. With `send` this is a scheduled check:
    the incidents are stored and their notices queued and delivered; without it nothing
    changes (the incidents shown are what such a check would decide now)."""
    config = load_config(rules_file)
    with EventStore(resolve_db_path(db), readonly=True) as store:
        if send:
            from installer.analytics.notify.dispatch import dispatch_alerts

            firings, step, outcome = dispatch_alerts(store, config, at)
        else:
            latest = store.get_meta(CHECKED_AT)
            # A look at a moment before the stored state starts from no open incidents.
            before = load_open(store) if latest is None or int(latest) <= at else {}
            firings, step = decide(store, config.rules, before, at)
            outcome = None
        newest = last_event_before(store, at, Scope(config.rules.categories))
    if as_json and incidents:
        print(json.dumps([i.serialize(at) for i in _after(step)], indent=2))
    elif as_json:
        print(json.dumps([f.serialize() for f in firings], indent=2))
    else:
        print_firings(firings, f"at {format_moment(at)}")
        _print_incidents(step, at, newest)
    if outcome is None:
        return ExitCode.OK
    for line in outcome.lines():
        print(line, file=sys.stderr)
    return ExitCode.OK if outcome.ok else ExitCode.FAILED


def _after(step: Step) -> list[Incident]:
    """Open after T, and resolved at T."""
    return ordered([*step.open.values(), *step.resolved])


def _print_incidents(step: Step, at: int, newest: int | None) -> None:
    for incident in ordered(list(step.open.values())):
        key = f" [{incident.key}]" if incident.key is not None else ""
        say(
            f"incident open: {incident.rule}{key} since {format_moment(incident.started)} "
            f"({duration(incident.open_for(at))}), last fired {format_moment(incident.last_fired)}"
        )
    for incident in step.resolved:
        key = f" [{incident.key}]" if incident.key is not None else ""
        say(f"incident resolved: {incident.rule}{key}: {incident.resolution}")
    if newest is None:
        say("newest event in scope: none before T")
    else:
        age = (at - newest) / 3600
        say(f"newest event in scope: {format_moment(newest)} ({age:.2f} h before T)")


def run_backtest(
    db: str | None,
    start: int,
    end: int,
    every: int,
    *,
    as_json: bool,
    rules_file: Path | None,
    incidents: bool = False,
) -> int:
    config = load_config(rules_file)
    when = f"from {format_moment(start)} to {format_moment(end)}"
    with EventStore(resolve_db_path(db), readonly=True) as store:
        if incidents:
            result = backtest_incidents(store, config.rules, start, end, every)
        else:
            firings = backtest(store, config.rules, start, end, every)
    if not incidents:
        if as_json:
            print(json.dumps([f.serialize() for f in firings], indent=2))
        else:
            print_firings(firings, when)
        return ExitCode.OK
    if as_json:
        body = {
            "incidents": [
                {
                    **i.serialize(result.end),
                    "notifications": [
                        {"type": n.type, "at": format_moment(n.at)} for n in result.notices_of(i)
                    ],
                }
                for i in result.incidents
            ],
            "summary": result.summary(),
        }
        print(json.dumps(body, indent=2))
    else:
        print_backtest_incidents(result, when)
    return ExitCode.OK
