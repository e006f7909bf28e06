"""Builds the typer application from one module per command group.

Each module under `installer/cli/` defines its commands and imports the heavy parts of the
program inside the command functions, so that `--help` and start-up stay fast.
"""

from __future__ import annotations

import importlib
import sys
import typing

import typer

from installer import __version__

# (module under installer.cli, how it attaches). A module exposes either
# `register(app)` (top-level commands) or `app` (a sub-command group named `name`).
COMMAND_MODULES: tuple[tuple[str, str | None], ...] = (
    ("recipes_cmds", None),  # validate, schema, list, plan          (foundation)
    ("run_cmds", None),  # run, doctor                                (runner)
    ("uninstall_cmds", None),  # uninstall                            (runner)
    ("bundle_cmds", None),  # bundle                                  (runner)
    ("upstream_cmds", "upstream"),  # upstream check|bump              (pins)
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
            "outcome, and analyse those reports. With no command, installs the `default` "
            "profile (the same as `dtu-install run`)."
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
    if sys.version_info < (3, 10):
        _resolve_annotations(app)
    return app


def _resolve_annotations(app: typer.Typer) -> None:
    """Python 3.9 (macOS's /usr/bin/python3, which runs the zipapp): typer reads parameters
    with `inspect.signature()` without `eval_str`, so in a module with `from __future__ import
    annotations` every `Annotated[..., typer.Option("--json")]` arrives as a string and its
    option names, help and Argument-ness are silently lost (`--json` becomes `--as-json`).
    Evaluate the annotations once here, for every command of every group."""
    callbacks = [info.callback for info in app.registered_commands]
    if app.registered_callback is not None:
        callbacks.append(app.registered_callback.callback)
    for callback in callbacks:
        if callback is None:
            continue
        try:
            hints = typing.get_type_hints(callback, include_extras=True)
        except (NameError, TypeError):  # a name only the module's author can resolve
            continue
        callback.__annotations__ = {name: _unwrap(hint) for name, hint in hints.items()}
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _resolve_annotations(group.typer_instance)


def _unwrap(hint: object) -> object:
    """3.9's `get_type_hints` wraps the hint of a `= None` parameter in `Optional[...]`
    outside `Annotated`, which hides typer's metadata again; take the `Annotated` back out."""
    if typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and typing.get_origin(args[0]) is typing.Annotated:
            return args[0]
    return hint
