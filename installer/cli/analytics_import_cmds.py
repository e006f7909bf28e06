"""`dtu-install analytics import FILE... [--db PATH]`."""

from __future__ import annotations

from typing import Optional

import typer

FILES = typer.Argument(
    ..., metavar="FILE...", help="Bulk JSON files, or files of one query string per line."
)


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        files: list[str] = FILES,
        db: Optional[str] = typer.Option(
            None,
            "--db",
            help="Event store (SQLite). Default: $DTU_INSTALL_DB, else the user data dir.",
        ),
    ) -> int:
        """Import tracking hits from files into the event store. Importing a file twice adds
        nothing. Bad lines are reported (FILE:LINE) and skipped; exit code 1 if there were any."""
        from installer.analytics.import_command import run_import

        return run_import(files, db)
