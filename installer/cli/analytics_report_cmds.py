"""`dtu-install analytics report weekly|component-health|compatibility` (SPEC 6, "Reports")."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

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


def _run(
    name: str,
    db: Optional[str],
    at: Optional[str],
    as_json: bool,
    html: Optional[Path],
    send: bool,
    arch: Optional[str],
    os_version: Optional[str],
    rules: Optional[Path],
    deprecation_below: float = 2.0,
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
        deprecation_below=deprecation_below,
    )
    raise typer.Exit(code)


@report.command("weekly")
def weekly_cmd(
    db: Optional[str] = DB,
    at: Optional[str] = AT,
    as_json: bool = JSON,
    html: Optional[Path] = HTML,
    send: bool = SEND,
    arch: Optional[str] = ARCH,
    os_version: Optional[str] = OS,
    rules: Optional[Path] = RULES,
) -> None:
    """This week [T-7d, T) vs last week, production only."""
    _run("weekly", db, at, as_json, html, send, arch, os_version, rules)


@report.command("component-health")
def component_health_cmd(
    db: Optional[str] = DB,
    at: Optional[str] = AT,
    as_json: bool = JSON,
    html: Optional[Path] = HTML,
    send: bool = SEND,
    arch: Optional[str] = ARCH,
    os_version: Optional[str] = OS,
    rules: Optional[Path] = RULES,
) -> None:
    """Components failing over [T-24h, T), with the triggers for on-call."""
    _run("component-health", db, at, as_json, html, send, arch, os_version, rules)


@report.command("compatibility")
def compatibility_cmd(
    db: Optional[str] = DB,
    at: Optional[str] = AT,
    as_json: bool = JSON,
    html: Optional[Path] = HTML,
    send: bool = SEND,
    arch: Optional[str] = ARCH,
    os_version: Optional[str] = OS,
    rules: Optional[Path] = RULES,
    deprecation_below: float = typer.Option(
        2.0,
        "--deprecation-below",
        min=0.0,
        max=100.0,
        help="OS versions under this % of installations are deprecation candidates.",
    ),
) -> None:
    """The last 30 days vs the 30 before: OS versions, architectures, deprecation candidates."""
    _run("compatibility", db, at, as_json, html, send, arch, os_version, rules, deprecation_below)


def register(app: typer.Typer) -> None:
    app.add_typer(report, name="report")
