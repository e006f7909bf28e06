"""`analytics report NAME`: build, print (text or JSON), write HTML, and with --send queue it
for the notification channels of the rules file (through the outbox, so never lost)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from installer.analytics.query import Scope
from installer.analytics.reports.compatibility import DEFAULT_DEPRECATION_BELOW, compatibility
from installer.analytics.reports.component_health import component_health
from installer.analytics.reports.render import Report, to_html, to_page, to_text
from installer.analytics.reports.weekly import weekly
from installer.analytics.timeutil import format_moment
from installer.errors import ExitCode, UsageError
from installer.store.event_store import EventStore, resolve_db_path


def build(
    store: EventStore,
    name: str,
    at: int,
    scope: Scope,
    deprecation_below: float = DEFAULT_DEPRECATION_BELOW,
) -> Report:
    if name == "weekly":
        return weekly(store, at, scope)
    if name == "component-health":
        return component_health(store, at, scope)
    if name == "compatibility":
        return compatibility(store, at, scope, deprecation_below)
    raise UsageError(f"unknown report {name!r}")


def run_report(
    name: str,
    db: str | None,
    at: int,
    *,
    arch: str | None,
    os_version: str | None,
    as_json: bool,
    html_file: Path | None,
    send: bool,
    rules_file: Path | None,
    deprecation_below: float = DEFAULT_DEPRECATION_BELOW,
) -> int:
    config = None
    if send:  # load (and validate) the channels before doing any work
        from installer.analytics.alerts.load import load_config

        config = load_config(rules_file)
    with EventStore(resolve_db_path(db), readonly=True) as store:
        report = build(store, name, at, Scope.production(arch, os_version), deprecation_below)
        if html_file is not None:
            from installer.analytics.html_page import write_page

            write_page(html_file, to_page(report))
        text = to_text(report)  # whole lines: what email and Slack get
        if as_json:
            sys.stdout.write(json.dumps(report.serialize(), indent=2) + "\n")
        else:
            from installer.analytics.text_fit import terminal_width

            width = terminal_width()
            sys.stdout.write(text if width is None else to_text(report, width))
        if config is None:
            return ExitCode.OK
        from installer.analytics.notify.dispatch import dispatch_message
        from installer.analytics.notify.message import report_message

        page = to_html(report)
        message = report_message(report.name, report.title, text, page, report.serialize(), at)
        # Once per report and T: a re-run of the same scheduled report sends nothing new.
        # A segment (--arch/--os) or another deprecation threshold is another report.
        once = f"report {report.name} for {format_moment(at)}" + _variant(
            name, arch, os_version, deprecation_below
        )
        outcome = dispatch_message(store, config.notify, message, at, once=once)
    for line in outcome.lines():
        print(line, file=sys.stderr)
    return ExitCode.OK if outcome.ok else ExitCode.FAILED


def _variant(name: str, arch: str | None, os_version: str | None, deprecation_below: float) -> str:
    """What sets this report apart from the plain one of the same name and T ('' for none)."""
    parts = [f"arch={arch}" if arch else "", f"os={os_version}" if os_version else ""]
    if name == "compatibility" and deprecation_below != DEFAULT_DEPRECATION_BELOW:
        parts.append(f"deprecation_below={deprecation_below:g}")
    kept = [p for p in parts if p]
    return f" ({', '.join(kept)})" if kept else ""
