"""The terminal views of `alerts check` and `alerts backtest` (JSON is `serialize()`)."""

from __future__ import annotations

from installer.analytics.alerts.backtest import IncidentBacktest
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incidents import duration
from installer.analytics.text_fit import say
from installer.analytics.timeutil import format_moment


def print_firings(firings: list[Firing], when: str) -> None:
    if not firings:
        say(f"no alerts firing {when}")
        return
    for f in firings:
        key = f" [{f.key}]" if f.key is not None else ""
        say(f"{format_moment(f.at)}  {f.severity.upper():8}  {f.rule}{key}: {f.summary}")
        say(f"    runbook: {f.runbook}")


def print_backtest_incidents(result: IncidentBacktest, when: str) -> None:
    """Firings grouped into their incidents, then the per-rule summary."""
    if not result.incidents:
        say(f"no incidents {when}")
    for incident in result.incidents:
        key = f" [{incident.key}]" if incident.key is not None else ""
        end = (
            format_moment(incident.resolved)
            if incident.resolved is not None
            else f"still open at {format_moment(result.end)}"
        )
        span = duration(incident.open_for(result.end))
        say(
            f"{format_moment(incident.started)} -> {end} ({span})  "
            f"{incident.severity.upper():8}  {incident.rule}{key}"
        )
        fired = result.firings_of(incident)
        if fired:
            say(
                f"    fired at {len(fired)} check(s), first {format_moment(fired[0].at)}, "
                f"last {format_moment(fired[-1].at)}"
            )
            say(f"    first firing: {fired[0].summary}")
        if incident.resolution:
            say(f"    resolved: {incident.resolution}")
        notices = ", ".join(f"{n.type} {format_moment(n.at)}" for n in result.notices_of(incident))
        say(f"    notifications: {notices}")
        say(f"    runbook: {incident.firing.runbook}")
    say()
    print(
        f"{'rule':22} {'severity':8} {'incidents':>9} {'hours open':>10} "
        f"{'notifications':>13} {'pages':>5}"
    )
    for row in result.summary():
        say(
            f"{row['rule']:22} {row['severity']:8} {row['incidents']:>9} "
            f"{row['hours_open']:>10.2f} {row['notifications']:>13} {row['pages']:>5}"
        )
