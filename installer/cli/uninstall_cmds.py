"""uninstall: remove what dtu-install installed (thin: parse options, call
`installer.runner.uninstall`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def uninstall(
        targets: Annotated[
            Optional[list[str]],
            typer.Argument(
                help="Profiles, recipes or `course ID` (default: the `default` profile and "
                "whatever else dtu-install installed)."
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Show what would be removed, remove nothing.")
        ] = False,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Remove without asking (the list is shown).")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print a machine-readable result.")
        ] = False,
        test: Annotated[
            bool, typer.Option("--test", help="Tag telemetry events as Installer_TEST.")
        ] = False,
        recipes: Annotated[
            Optional[list[Path]],
            typer.Option("--recipes", help="Recipe directory or file (repeatable)."),
        ] = None,
    ) -> int:
        """Remove what dtu-install installed (and only that), after one confirmation."""
        from installer.runner.uninstall import uninstall as run_uninstall

        return run_uninstall(
            targets or [],
            recipe_paths=recipes or [],
            dry_run=dry_run,
            assume_yes=yes,
            as_json=as_json,
            test_mode=test,
        )
