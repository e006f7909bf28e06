"""`dtu-install telemetry status|on|off|show` (thin: parse options, call
`installer.telemetry.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    help="The anonymous per-step reports: see or change what is sent (docs/telemetry.md).",
    no_args_is_help=True,
)


@app.command()
def status() -> int:
    """Say whether reports are sent, where, and what is waiting to be sent."""
    from installer.telemetry import commands

    return commands.status()


@app.command()
def on() -> int:
    """Send the anonymous per-step reports (remembered for later runs)."""
    from installer.telemetry import commands

    return commands.set_choice(True)


@app.command()
def off() -> int:
    """Send nothing (remembered for later runs); deletes reports waiting to be sent."""
    from installer.telemetry import commands

    return commands.set_choice(False)


@app.command()
def show(
    targets: Annotated[
        Optional[list[str]],
        typer.Argument(help="Profiles or recipes of a planned run (implies --planned)."),
    ] = None,
    planned: Annotated[
        bool,
        typer.Option("--planned", help="What a run would send, not the last run's hits."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Hits with their decoded parameters.")
    ] = False,
    test: Annotated[
        bool, typer.Option("--test", help="As a test run (category Installer_TEST).")
    ] = False,
    recipes: Annotated[
        Optional[list[Path]],
        typer.Option("--recipes", help="Recipe directory or file (default: the project's)."),
    ] = None,
) -> int:
    """Print exactly the hits the last run sent (or a planned run would send), one per line."""
    from installer.telemetry import commands

    return commands.show(
        targets or [], recipes or [], planned=planned, as_json=as_json, test_mode=test
    )
