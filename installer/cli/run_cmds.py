"""run, doctor: install a profile, and check an installed one (thin: parse options, call
`installer.runner.command` / `installer.runner.doctor`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

Targets = Annotated[
    Optional[list[str]],
    typer.Argument(help="Profiles or recipes (default: the `default` profile)."),
]
RecipePaths = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--recipes", help="Recipe directory or file (repeatable; default: the project's recipes/)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print a machine-readable result.")]
StepNames = Optional[list[str]]


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        targets: Targets = None,
        dry_run: Annotated[
            bool,
            typer.Option(
                "--dry-run", help="Go through the run without executing actions (checks do run)."
            ),
        ] = False,
        yes: Annotated[
            bool,
            typer.Option("--yes", "-y", help="Never prompt (steps needing sudo use `sudo -n`)."),
        ] = False,
        as_json: AsJson = False,
        only: Annotated[
            StepNames, typer.Option("--only", help="Run only this step (repeatable).")
        ] = None,
        skip: Annotated[
            StepNames, typer.Option("--skip", help="Leave out this step (repeatable).")
        ] = None,
        test: Annotated[
            bool, typer.Option("--test", help="Tag telemetry events as Installer_TEST.")
        ] = False,
        recipes: RecipePaths = None,
        bundle: Annotated[
            Optional[Path],
            typer.Option(
                "--bundle",
                help="Take every download from this offline bundle (`dtu-install bundle`), "
                "verified, never from the network.",
            ),
        ] = None,
    ) -> int:
        """Install: run each step whose check shows it is not done yet."""
        from installer.runner import command

        return command.run(
            targets or [],
            recipe_paths=recipes or [],
            dry_run=dry_run,
            assume_yes=yes,
            as_json=as_json,
            only=only or [],
            skip=skip or [],
            test_mode=test,
            bundle=bundle,
        )

    @app.command()
    def doctor(
        targets: Targets = None,
        as_json: AsJson = False,
        html: Annotated[
            Optional[Path],
            typer.Option("--html", help="Write a report to send to support (one HTML file)."),
        ] = None,
        recipes: RecipePaths = None,
    ) -> int:
        """Check an installed profile: PASS/FAIL per check."""
        from installer.runner import doctor as doctor_mod

        return doctor_mod.doctor(
            targets or [], recipe_paths=recipes or [], as_json=as_json, html=html
        )
