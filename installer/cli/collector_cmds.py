"""`dtu-install collector`: the built-in tracking-protocol server (SPEC 5)."""

from __future__ import annotations

from typing import Optional

import typer

DEFAULT_HOST = "127.0.0.1"  # loopback unless told otherwise: the collector has no auth
DEFAULT_PORT = 8765


def register(app: typer.Typer) -> None:
    @app.command("collector")
    def collector(
        db: Optional[str] = typer.Option(
            None,
            "--db",
            help="Event store (SQLite). Default: $DTU_INSTALL_DB, else the user data dir.",
        ),
        host: str = typer.Option(
            DEFAULT_HOST, "--host", help="Address to listen on (0.0.0.0: all; prints a warning)."
        ),
        port: int = typer.Option(
            DEFAULT_PORT, "--port", min=0, max=65535, help="TCP port (0: any free port)."
        ),
    ) -> int:
        """Receive tracking hits (GET/POST /ppms.php and /matomo.php, single or bulk) and
        store them; each hit is acknowledged only after it is committed. Ctrl-C stops it."""
        import sys

        from installer.collector.server import run_collector
        from installer.store.event_store import resolve_db_path

        def announce(line: str) -> None:
            print(line, flush=True)

        def warn(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

        return run_collector(resolve_db_path(db), host, port, announce=announce, warn=warn)
