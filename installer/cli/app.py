"""Builds the typer application from one module per command group.

Each module under `installer/cli/` defines its commands and imports the heavy parts of the
program inside the command functions, so that `--help` and start-up stay fast.
"""

from __future__ import annotations

import importlib

import typer

from installer import __version__

# (module under installer.cli, how it attaches). A module exposes either
# `register(app)` (top-level commands) or `app` (a sub-command group named `name`).
COMMAND_MODULES: tuple[tuple[str, str | None], ...] = (
    ("recipes_cmds", None),  # validate, schema, list, plan          (foundation)
    ("run_cmds", None),  # run, doctor                                (runner)
    ("telemetry_cmds", "telemetry"),  # telemetry status|on|off|show  (telemetry)
    ("collector_cmds", None),  # collector                            (collector)
    ("analytics_cmds", "analytics"),  # analytics import|pull|dashboard|report|alerts
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"dtu-install {__version__}")
        raise typer.Exit(0)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="dtu-install",
        help=(
            "Set up a Mac for DTU courses (Python 3.12, conda, VS Code), report each step's "
            "outcome, and analyse those reports."
        ),
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False,
            "--version",
            "-V",
            help="Show the version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ) -> None:
        """dtu-install."""

    for module_name, group in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"installer.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"installer.cli.{module_name}":
                raise
            continue  # a command group not built yet
        if group is None:
            module.register(app)
        else:
            app.add_typer(module.app, name=group)
    return app
