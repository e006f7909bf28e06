"""`dtu-install analytics serve` (issue 17): the dashboards as live pages."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

DB = typer.Option(None, "--db", help="Event store (default: $DTU_INSTALL_DB or the data dir).")
HOST = typer.Option(
    "127.0.0.1",
    "--host",
    help="Address to listen on (default loopback; any other prints a warning).",
)
PORT = typer.Option(8800, "--port", min=0, max=65535, help="TCP port (0: any free port).")
CONFIG = typer.Option(
    None, "--config", help="Analytics settings YAML (category names).", dir_okay=False
)
RULES = typer.Option(
    None,
    "--rules",
    help="Alert rules YAML for the alerts banner (default: shipped).",
    dir_okay=False,
)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve_cmd(
        db: Optional[str] = DB,
        host: str = HOST,
        port: int = PORT,
        config: Optional[Path] = CONFIG,
        rules: Optional[Path] = RULES,
    ) -> None:
        """Serve the four dashboards as live pages: filters in the URL, drill-down from a
        component to one run, alerts and open incidents on top. Read-only. Ctrl-C stops."""
        import sys

        from installer.analytics.serve.command import run_serve

        def announce(line: str) -> None:
            print(line, flush=True)

        def warn(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        code = run_serve(
            db, host, port, config_file=config, rules_file=rules, announce=announce, warn=warn
        )
        raise typer.Exit(code)
