"""`dtu-install analytics run ID` (SPEC 6, "Definitions": support by run)."""

from __future__ import annotations

from typing import Optional

import typer

RUN_ID = typer.Argument(
    ...,
    metavar="ID",
    help="The support id from a failure summary (at least 8 characters of a run id).",
)
DB = typer.Option(None, "--db", help="Event store (default: $DTU_INSTALL_DB or the data dir).")
JSON = typer.Option(False, "--json", help="Print the timeline as JSON.")


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(run_id: str = RUN_ID, db: Optional[str] = DB, as_json: bool = JSON) -> None:
        """Show one installation's timeline: every event of the run with its time, action,
        outcome, error category, duration, OS, architecture and SHA.

        Exit codes: 0 found, 1 no run has this id, 2 the id is malformed or matches several
        runs (they are listed).
        """
        from installer.analytics.run_timeline import run_command

        raise typer.Exit(run_command(run_id, db=db, as_json=as_json))
