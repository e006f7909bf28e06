"""`dtu-install analytics ...`: the analytics command group.

Each part lives in its own module and exposes `register(app)`; a part not built yet is
simply absent from `--help`.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help=(
        "Analyse installer events: import or pull them into the event store, then show "
        "dashboards, reports and alerts. Every command takes --db; dashboards, reports and "
        "`alerts check` take --at (compute for that moment; `alerts backtest` has --from/--to)."
    ),
    no_args_is_help=True,
)

PARTS: tuple[str, ...] = (
    "analytics_import_cmds",  # import                 (collector/store issue)
    "analytics_pull_cmds",  # pull                     (dashboards issue)
    "analytics_dashboard_cmds",  # dashboard           (dashboards issue)
    "analytics_report_cmds",  # report                 (reports/alerts issue)
    "analytics_alerts_cmds",  # alerts check|backtest  (reports/alerts issue)
    "analytics_run_cmds",  # run ID: one run's timeline (support id issue)
    "analytics_serve_cmds",  # serve                   (live dashboard issue)
)

for _part in PARTS:
    try:
        _module = importlib.import_module(f"installer.cli.{_part}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"installer.cli.{_part}":
            raise
        continue
    _module.register(app)
