"""Dashboards in the terminal (rich): tables, bars and sparklines; "no data", never 0%.

Readable at 80 columns (issue 17): tables fold free text and leave out their
lowest-priority columns when they do not fit (`terminal_fit`), dates stay whole, and the
sparklines and bars shrink to what the line has left.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from installer.analytics.dashboards import (
    DASHBOARDS,
    Compatibility,
    Components,
    Dashboard,
    Development,
    Overview,
)
from installer.analytics.dashboards.serialize import (
    HEAT_COLOUR_RULE,
    by_kind,
    day_text,
    query_text,
)
from installer.analytics.dashboards.serialize import label as _label
from installer.analytics.terminal_fit import Column, FitTable
from installer.analytics.timeutil import display_rate, rate

SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60  # characters at most; fewer when the terminal is narrow
MIN_SPARK_WIDTH = 10
BAR_WIDTH = 30
NO_DATA = "no data"
PANEL_FRAME = 4  # the panel's border and padding take this many columns
RATE_SCALE = (0.0, 100.0)  # every success-% sparkline: a 95 % day must not look like 72 %
# Colour of a success rate (at least this % -> style), best first; below the last: red.
RATE_STYLES: Sequence[tuple[float, str]] = ((95.0, "green"), (80.0, "yellow"))
LOW_RATE_STYLE = "red"


def rate_text(value: float | None) -> Text:
    if value is None:
        return Text(NO_DATA, style="dim")
    style = next((s for low, s in RATE_STYLES if value >= low), LOW_RATE_STYLE)
    return Text(display_rate(value), style=style)


def _buckets(values: Sequence[float | None], width: int) -> list[float | None]:
    """At most `width` values: long windows are averaged a few days per character."""
    if len(values) <= width:
        return list(values)
    size = -(-len(values) // width)
    out: list[float | None] = []
    for i in range(0, len(values), size):
        present = [v for v in values[i : i + size] if v is not None]
        out.append(sum(present) / len(present) if present else None)
    return out


def sparkline(
    values: Sequence[float | None],
    scale: tuple[float, float] | None = None,
    width: int = SPARK_WIDTH,
) -> Text:
    """One character per value (or per few days on long windows); no data is a blank.

    The scale is fixed, never the row's own min..max: success rates use RATE_SCALE (0 to
    100 %), counts 0 to the row's largest. Scaled per row, a 95.7 % day drew the same lowest
    bar as a real 72 % outage, and every row looked broken (issue 17)."""
    values = _buckets(values, max(1, width))
    present = [v for v in values if v is not None]
    if not present:
        return Text(NO_DATA, style="dim")
    low, high = scale if scale is not None else (0.0, max(present))
    span = high - low
    out = Text()
    for v in values:
        if v is None:
            out.append(" ")
        else:
            share = 0.0 if span <= 0 else min(max((v - low) / span, 0.0), 1.0)
            out.append(SPARK[round(share * (len(SPARK) - 1))], style="cyan")
    return out


def bar(value: int, largest: int, width: int = BAR_WIDTH) -> Text:
    cells = 0 if largest <= 0 else max(1 if value else 0, round(value / largest * width))
    return Text("█" * cells, style="blue")


def _spark_width(width: int, beside: int) -> int:
    """What a sparkline column has left beside `beside` columns of other cells."""
    return max(MIN_SPARK_WIDTH, min(SPARK_WIDTH, width - beside))


def _overview(o: Overview, width: int) -> list[RenderableType]:
    t = o.total
    headline = Text.assemble(
        ("Success rate: ", "bold"),
        rate_text(t.success_rate),
        f"  ({t.events} events; {o.query.scope.describe()})",
    )
    numbers = FitTable(
        "Success vs failure", [Column("outcome", justify="left"), Column("events"), Column("%")]
    )
    numbers.add_row("success", str(t.successes), rate_text(t.success_rate))
    numbers.add_row("failure", str(t.failures), display_rate(t.failure_rate))
    volume = Group(
        Text("Daily event volume", style="bold"),
        sparkline([float(n) for n in o.daily_events], width=_spark_width(width, 0)),
        Text(
            f"{day_text(o.days[0])} .. {day_text(o.days[-1])}, max {max(o.daily_events)}/day"
            if o.days
            else NO_DATA,
            style="dim",
        ),
    )
    unit = "hour" if o.bucket == 3600 else "day"
    most = max((c.failures for c in o.failures), default=0)
    failures = Group(
        Text(f"Failures per {unit}", style="bold"),
        sparkline([float(c.failures) for c in o.failures], width=_spark_width(width, 0)),
        Text(f"max {most}/{unit}", style="dim"),
    )
    cats = FitTable(
        "Events by category",
        [
            Column("category", justify="left"),
            Column("events"),
            Column("", justify="left", priority=1),
        ],
    )
    largest = max((r.counts.events for r in o.by_category), default=0)
    bar_width = max(5, min(BAR_WIDTH, width - 40))
    for row in o.by_category:
        cats.add_row(
            _label(row.label), str(row.counts.events), bar(row.counts.events, largest, bar_width)
        )
    return [headline, volume, failures, numbers.build(width), cats.build(width)]


def _compatibility(c: Compatibility, width: int) -> list[RenderableType]:
    arch = FitTable(
        "Per architecture",
        [
            Column("arch", justify="left"),
            Column("events", whole=True),
            Column("success", whole=True),
            Column("failure", whole=True, priority=2),
            Column("", justify="left", priority=3),
        ],
    )
    largest = max((r.counts.events for r in c.by_arch), default=0)
    for row in c.by_arch:
        arch.add_row(
            _label(row.label),
            str(row.counts.events),
            rate_text(row.counts.success_rate),
            display_rate(row.counts.failure_rate),
            bar(row.counts.events, largest, max(5, min(BAR_WIDTH, width - 50))),
        )
    os_table = FitTable(
        "Per OS version (most events first)",
        [
            Column("OS", justify="left"),
            Column("events", whole=True),
            Column("success", whole=True),
            Column("events per day", justify="left", priority=1),
        ],
    )
    spark = _spark_width(width, 45)
    for row in c.by_os:
        series = [float(n) for n in c.os_daily_events.get(row.label, [])]
        os_table.add_row(
            _label(row.label),
            str(row.counts.events),
            rate_text(row.counts.success_rate),
            sparkline(series, width=spark),
        )
    return [arch.build(width), os_table.build(width)]


def _components(c: Components, width: int) -> list[RenderableType]:
    table = FitTable(
        "Per component (most failures first, then name)",
        [
            Column("component", justify="left"),
            Column("ok", whole=True),
            Column("failed", whole=True),
            Column("success", whole=True),
        ],
    )
    for row in c.by_component:
        table.add_row(
            _label(row.label),
            str(row.counts.successes),
            str(row.counts.failures),
            rate_text(row.counts.success_rate),
        )
    top = FitTable(
        "Top 10 by failures",
        [
            Column("component", justify="left"),
            Column("failures", whole=True),
            Column("", justify="left", priority=1),
        ],
    )
    largest = max((r.counts.failures for r in c.top_failing), default=0)
    for row in c.top_failing:
        top.add_row(
            _label(row.label),
            str(row.counts.failures),
            bar(row.counts.failures, largest, max(5, min(BAR_WIDTH, width - 45))),
        )
    daily = FitTable(
        "Daily success %, 0-100 scale: the 5 most used and the 5 most failing",
        [
            Column("component", justify="left"),
            Column("shown as", justify="left", priority=1),
            Column("success % per day", justify="left"),
        ],
    )
    spark = _spark_width(width, 45)
    for name, series in c.daily_success.items():
        daily.add_row(
            _label(name),
            c.trend_reasons[name],
            sparkline([day.success_rate for day in series], RATE_SCALE, spark),
        )
    heat = FitTable(
        "Success % by component x architecture: whole range (worst day)",
        [
            Column("component", justify="left"),
            *(Column(_label(a), whole=True, priority=i + 1) for i, a in enumerate(c.arches)),
        ],
    )
    for name, cells in c.heat.items():
        heat.add_row(
            _label(name),
            *(_heat_cell(cell.total.success_rate, cell.worst.success_rate) for cell in cells),
        )
    return [
        table.build(width),
        top.build(width),
        daily.build(width),
        heat.build(width),
        Text(HEAT_COLOUR_RULE.replace("colour: ", "worst day: "), style="dim"),
    ]


def _heat_cell(total: float | None, worst: float | None) -> Text:
    out = rate_text(total)
    if worst is not None:
        out.append(" (")
        out.append_text(rate_text(worst))
        out.append(")")
    return out


def _minute(ts: int | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def _development(d: Development, width: int) -> list[RenderableType]:
    shas = FitTable(
        "Per commit SHA (latest first seen on top)",
        [
            Column("SHA", justify="left", whole=True),
            Column("events", whole=True),
            Column("success", whole=True),
            Column("failure", whole=True, priority=3),
            Column("first seen", justify="left", whole=True, priority=2),
            Column("last seen", justify="left", whole=True, priority=1),
            Column("rollback", justify="left"),
        ],
    )
    lines = FitTable(
        "Events per SHA per day",
        [Column("SHA", justify="left", whole=True), Column("events per day", justify="left")],
    )
    spark = _spark_width(width, 15)
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
            _label(row.sha),
            sparkline([float(n) for n in d.sha_daily_events.get(row.sha, [])], width=spark),
        )
    ci = FitTable(
        "CI vs production per component",
        [
            Column("component", justify="left"),
            Column("prod events", whole=True, priority=2),
            Column("prod success", whole=True),
            Column("CI events", whole=True, priority=1),
            Column("CI success", whole=True),
        ],
    )
    for pair in d.ci_vs_production:
        ci.add_row(
            pair.component,
            str(pair.production.events),
            rate_text(pair.production.success_rate),
            str(pair.ci.events),
            rate_text(pair.ci.success_rate),
        )
    total = sum(r.counts.events for r in d.by_category_7d)
    cats = FitTable(
        "Events by category, last 7 days",
        [Column("category", justify="left"), Column("events"), Column("%")],
    )
    for cat in d.by_category_7d:
        cats.add_row(
            _label(cat.label), str(cat.counts.events), display_rate(rate(cat.counts.events, total))
        )
    return [shas.build(width), lines.build(width), ci.build(width), cats.build(width)]


def renderable(name: str, result: Dashboard, width: int = 120) -> RenderableType:
    inner = max(20, width - PANEL_FRAME)
    parts = by_kind(
        result,
        lambda r: _overview(r, inner),
        lambda r: _compatibility(r, inner),
        lambda r: _components(r, inner),
        lambda r: _development(r, inner),
    )
    header = Text(f"last {query_text(result.query)}", style="dim")
    return Panel(Group(header, *parts), title=DASHBOARDS[name][0], expand=False)


def render(name: str, result: Dashboard, console: Console | None = None) -> None:
    console = console or Console()
    console.print(renderable(name, result, console.width))
