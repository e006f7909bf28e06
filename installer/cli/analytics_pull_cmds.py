"""`dtu-install analytics pull` (SPEC 6, "Event store and sources")."""

from __future__ import annotations

from typing import Optional

import typer

DB = typer.Option(None, "--db", help="Event store (default: $DTU_INSTALL_DB or the data dir).")
SINCE = typer.Option(
    None,
    "--since",
    help="First day to pull, YYYY-MM-DD in the website's time zone "
    "(default: where the last pull stopped).",
)
AT = typer.Option(None, "--at", help="Pull as if it were this moment (default: now).")
CONFIG = typer.Option(
    None, "--config", help="Analytics settings YAML (Piwik PRO URL, website id, slots)."
)
JSON = typer.Option(False, "--json", help="Print the summary as JSON.")


def register(app: typer.Typer) -> None:
    @app.command("pull")
    def pull_cmd(
        db: Optional[str] = DB,
        since: Optional[str] = SINCE,
        at: Optional[str] = AT,
        config: Optional[str] = CONFIG,
        as_json: bool = JSON,
    ) -> None:
        """Pull raw events from the Piwik PRO Analytics API into the event store.

        Credentials: PIWIK_PRO_CLIENT_ID, PIWIK_PRO_CLIENT_SECRET (sent only to the https URL).

        Settings file or environment: piwik.url (PIWIK_PRO_URL), piwik.website_id
        (PIWIK_PRO_WEBSITE_ID), piwik.timezone (PIWIK_PRO_TIMEZONE, the website's; default UTC).

        Days are the website's days; times are stored in UTC.
        """
        from installer.analytics.pull import run_pull
        from installer.analytics.timeutil import now, parse_moment

        moment = parse_moment(at) if at else now()
        raise typer.Exit(run_pull(db=db, now=moment, since=since, config=config, as_json=as_json))
