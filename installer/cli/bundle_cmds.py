"""bundle: an offline bundle of a profile's downloads (thin: parse options, call
`installer.runner.bundle.make_bundle`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def bundle(
        targets: Annotated[
            Optional[list[str]],
            typer.Argument(help="Profiles, recipes or `course ID` (default: `default`)."),
        ] = None,
        out: Annotated[
            Optional[Path], typer.Option("--out", help="The bundle's directory (required).")
        ] = None,
        arch: Annotated[
            str,
            typer.Option("--arch", help="Architectures, comma-separated: arm64,x86_64."),
        ] = "arm64,x86_64",
        os_version: Annotated[
            Optional[str],
            typer.Option("--os-version", help="Plan for this macOS version, e.g. 15.1."),
        ] = None,
        recipes: Annotated[
            Optional[list[Path]],
            typer.Option("--recipes", help="Recipe directory or file (repeatable)."),
        ] = None,
        vsix: Annotated[
            Optional[list[Path]],
            typer.Option(
                "--vsix",
                help="A VS Code extension's .vsix, or a directory of them (repeatable): "
                "VS Code's Extensions view, right-click, Download VSIX.",
            ),
        ] = None,
    ) -> int:
        """Download every artefact of a profile, verified, into DIR with a manifest, for
        `run --bundle DIR` without the network (exam labs, intro week)."""
        from installer.errors import UsageError
        from installer.runner.bundle import make_bundle

        if out is None:
            raise UsageError("bundle needs --out DIR (where the bundle goes)")
        arches = [a.strip() for a in arch.split(",") if a.strip()]
        return make_bundle(
            targets or [],
            arches,
            out,
            recipe_paths=recipes or [],
            os_version=os_version,
            vsix=vsix or [],
        )
