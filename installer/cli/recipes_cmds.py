"""validate, schema, list, plan: the maintainer's commands over recipes (thin: parse options,
call `installer.recipes.commands`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

RecipePaths = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--recipes", help="Recipe directory or file (repeatable; default: the project's recipes/)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        paths: Annotated[
            Optional[list[Path]],
            typer.Argument(help="Recipe directories or files (default: the project's recipes/)."),
        ] = None,
    ) -> int:
        """Check recipes, profiles and settings; print every problem as FILE:LINE:COL."""
        from installer.recipes import commands

        return commands.validate(paths or [])

    @app.command()
    def schema(
        kind: Annotated[
            str, typer.Option("--kind", help="Which file: recipe, profile or settings.")
        ] = "recipe",
    ) -> int:
        """Print the JSON Schema of a recipe, profile or settings file (for editors'
        autocompletion; docs/schema/ holds them too)."""
        from installer.errors import UsageError
        from installer.recipes import commands
        from installer.recipes.schema import SCHEMAS

        if kind not in SCHEMAS:
            raise UsageError(f"--kind must be one of {', '.join(SCHEMAS)}, not {kind!r}")
        return commands.schema(kind)

    @app.command("list")
    def list_(recipes: RecipePaths = None, as_json: AsJson = False) -> int:
        """List profiles and recipes with their descriptions."""
        from installer.recipes import commands

        return commands.list_recipes(recipes or [], as_json)

    @app.command()
    def plan(
        targets: Annotated[
            Optional[list[str]],
            typer.Argument(help="Profiles or recipes (default: the `default` profile)."),
        ] = None,
        arch: Annotated[
            Optional[str],
            typer.Option("--arch", help="Plan for this architecture: arm64 or x86_64."),
        ] = None,
        os_version: Annotated[
            Optional[str],
            typer.Option("--os-version", help="Plan for this macOS version, e.g. 14.5."),
        ] = None,
        as_json: AsJson = False,
        recipes: RecipePaths = None,
    ) -> int:
        """Show the steps that would run, in order, rendered for a Mac."""
        from installer.recipes import commands

        return commands.plan(
            targets or [], arch=arch, os_version=os_version, as_json=as_json, paths=recipes or []
        )
