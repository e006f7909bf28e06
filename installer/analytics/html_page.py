"""One self-contained HTML page (works offline): sections of cards with plotly charts,
tables and notes. Shared by the dashboards and the reports.

    page = render_page("Installer dashboards", [
        Section("Overview", [Widget("Success rate", [Note("98.5% of 1,204 events")]),
                             Widget("Daily volume", [Chart({"data": [...], "layout": {...}})])]),
    ])
    write_page(Path("out.html"), page)

Charts are plotly figures given as plain dicts (`{"data": [...], "layout": {...}}`), drawn by
plotly.js, which is inlined once in the page (`include_plotlyjs` inlined, no CDN): the file
opens without any network. plotly comes from the `analytics` extra and is imported only here.
"""

from __future__ import annotations

import functools
import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from installer.common.atomic_write import write_atomically
from installer.errors import DtuInstallError, UsageError

NO_DATA = "no data"
PAGE_MODE = 0o644
CHART_HEIGHT = 360  # px: two charts side by side and a table fit a laptop screen
PLOTLY_CONFIG: Mapping[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    # The "edit in Chart Studio" link and the image download would go online or add noise.
    "modeBarButtonsToRemove": ["sendDataToCloud", "toImage", "select2d", "lasso2d"],
}
BASE_LAYOUT: Mapping[str, Any] = {
    "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
    "legend": {"orientation": "h", "y": -0.18},
    "paper_bgcolor": "white",
    "plot_bgcolor": "#fafafa",
}


@dataclass(frozen=True)
class Chart:
    figure: Mapping[str, Any]  # a plotly figure as a dict: {"data": [...], "layout": {...}}
    height: int = CHART_HEIGHT


@dataclass(frozen=True)
class Table:
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]  # None is shown as "no data"; the rest with str()
    max_height: int = 360  # px before the table scrolls inside its card


@dataclass(frozen=True)
class Link:
    """A table cell that leads somewhere (the live dashboard's drill-down)."""

    text: str
    href: str


@dataclass(frozen=True)
class Note:
    text: str
    emphasis: bool = False  # a headline number


Part = Union[Chart, Table, Note]


@dataclass(frozen=True)
class Widget:
    """A card: a title and its parts (a chart, a table, a headline)."""

    title: str
    parts: Sequence[Part]
    wide: bool = False  # spans the whole row


@dataclass(frozen=True)
class Section:
    title: str
    widgets: Sequence[Widget]
    intro: str = ""
    anchor: str = field(default="")


_CSS = """
:root { color-scheme: light; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
       color: #1d2430; background: #eef1f5; }
header { padding: 16px 24px; background: #1d2430; color: white; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #c8d0dc; }
nav { padding: 8px 24px; background: white; border-bottom: 1px solid #d8dee6;
      position: sticky; top: 0; z-index: 10; }
nav a { margin-right: 16px; color: #0b5cad; text-decoration: none; font-weight: 600; }
main { padding: 8px 24px 32px; max-width: 1600px; margin: 0 auto; }
section h2 { margin: 24px 0 4px; font-size: 18px; }
section > p { margin: 0 0 8px; color: #52607a; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); }
.card { background: white; border-radius: 8px; padding: 12px 16px;
        box-shadow: 0 1px 2px rgba(0,0,0,.08); min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card h3 { margin: 0 0 8px; font-size: 15px; }
.headline { font-size: 32px; font-weight: 700; margin: 8px 0; }
.tablewrap { overflow: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e6e9ef; text-align: right; }
th:first-child, td:first-child { text-align: left; }
/* A long name (components_with_underscores_only) wraps instead of pushing the numbers
   out of the card. */
td:first-child { overflow-wrap: anywhere; }
th { position: sticky; top: 0; background: #f6f8fa; }
td.nodata { color: #8a94a6; font-style: italic; }
"""


