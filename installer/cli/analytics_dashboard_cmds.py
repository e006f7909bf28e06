"""`dtu-install analytics dashboard NAME` (SPEC 6, "Dashboards")."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

NAME = typer.Argument(..., help="overview, compatibility, components, development, or all.")
DB = typer.Option(None, "--db", help="Event store (default: $DTU_INSTALL_DB or the data dir).")
AT = typer.Option(None, "--at", help="Compute at this moment, YYYY-MM-DDTHH:MM:SSZ (default: now).")
DAYS = typer.Option(30, "--days", help="Window: the last N days before --at.")
CATEGORY = typer.Option(
    None, "--category", help="Only these event categories (repeatable; default: all)."
)
ARCH = typer.Option(None, "--arch", help="Only this architecture (arm64, x86_64).")
OS = typer.Option(None, "--os", help="Only this OS version, e.g. Darwin14.2.1.")
JSON = typer.Option(False, "--json", help="Print the numbers as JSON.")
HTML = typer.Option(
    None,
    "--html",
    help="Write all four dashboards to one self-contained HTML file.",
    dir_okay=False,
)
CONFIG = typer.Option(
    None, "--config", help="Analytics settings YAML (category names).", dir_okay=False
)


def register(app: typer.Typer) -> None:
    @app.command("dashboard")
    def dashboard_cmd(
        name: str = NAME,
        db: Optional[str] = DB,
        at: Optional[str] = AT,
        days: int = DAYS,
        category: Optional[list[str]] = CATEGORY,
        arch: Optional[str] = ARCH,
        os_version: Optional[str] = OS,
        as_json: bool = JSON,
        html: Optional[Path] = HTML,
        config: Optional[Path] = CONFIG,
    ) -> None:
        """Show a dashboard in the terminal, as JSON, or all four as one HTML page.

        NAME is overview, compatibility, components, development, or all.
        """
        from installer.analytics.dashboards.command import run_dashboard
        from installer.analytics.timeutil import now, parse_moment

        moment = parse_moment(at) if at else now()
        code = run_dashboard(
            name,
            db=db,
            at=moment,
            days=days,
            categories=category or (),
            arch=arch,
            os=os_version,
            as_json=as_json,
            html=html,
            config=config,
        )
        raise typer.Exit(code)
