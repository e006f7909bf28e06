"""`dtu-install analytics serve`: check the store, build the app, serve it with waitress
until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from installer.analytics.serve.app import ServeConfig, create_app
from installer.analytics.settings import load_settings
from installer.collector.server import is_loopback
from installer.errors import DtuInstallError, ExitCode
from installer.store.event_store import EventStore, resolve_db_path

DEFAULT_HOST = "127.0.0.1"  # loopback unless asked: the pages have no authentication
DEFAULT_PORT = 8800
THREADS = 4  # waitress worker threads: a few people looking at once


class _Stop(Exception):
    """SIGTERM: stop serving, like Ctrl-C."""


def run_serve(
    db: str | None,
    host: str,
    port: int,
    *,
    config_file: Path | None = None,
    rules_file: Path | None = None,
    announce: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> int:
    path = resolve_db_path(db)
    with EventStore(path, readonly=True):  # a missing or unusable store: exit 2 now, not per page
        pass
    if rules_file is not None:
        from installer.analytics.alerts.load import load_config

        load_config(rules_file)  # a bad rules file: exit 2 now
    settings = load_settings(config_file)
    app = create_app(ServeConfig(db=path, settings=settings, rules_file=rules_file))
    if not is_loopback(host):
        warn(
            f"warning: serving on {host}, reachable from other machines; the pages have no "
            "authentication: anyone who can reach this port can read every dashboard and run"
        )
    from waitress import create_server

    try:
        server = create_server(app, host=host, port=port, threads=THREADS, ident="dtu-install")
    except OSError as exc:
        raise DtuInstallError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    shown = f"[{host}]" if ":" in host else host
    announce(f"serving the dashboards of {path} at http://{shown}:{server.effective_port}/")
    announce("Ctrl-C stops")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.close()
    print("stopped", file=sys.stderr)
    return ExitCode.OK
