"""`dtu-install analytics dashboard NAME`: the plain function behind the CLI command."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from installer.analytics.dashboards import DASHBOARDS, DashboardQuery, compute
from installer.analytics.query import Scope
from installer.analytics.settings import load_settings
from installer.errors import ExitCode, UsageError
from installer.store.event_store import EventStore, resolve_db_path

ALL = "all"
MAX_DAYS = 3660  # ten years: anything longer is a typo


def dashboard_names(name: str) -> list[str]:
    if name == ALL:
        return list(DASHBOARDS)
    if name not in DASHBOARDS:
        raise UsageError(
            f"unknown dashboard {name!r}; choose one of: {', '.join([*DASHBOARDS, ALL])}"
        )
    return [name]


def run_dashboard(
    name: str,
    *,
    db: str | None,
    at: int,
    days: int,
    categories: Sequence[str] = (),
    arch: str | None = None,
    os: str | None = None,
    as_json: bool = False,
    html: Path | None = None,
    config: Path | None = None,
) -> int:
    names = dashboard_names(name)
    if not 1 <= days <= MAX_DAYS:
        raise UsageError(f"--days: {days} is not a number of days from 1 to {MAX_DAYS}")
    settings = load_settings(config)
    scope = Scope(tuple(categories) if categories else None, arch or None, os or None)
    query = DashboardQuery(at=at, days=days, scope=scope, categories=settings.categories)
    with EventStore(resolve_db_path(db), readonly=True) as store:
        shown = {n: compute(n, store, query) for n in names}
        # The page always holds all four dashboards (SPEC 6), whichever one is named.
        page_results = (
            [(n, shown[n] if n in shown else compute(n, store, query)) for n in DASHBOARDS]
            if html is not None
            else []
        )
    if html is not None:
        from installer.analytics.dashboards.page import dashboards_page
        from installer.analytics.html_page import write_page

        target = write_page(html, dashboards_page(page_results))
        print(f"wrote {target} (all four dashboards)", file=sys.stderr)
    if as_json:
        from installer.analytics.dashboards.serialize import to_json

        docs = {n: to_json(n, r) for n, r in shown.items()}
        payload = docs[names[0]] if len(names) == 1 else {"version": 1, "dashboards": docs}
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    elif html is None:
        from rich.console import Console

        from installer.analytics.dashboards.terminal import render

        console = Console()
        for n, result in shown.items():
            render(n, result, console)
    return ExitCode.OK
