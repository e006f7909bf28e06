"""upstream check|bump: the pinned downloads against their publishers (thin: parse options,
call `installer.upstream.command`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    help="Check the recipes' pinned downloads against their publishers, and bump them "
    "(SPEC 3, 'Upstream versions').",
    no_args_is_help=True,
)

Components = Annotated[
    Optional[list[str]],
    typer.Argument(help="Components (recipe names) to look at (default: every pinned one)."),
]
RecipePaths = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--recipes", help="Recipe directory or file (repeatable; default: the project's recipes/)."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable result (for CI).")]


@app.command()
def check(
    components: Components = None, as_json: AsJson = False, recipes: RecipePaths = None
) -> int:
    """Per component and architecture: up to date, newer (with its sha256) or broken.
    Exit 1 when a pin no longer verifies or a publisher cannot be reached."""
    from installer.upstream import command

    return command.check(recipes or [], as_json=as_json, only=components or [])


@app.command()
def bump(
    components: Components = None,
    write: Annotated[
        bool, typer.Option("--write", help="Rewrite the recipes' version and sha256 in place.")
    ] = False,
    as_json: AsJson = False,
    recipes: RecipePaths = None,
) -> int:
    """Update pins to the newest versions after downloading and verifying their files
    (without --write: show what would change)."""
    from installer.upstream import command

    return command.bump(recipes or [], write=write, as_json=as_json, only=components or [])
