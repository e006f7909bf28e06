"""`dtu-install analytics alerts check|backtest` (SPEC 6, "Alerts")."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

alerts = typer.Typer(
    help="Evaluate the alert rules now or at any moment, or over a stretch of history.",
    no_args_is_help=True,
)

DB = typer.Option(None, "--db", help="Event store (default: $DTU_INSTALL_DB or the data dir).")
RULES = typer.Option(
    None, "--rules", help="Alert rules YAML (default: the shipped alerts.yaml).", dir_okay=False
)
JSON = typer.Option(False, "--json", help="Print one JSON array of firings.")


@alerts.command("check")
def check_cmd(
    db: Optional[str] = DB,
    at: Optional[str] = typer.Option(
        None, "--at", help="Evaluate at this moment, YYYY-MM-DDTHH:MM:SSZ (default: now)."
    ),
    as_json: bool = JSON,
    send: bool = typer.Option(
        False, "--send", help="Notify: critical at once, warnings in the next-day digest."
    ),
    rules: Optional[Path] = RULES,
    incidents: bool = typer.Option(
        False, "--incidents", help="With --json: the incidents open after T and resolved at T."
    ),
) -> None:
    """Print the alerts firing at T and the open incidents. With --send (the scheduled
    run) the incidents are stored and notified; without it nothing changes."""
    from installer.analytics.alerts.commands import check
    from installer.analytics.timeutil import now, parse_moment

    moment = parse_moment(at) if at else now()
    code = check(db, moment, as_json=as_json, send=send, rules_file=rules, incidents=incidents)
    raise typer.Exit(code)


@alerts.command("backtest")
def backtest_cmd(
    start: str = typer.Option(..., "--from", help="First moment, YYYY-MM-DDTHH:MM:SSZ."),
    end: str = typer.Option(..., "--to", help="Last moment (included)."),
    every: str = typer.Option("1h", "--every", help="Step between evaluations: 15m, 1h, 1d."),
    db: Optional[str] = DB,
    as_json: bool = JSON,
    rules: Optional[Path] = RULES,
    incidents: bool = typer.Option(
        False,
        "--incidents",
        help="Group the firings into incidents; per rule: incidents, hours open, notifications.",
    ),
) -> None:
    """Evaluate the rules at FROM, FROM+EVERY, ... up to and including TO; send nothing."""
    from installer.analytics.alerts.commands import run_backtest
    from installer.analytics.timeutil import parse_moment
    from installer.errors import UsageError
    from installer.yaml_source.duration import parse_duration

    step = parse_duration(every)
    if step is None:
        raise UsageError(f"--every: {every!r} is not a duration; use e.g. 15m, 1h or 1d")
    code = run_backtest(
        db,
        parse_moment(start, option="--from"),
        parse_moment(end, option="--to"),
        step,
        as_json=as_json,
        rules_file=rules,
        incidents=incidents,
    )
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts, name="alerts")