def _cell(value: object) -> str:
    if value is None:
        return f'<td class="nodata">{NO_DATA}</td>'
    if isinstance(value, Link):
        return f'<td><a href="{html.escape(value.href)}">{html.escape(value.text)}</a></td>'
    return f"<td>{html.escape(str(value))}</td>"


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in table.rows)
    if not table.rows:
        body = f'<tr><td class="nodata" colspan="{len(table.columns)}">{NO_DATA}</td></tr>'
    return (
        f'<div class="tablewrap" style="max-height:{table.max_height}px">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _chart(chart: Chart, number: int) -> str:
    import plotly.io as pio

    return str(
        pio.to_html(
            plotly_figure(chart),
            validate=False,  # plotly_figure gives what validation would (tests compare them)
            config=dict(PLOTLY_CONFIG),
            full_html=False,
            include_plotlyjs=False,  # inlined once in <head> by render_page
            include_mathjax=False,
            div_id=f"chart-{number}",
            default_width="100%",
            default_height=f"{chart.height}px",
        )
    )


def figure_of(chart: Chart) -> dict[str, Any]:
    """The figure as given, with the page's base layout and the chart's height."""
    layout = {**BASE_LAYOUT, **dict(chart.figure.get("layout", {})), "height": chart.height}
    return {"data": list(chart.figure.get("data", [])), "layout": layout}


def plotly_figure(chart: Chart) -> dict[str, Any]:
    """What `plotly.graph_objects.Figure(figure).to_plotly_json()` makes of the chart's
    figure, without building the Figure: that validation cost 0.1-0.2 s per page over a
    year of days (it checks every point). Like plotly: properties set to None and empty
    objects are left out, every trace says its type ("scatter" unless given), a named
    colour scale becomes its list of colours, and the layout carries the default template.
    The figures the pages draw are compared with plotly's own result in
    tests/analytics/test_dashboard_page_charts.py; a new kind of property must be added
    there and here."""
    figure = figure_of(chart)
    data = []
    for trace in figure["data"]:
        clean = _plotly_object(trace)
        scale = clean.get("colorscale")
        if isinstance(scale, str):
            clean["colorscale"] = _named_colorscale(scale)
        clean["type"] = clean.pop("type", "scatter")
        data.append(clean)
    layout = _plotly_object(figure["layout"])
    layout["template"] = _default_template()
    return {"data": data, "layout": layout}


def _plotly_object(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, Mapping):
            inner = _plotly_object(item)
            if inner:
                out[key] = inner
        elif isinstance(item, (list, tuple)):
            out[key] = [_plotly_object(x) if isinstance(x, Mapping) else x for x in item]
        elif item is not None:
            out[key] = item
    return out


@functools.cache
def _named_colorscale(name: str) -> list[list[Any]]:
    # plotly's own validator, the one Figure() runs: plotly.colors.get_colorscale gives the
    # same colours at positions that differ in the last float digit (0.30000000000000004).
    from _plotly_utils.basevalidators import ColorscaleValidator

    scale = ColorscaleValidator("colorscale", "heatmap").validate_coerce(name)
    return [list(step) for step in scale]


@functools.cache
def _default_template() -> dict[str, Any]:
    """plotly's default template as validation adds it to every layout (read once; the
    JSON encoder only reads it)."""
    import plotly.graph_objects as go

    template: dict[str, Any] = go.Figure().to_plotly_json()["layout"]["template"]
    return template


def _part(part: Part, number: int) -> str:
    if isinstance(part, Chart):
        return _chart(part, number)
    if isinstance(part, Table):
        return _table(part)
    css = "headline" if part.emphasis else "note"
    return f'<p class="{css}">{html.escape(part.text)}</p>'


def _anchor(section: Section, index: int) -> str:
    return section.anchor or f"section-{index + 1}"


def has_charts(sections: Sequence[Section]) -> bool:
    return any(isinstance(p, Chart) for s in sections for w in s.widgets for p in w.parts)


def plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise DtuInstallError(
            "the HTML page needs plotly: pip install 'dtu-install[analytics]'"
        ) from None
    return str(get_plotlyjs())


def render_page(
    title: str,
    sections: Sequence[Section],
    *,
    subtitle: str = "",
    plotly_src: str | None = None,
    top_html: str = "",
    head_html: str = "",
    nav_html: str | None = None,
) -> str:
    """The whole page as one string. plotly.js is inlined (nothing is fetched) or, from the
    live server, loaded from `plotly_src`; a page without charts carries none of it (a
    report page embedded 4.8 MB of plotly and drew nothing). `top_html` (trusted, already
    escaped) goes above the sections: the server's banner, "data as of" and filters;
    `nav_html` replaces the list of sections."""
    if not has_charts(sections):
        script = ""
    elif plotly_src is not None:
        script = f'<script src="{html.escape(plotly_src)}"></script>'
    else:
        script = f'<script type="text/javascript">{plotly_js()}</script>'
    counter = 0
    body: list[str] = []
    for index, section in enumerate(sections):
        cards: list[str] = []
        for widget in section.widgets:
            parts = []
            for part in widget.parts:
                counter += 1
                parts.append(_part(part, counter))
            css = "card wide" if widget.wide else "card"
            cards.append(
                f'<div class="{css}"><h3>{html.escape(widget.title)}</h3>{"".join(parts)}</div>'
            )
        intro = f"<p>{html.escape(section.intro)}</p>" if section.intro else ""
        body.append(
            f'<section id="{html.escape(_anchor(section, index))}">'
            f"<h2>{html.escape(section.title)}</h2>{intro}"
            f'<div class="grid">{"".join(cards)}</div></section>'
        )
    nav = (
        nav_html
        if nav_html is not None
        else "".join(
            f'<a href="#{html.escape(_anchor(s, i))}">{html.escape(s.title)}</a>'
            for i, s in enumerate(sections)
        )
    )
    sub = f"<p>{html.escape(subtitle)}</p>" if subtitle else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style>{head_html}"
        f"{script}</head>"
        f"<body><header><h1>{html.escape(title)}</h1>{sub}</header><nav>{nav}</nav>"
        f"<main>{top_html}{''.join(body)}</main></body></html>\n"
    )


def write_page(path: str | os.PathLike[str], page: str) -> Path:
    """Write atomically (a half-written page never replaces a good one)."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, page, mode=PAGE_MODE)  # a page is for sharing
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
