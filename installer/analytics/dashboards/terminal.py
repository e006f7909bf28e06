"""Dashboards in the terminal (rich): tables, bars and sparklines; "no data", never 0%."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from installer.analytics.dashboards import (
    DASHBOARDS,
    Compatibility,
    Components,
    Dashboard,
    Development,
    Overview,
)
from installer.analytics.dashboards.serialize import by_kind, day_text, query_text
from installer.analytics.dashboards.serialize import label as _label
from installer.analytics.timeutil import display_rate, rate

SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60  # characters; fits beside a table on a laptop terminal
BAR_WIDTH = 30
NO_DATA = "no data"
# Colour of a success rate (at least this % -> style), best first; below the last: red.
RATE_STYLES: Sequence[tuple[float, str]] = ((95.0, "green"), (80.0, "yellow"))
LOW_RATE_STYLE = "red"


def rate_text(value: float | None) -> Text:
    if value is None:
        return Text(NO_DATA, style="dim")
    style = next((s for low, s in RATE_STYLES if value >= low), LOW_RATE_STYLE)
    return Text(display_rate(value), style=style)


def _buckets(values: Sequence[float | None]) -> list[float | None]:
    """At most SPARK_WIDTH values: long windows are averaged a few days per character."""
    if len(values) <= SPARK_WIDTH:
        return list(values)
    size = -(-len(values) // SPARK_WIDTH)
    out: list[float | None] = []
    for i in range(0, len(values), size):
        present = [v for v in values[i : i + size] if v is not None]
        out.append(sum(present) / len(present) if present else None)
    return out


def sparkline(values: Sequence[float | None]) -> Text:
    """One character per value (or per few days on long windows); no data is a blank."""
    values = _buckets(values)
    present = [v for v in values if v is not None]
    if not present:
        return Text(NO_DATA, style="dim")
    low, high = min(present), max(present)
    span = high - low
    out = Text()
    for v in values:
        if v is None:
            out.append(" ")
        else:
            level = 0 if span == 0 else round((v - low) / span * (len(SPARK) - 1))
            out.append(SPARK[level], style="cyan")
    return out


def bar(value: int, largest: int) -> Text:
    width = 0 if largest <= 0 else max(1 if value else 0, round(value / largest * BAR_WIDTH))
    return Text("█" * width, style="blue")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    return table


def _overview(o: Overview) -> list[RenderableType]:
    t = o.total
    headline = Text.assemble(
        ("Success rate: ", "bold"), rate_text(t.success_rate), f"  ({t.events} events)"
    )
    pie = _table("Success vs failure", "outcome", "events", "%")
    pie.add_row("success", str(t.successes), rate_text(t.success_rate))
    pie.add_row("failure", str(t.failures), display_rate(t.failure_rate))
    volume = Text.assemble(
        ("Daily event volume  ", "bold"),
        sparkline([float(n) for n in o.daily_events]),
        f"  {day_text(o.days[0])} .. {day_text(o.days[-1])}, max {max(o.daily_events)}/day"
        if o.days
        else "",
    )
    cats = _table("Events by category", "category", "events", "")
    largest = max((r.counts.events for r in o.by_category), default=0)
    for row in o.by_category:
        cats.add_row(_label(row.label), str(row.counts.events), bar(row.counts.events, largest))
    return [headline, volume, pie, cats]


def _compatibility(c: Compatibility) -> list[RenderableType]:
    arch = _table("Per architecture", "arch", "events", "success", "failure", "")
    largest = max((r.counts.events for r in c.by_arch), default=0)
    for row in c.by_arch:
        arch.add_row(
            _label(row.label),
            str(row.counts.events),
            rate_text(row.counts.success_rate),
            display_rate(row.counts.failure_rate),
            bar(row.counts.events, largest),
        )
    os_table = _table(
        "Per OS version (most events first)", "OS", "events", "success", "events per day"
    )
    for row in c.by_os:
        series = [float(n) for n in c.os_daily_events.get(row.label, [])]
        os_table.add_row(
            _label(row.label),
            str(row.counts.events),
            rate_text(row.counts.success_rate),
            sparkline(series),
        )
    return [arch, os_table]


def _components(c: Components) -> list[RenderableType]:
    table = _table(
        "Per component (most failures first, then name)", "component", "ok", "failed", "success"
    )
    for row in c.by_component:
        table.add_row(
            _label(row.label),
            str(row.counts.successes),
            str(row.counts.failures),
            rate_text(row.counts.success_rate),
        )
    top = _table("Top 10 by failures", "component", "failures", "")
    largest = max((r.counts.failures for r in c.top_failing), default=0)
    for row in c.top_failing:
        top.add_row(_label(row.label), str(row.counts.failures), bar(row.counts.failures, largest))
    daily = _table("Daily success % of the 5 most used", "component", "success % per day")
    for name, series in c.daily_success.items():
        daily.add_row(_label(name), sparkline([day.success_rate for day in series]))
    heat = _table("Success % by component x architecture", "component", *map(_label, c.arches))
    for name, cells in c.heat.items():
        heat.add_row(_label(name), *(rate_text(cell.success_rate) for cell in cells))
    return [table, top, daily, heat]


def _minute(ts: int | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def _development(d: Development) -> list[RenderableType]:
    shas = _table(
        "Per commit SHA (latest first seen on top)", "SHA", "events", "success", "failure"
    )
    shas.add_column("first seen", justify="left")
    shas.add_column("last seen", justify="left")
    shas.add_column("rollback", justify="left")
    lines = _table("Events per SHA per day", "SHA", "events per day")
    for row in d.by_sha:
        shas.add_row(
            _label(row.sha),
            str(row.counts.events),
            rate_text(row.counts.success_rate),
            display_rate(row.counts.failure_rate),
            _minute(row.first_seen),
            _minute(row.last_seen),
            Text("back " + ", ".join(map(day_text, row.returned_on)), style="bold red")
            if row.rollback
            else "",
        )
        lines.add_row(
            _label(row.sha), sparkline([float(n) for n in d.sha_daily_events.get(row.sha, [])])
        )
    ci = _table("CI vs production per component", "component", "prod events", "prod success")
    ci.add_column("CI events", justify="right")
    ci.add_column("CI success", justify="right")
    for pair in d.ci_vs_production:
        ci.add_row(
            pair.component,
            str(pair.production.events),
            rate_text(pair.production.success_rate),
            str(pair.ci.events),
            rate_text(pair.ci.success_rate),
        )
    total = sum(r.counts.events for r in d.by_category_7d)
    cats = _table("Events by category, last 7 days", "category", "events", "%")
    for cat in d.by_category_7d:
        cats.add_row(
            _label(cat.label), str(cat.counts.events), display_rate(rate(cat.counts.events, total))
        )
    return [shas, lines, ci, cats]


def renderable(name: str, result: Dashboard) -> RenderableType:
    parts = by_kind(result, _overview, _compatibility, _components, _development)
    header = Text(f"last {query_text(result.query)}", style="dim")
    return Panel(Group(header, *parts), title=DASHBOARDS[name][0], expand=False)


def render(name: str, result: Dashboard, console: Console | None = None) -> None:
    (console or Console()).print(renderable(name, result))
