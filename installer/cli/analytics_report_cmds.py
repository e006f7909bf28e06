"""`dtu-install analytics report weekly|component-health|compatibility` (SPEC 6, "Reports")."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Optional

import typer

report = typer.Typer(
    help="Weekly, component-health and compatibility reports, for any moment T.",
    no_args_is_help=True,
)

DB = typer.Option(None, "--db", help="Event store (default: $DTU_INSTALL_DB or the data dir).")
AT = typer.Option(None, "--at", help="Report as of T, YYYY-MM-DDTHH:MM:SSZ (default: now).")
JSON = typer.Option(False, "--json", help="Print the report as one JSON object.")
HTML = typer.Option(None, "--html", help="Also write a self-contained HTML page.", dir_okay=False)
SEND = typer.Option(False, "--send", help="Send it to the channels of the rules file.")
ARCH = typer.Option(None, "--arch", help="Only this architecture (arm64, x86_64).")
OS = typer.Option(None, "--os", help="Only this OS version (e.g. Darwin24.1.0).")
RULES = typer.Option(
    None, "--rules", help="alerts.yaml whose `notify:` section names the channels.", dir_okay=False
)

# The options of every report: (parameter, type, option). One table, so the three commands
# cannot drift apart; `_add` turns it into each command's signature for typer.
OPTIONS: list[tuple[str, Any, Any]] = [
    ("db", Optional[str], DB),
    ("at", Optional[str], AT),
    ("as_json", bool, JSON),
    ("html", Optional[Path], HTML),
    ("send", bool, SEND),
    ("arch", Optional[str], ARCH),
    ("os_version", Optional[str], OS),
    ("rules", Optional[Path], RULES),
]
DEPRECATION_BELOW = (
    "deprecation_below",
    float,
    typer.Option(
        2.0,  # = reports.compatibility.DEFAULT_DEPRECATION_BELOW (not imported: start-up time)
        "--deprecation-below",
        min=0.0,
        max=100.0,
        help="OS versions under this % of installations are deprecation candidates.",
    ),
)


def _run(
    name: str,
    *,
    db: Optional[str],
    at: Optional[str],
    as_json: bool,
    html: Optional[Path],
    send: bool,
    arch: Optional[str],
    os_version: Optional[str],
    rules: Optional[Path],
    **report_options: Any,
) -> None:
    from installer.analytics.reports.commands import run_report
    from installer.analytics.timeutil import now, parse_moment

    code = run_report(
        name,
        db,
        parse_moment(at) if at else now(),
        arch=arch,
        os_version=os_version,
        as_json=as_json,
        html_file=html,
        send=send,
        rules_file=rules,
        **report_options,
    )
    raise typer.Exit(code)


def _add(name: str, summary: str, *extra: tuple[str, Any, Any]) -> None:
    """Register `report NAME` with the common options (and `extra` ones)."""

    def command(**options: Any) -> None:
        _run(name, **options)

    keyword = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(p, keyword, default=o, annotation=t) for p, t, o in (*OPTIONS, *extra)
    ]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]  # not declared on functions; typer reads it
    report.command(name, help=summary)(command)


_add("weekly", "This week [T-7d, T) vs last week, production only.")
_add("component-health", "Components failing over [T-24h, T), with the triggers for on-call.")
_add(
    "compatibility",
    "The last 30 days vs the 30 before: OS versions, architectures, deprecation candidates.",
    DEPRECATION_BELOW,
)


def register(app: typer.Typer) -> None:
    app.add_typer(report, name="report")
