"""The four dashboards as HTML (html_page) with plotly charts: lines, bars and a heat map,
no pies (issue 17: a 98/2 pie says less than the two numbers). Figures are plain dicts;
plotly.js draws them. Every time chart carries the deployment markers (each SHA's first
event). Used by `dashboard --html` (one self-contained page) and by `analytics serve`
(one live page per dashboard, whose component cells link to the drill-down)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Optional

from installer.analytics.dashboards import (
    DASHBOARDS,
    Compatibility,
    Components,
    Dashboard,
    Development,
    Overview,
)
from installer.analytics.dashboards.common import Deployment
from installer.analytics.dashboards.components import MOST_FAILING_REASON
from installer.analytics.dashboards.serialize import (
    HEAT_COLOUR_RULE,
    by_kind,
    day_text,
    moment_text,
    query_text,
)
from installer.analytics.dashboards.serialize import label as _label
from installer.analytics.html_page import (
    NO_DATA,
    Chart,
    Link,
    Note,
    Part,
    Section,
    Table,
    Widget,
    render_page,
)
from installer.analytics.timeutil import display_rate, format_moment, rate, round_rate

SUCCESS_COLOUR, FAILURE_COLOUR, ROLLBACK_COLOUR = "#2e9e5b", "#d64545", "#d64545"
DEPLOYMENT_COLOUR = "#7a5cc7"
# component name -> URL of its drill-down page (the live server); None: plain text.
ComponentLink = Optional[Callable[[str], str]]
HEAT_SCALE = "RdYlGn"
HEAT_FLOOR = 50.0  # the heat map's colour scale starts here unless a rate is lower
MAX_DAY_TICKS = 12
# How development.rollbacks decides, told on the page so a marked day can be checked.
ROLLBACK_RULE = (
    "Rollback (x): a SHA has events again on a UTC day after one or more days without any, "
    "during which a newer SHA (first seen later) had events."
)
RATE_AXIS = {"range": [0, 105], "dtick": 20}
# Axis and legend labels longer than this are cut with "…" (the full name is in the hover
# and the tables): plotly makes room for the longest label, so a 70-character component
# name left the heat map and the CI chart a sliver of plot on a laptop screen.
MAX_LABEL = 28


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _names_axis(names: Sequence[str]) -> dict[str, Any]:
    """A category axis of names, shown cut to MAX_LABEL. The values stay the full names, so
    two names that start alike remain two bars or rows (and the hover names them whole)."""
    return {
        "type": "category",
        "tickmode": "array",
        "tickvals": list(names),
        "ticktext": [_short(n) for n in names],
        "automargin": True,
    }


def _rate(value: float | None) -> str | None:
    return None if value is None else display_rate(value)  # None -> "no data" cell


def _fig(data: list[dict[str, Any]], **layout: Any) -> dict[str, Any]:
    return {"data": data, "layout": layout}


def _chart_or_no_data(figure: dict[str, Any], has_data: bool, height: int | None = None) -> Part:
    """The chart, or "no data" when it would have nothing to draw: plotly's empty axes (a
    date axis without points draws a smear of overlapping ticks) read as a broken page."""
    if not has_data:
        return Note(NO_DATA)
    return Chart(figure) if height is None else Chart(figure, height=height)


def _days_axis(days: Sequence[int]) -> dict[str, Any]:
    """One tick per day (or every few days on long windows), labelled as dates."""
    step = max(1, len(days) // MAX_DAY_TICKS)
    return {"type": "date", "tickformat": "%b %d", "dtick": step * 86_400_000}


def _with_deployments(figure: dict[str, Any], found: Sequence[Deployment]) -> dict[str, Any]:
    """A dotted vertical line and the SHA at each deployment (a SHA's first event) on a
    time chart: a dip that starts with a deployment reads as such."""
    if not found:
        return figure
    stamps = [moment_text(d.first_seen) for d in found]
    layout = dict(figure["layout"])
    layout["shapes"] = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": stamp,
            "x1": stamp,
            "y0": 0,
            "y1": 1,
            "line": {"color": DEPLOYMENT_COLOUR, "width": 1, "dash": "dot"},
        }
        for stamp in stamps
    ]
    layout["annotations"] = [
        {
            "x": stamp,
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "text": d.sha,
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "top",
            "font": {"size": 10, "color": DEPLOYMENT_COLOUR},
        }
        for stamp, d in zip(stamps, found)
    ]
    return {**figure, "layout": layout}


def _deployments_note(found: Sequence[Deployment]) -> Note:
    if not found:
        return Note("Deployments: no SHA had its first event in this range.")
    listed = ", ".join(f"{d.sha} {moment_text(d.first_seen)}" for d in found)
    return Note(f"Deployments (dotted lines: each SHA's first event): {listed}")


def _overview(o: Overview) -> list[Widget]:
    t = o.total
    days = [day_text(d) for d in o.days]
    scope = o.query.scope.describe()
    headline = Widget(
        f"Success rate (last {o.query.days} days; {scope})",
        [
            Note(display_rate(t.success_rate), emphasis=True),
            Note(f"{t.events} events: {t.successes} successes, {t.failures} failures ({scope})"),
        ],
    )
    unit = "hour" if o.bucket == 3600 else "day"
    stamps = [moment_text(b) for b in o.buckets]
    failures = Widget(
        f"Failures per {unit}",
        [
            _chart_or_no_data(
                _with_deployments(
                    _fig(
                        [
                            {
                                "type": "bar",
                                "x": stamps,
                                "y": [c.failures for c in o.failures],
                                "name": "failures",
                                "marker": {"color": FAILURE_COLOUR},
                                "customdata": [c.events for c in o.failures],
                                "hovertemplate": "%{x}: %{y} failures of %{customdata} events"
                                "<extra></extra>",
                            }
                        ],
                        xaxis={"type": "date"},
                        yaxis={"title": {"text": "failures"}, "rangemode": "tozero"},
                        bargap=0.1,
                    ),
                    o.deployments,
                ),
                t.events > 0,
            ),
            _deployments_note(o.deployments),
        ],
        wide=True,
    )
    volume = Widget(
        "Daily event volume",
        [
            Chart(
                _with_deployments(
                    _fig(
                        [
                            {
                                "type": "scatter",
                                "mode": "lines+markers",
                                "x": days,
                                "y": o.daily_events,
                                "name": "events",
                            }
                        ],
                        xaxis=_days_axis(o.days),
                        yaxis={"title": {"text": "events"}, "rangemode": "tozero"},
                    ),
                    o.deployments,
                )
            )
        ],
    )
    numbers = Widget(
        "Success vs failure",
        [
            Table(
                ["outcome", "events", "%"],
                [
                    ["success", t.successes, _rate(t.success_rate)],
                    ["failure", t.failures, _rate(t.failure_rate)],
                ],
            )
            if t.events
            else Note(NO_DATA),
            Note(scope),
        ],
    )
    cats = Widget(
        "Events by category",
        [
            _chart_or_no_data(
                _fig(
                    [
                        {
                            "type": "bar",
                            "x": [_label(r.label) for r in o.by_category],
                            "y": [r.counts.events for r in o.by_category],
                            "name": "events",
                        }
                    ],
                    yaxis={"title": {"text": "events"}},
                ),
                bool(o.by_category),
            )
        ],
    )
    return [headline, numbers, failures, volume, cats]


def _compatibility(c: Compatibility) -> list[Widget]:
    arch_rows = [
        [
            _label(r.label),
            r.counts.events,
            _rate(r.counts.success_rate),
            _rate(r.counts.failure_rate),
        ]
        for r in c.by_arch
    ]
    os_rows = [[_label(r.label), r.counts.events, _rate(r.counts.success_rate)] for r in c.by_os]
    arches = [_label(r.label) for r in c.by_arch]
    combo = _fig(
        [
            {
                "type": "bar",
                "x": arches,
                "y": [r.counts.events for r in c.by_arch],
                "name": "events",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": arches,
                "yaxis": "y2",
                "y": [round_rate(r.counts.success_rate) for r in c.by_arch],
                "name": "success %",
            },
        ],
        yaxis={"title": {"text": "events"}},
        yaxis2={
            "title": {"text": "success %"},
            "overlaying": "y",
            "side": "right",
            **RATE_AXIS,
        },
    )
    days = [day_text(d) for d in c.days]
    lines = _with_deployments(
        _fig(
            [
                {"type": "scatter", "mode": "lines", "x": days, "y": series, "name": _label(os)}
                for os, series in c.os_daily_events.items()
            ],
            xaxis=_days_axis(c.days),
            yaxis={"title": {"text": "events"}, "rangemode": "tozero"},
        ),
        c.deployments,
    )
    return [
        Widget(
            "Per architecture", [Table(["arch", "events", "success %", "failure %"], arch_rows)]
        ),
        Widget(
            "Per OS version (most events first, then by name)",
            [Table(["OS", "events", "success %"], os_rows)],
        ),
        Widget("Architecture vs success rate", [_chart_or_no_data(combo, bool(c.by_arch))]),
        Widget(
            "Events per OS version per day",
            [_chart_or_no_data(lines, bool(c.os_daily_events))],
        ),
    ]


def _component_cell(name: str | None, link: ComponentLink) -> object:
    if name is None or link is None:
        return _label(name)
    return Link(name, link(name))


def _components(c: Components, link: ComponentLink = None) -> list[Widget]:
    rows = [
        [
            _component_cell(r.label, link),
            r.counts.events,
            r.counts.successes,
            r.counts.failures,
            _rate(r.counts.success_rate),
        ]
        for r in c.by_component
    ]
    top = list(reversed(c.top_failing))  # horizontal bars: the largest on top
    top_chart: Any = (
        Chart(
            _fig(
                [
                    {
                        "type": "bar",
                        "orientation": "h",
                        "x": [r.counts.failures for r in top],
                        "y": [_label(r.label) for r in top],
                        "name": "failures",
                        "marker": {"color": FAILURE_COLOUR},
                    }
                ],
                margin={"l": 150, "r": 16, "t": 16, "b": 48},
                xaxis={"title": {"text": "failures"}},
                yaxis=_names_axis([_label(r.label) for r in top]),
            )
        )
        if top
        else Note("no failures in this window")
    )
    days = [day_text(d) for d in c.days]
    daily = _with_deployments(
        _fig(
            [
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": days,
                    "connectgaps": False,
                    "y": [round_rate(day.success_rate) for day in series],
                    "name": _short(_label(name))
                    + (" (most failing)" if c.trend_reasons[name] == MOST_FAILING_REASON else ""),
                    "meta": _label(name),
                    # Most failing: dashed, so they stand apart from the most used.
                    "line": {
                        "dash": "dash" if c.trend_reasons[name] == MOST_FAILING_REASON else "solid"
                    },
                    "customdata": [day.events for day in series],
                    # The day's events beside its rate: 0% of 1 event is not 0% of 100.
                    "hovertemplate": "%{meta}<br>%{x}: %{y}% of %{customdata} events"
                    "<extra></extra>",
                }
                for name, series in c.daily_success.items()
            ],
            xaxis=_days_axis(c.days),
            yaxis={"title": {"text": "success %"}, **RATE_AXIS},
        ),
        c.deployments,
    )
    # Colour: the worst day; text: the whole range and that day (HEAT_COLOUR_RULE).
    z = [
        [
            round_rate(
                cell.total.success_rate if cell.worst_day is None else cell.worst.success_rate
            )
            for cell in cells
        ]
        for cells in c.heat.values()
    ]
    present = [v for row in z for v in row if v is not None]
    text = [
        [
            (
                f"{display_rate(cell.total.success_rate)} of {cell.total.events}"
                + (
                    ""
                    if cell.worst_day is None
                    else f"<br>worst {day_text(cell.worst_day)[5:]}: "
                    f"{display_rate(cell.worst.success_rate)}"
                )
            )
            if cell.total.events
            else "no data"
            for cell in cells
        ]
        for cells in c.heat.values()
    ]
    heat = _fig(
        [
            {
                "type": "heatmap",
                "z": z,
                "x": [_label(a) for a in c.arches],
                "y": [_label(n) for n in c.heat],
                "text": text,
                "texttemplate": "%{text}",
                "hovertemplate": "%{y} on %{x}: %{text}<extra></extra>",
                "colorscale": HEAT_SCALE,
                "zmin": min([HEAT_FLOOR, *present]),
                "zmax": 100,
                "colorbar": {"title": {"text": "worst day %"}},
            }
        ],
        margin={"l": 150, "r": 16, "t": 16, "b": 48},
        # The most used component on top.
        yaxis={**_names_axis([_label(n) for n in c.heat]), "autorange": "reversed"},
    )
    return [
        Widget(
            "Per component (most failures first, then by name)",
            [Table(["component", "events", "successes", "failures", "success %"], rows)],
        ),
        Widget("Top 10 components by failures", [top_chart]),
        Widget(
            "Daily success % of the 5 most used and the 5 most failing components",
            [
                _chart_or_no_data(daily, bool(c.daily_success)),
                Note("Solid: most used; dashed: most failing. Dotted: deployments."),
            ],
        ),
        Widget(
            "Success % by component x architecture (colour: worst day)",
            [_chart_or_no_data(heat, bool(c.heat), height=420), Note(HEAT_COLOUR_RULE)],
        ),
    ]


def _development(d: Development, link: ComponentLink = None) -> list[Widget]:
    rows = [
        [
            _label(r.sha) + (" (rollback)" if r.rollback else ""),
            r.counts.events,
            _rate(r.counts.success_rate),
            _rate(r.counts.failure_rate),
            moment_text(r.first_seen),
            moment_text(r.last_seen),
            ", ".join(day_text(x) for x in r.returned_on),
        ]
        for r in d.by_sha
    ]
    days = [day_text(x) for x in d.days]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "x": days, "y": series, "name": _label(sha)}
        for sha, series in d.sha_daily_events.items()
    ]
    returns = [(r.sha, day) for r in d.by_sha for day in r.returned_on]
    if returns:
        index = {day: i for i, day in enumerate(d.days)}
        traces.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": "rollback",
                "x": [day_text(day) for _, day in returns],
                "y": [d.sha_daily_events[sha][index[day]] for sha, day in returns],
                "text": [f"rollback to {sha}" for sha, _ in returns],
                "textposition": "top center",
                "marker": {"symbol": "x", "size": 12, "color": ROLLBACK_COLOUR},
            }
        )
    ci_rows: list[list[object]] = [
        [
            _component_cell(r.component, link),
            r.production.events,
            _rate(r.production.success_rate),
            r.ci.events,
            _rate(r.ci.success_rate),
        ]
        for r in d.ci_vs_production
    ]
    names = [r.component for r in d.ci_vs_production]
    ci_chart = _fig(
        [
            {
                "type": "bar",
                "x": names,
                "name": "production success %",
                "y": [round_rate(r.production.success_rate) for r in d.ci_vs_production],
            },
            {
                "type": "bar",
                "x": names,
                "name": "CI success %",
                "y": [round_rate(r.ci.success_rate) for r in d.ci_vs_production],
            },
        ],
        barmode="group",
        xaxis=_names_axis(names),
        # Above the plot: below it, the slanted component names ran into the legend.
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        yaxis={"title": {"text": "success %"}, **RATE_AXIS},
    )
    total = sum(r.counts.events for r in d.by_category_7d)
    categories = [_label(r.label) for r in d.by_category_7d]
    category_bars = _chart_or_no_data(
        _fig(
            [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": categories,
                    "x": [r.counts.events for r in d.by_category_7d],
                    "text": [
                        f"{r.counts.events} ({display_rate(rate(r.counts.events, total))})"
                        for r in d.by_category_7d
                    ],
                    "textposition": "auto",
                    "name": "events",
                }
            ],
            xaxis={"title": {"text": "events"}},
            yaxis={**_names_axis(categories), "autorange": "reversed"},
        ),
        total > 0,
        height=200,
    )
    return [
        Widget(
            "Per commit SHA (newest first: latest first seen on top)",
            [
                Table(
                    [
                        "SHA",
                        "events",
                        "success %",
                        "failure %",
                        "first seen",
                        "last seen",
                        "came back on",
                    ],
                    rows,
                )
            ],
            wide=True,
        ),
        Widget(
            "Events per SHA per day (deployments and rollbacks)",
            [
                _chart_or_no_data(
                    _with_deployments(
                        _fig(
                            traces,
                            xaxis=_days_axis(d.days),
                            yaxis={"title": {"text": "events"}, "rangemode": "tozero"},
                        ),
                        d.deployments,
                    ),
                    bool(traces),
                ),
                Note(ROLLBACK_RULE),
                _deployments_note(d.deployments),
            ],
        ),
        Widget(
            "CI vs production per component",
            [
                _chart_or_no_data(ci_chart, bool(d.ci_vs_production)),
                Table(
                    ["component", "prod events", "prod success %", "CI events", "CI success %"],
                    ci_rows,
                ),
            ],
        ),
        Widget(
            f"Events by category, last 7 days ({format_moment(d.category_window.start)}"
            f" .. {format_moment(d.category_window.end)})",
            [category_bars, Note(f"{total} events, {_share_text(d, total)}")],
        ),
    ]


def _share_text(d: Development, total: int) -> str:
    return (
        "; ".join(
            f"{_label(r.label)} {display_rate(rate(r.counts.events, total))}"
            for r in d.by_category_7d
        )
        or "no data"
    )


def widgets(result: Dashboard, link: ComponentLink = None) -> list[Widget]:
    """The cards of one dashboard; with `link`, component names lead to the drill-down."""
    return by_kind(
        result,
        _overview,
        _compatibility,
        lambda r: _components(r, link),
        lambda r: _development(r, link),
    )


def dashboards_page(results: Sequence[tuple[str, Dashboard]]) -> str:
    sections = [
        Section(DASHBOARDS[name][0], widgets(result), anchor=name) for name, result in results
    ]
    subtitle = f"Last {query_text(results[0][1].query)}"
    return render_page("dtu-install dashboards", sections, subtitle=subtitle)
