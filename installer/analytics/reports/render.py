"""Any report as plain text (terminal, email, Slack) or one self-contained HTML page."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any, Protocol

from installer.analytics.reports.common import Table
from installer.analytics.text_fit import fold, grid

NO_DATA = "no data"
# A line break or tab inside a cell (event names come from the network) broke the grid of
# the terminal and email text: the rest of the row started at column 0.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _note(table: Table) -> str:
    """A table without rows and without a note of its own says "no data": an empty window
    (no commits, no architectures) left a heading over nothing, or an empty card."""
    return table.note or ("" if table.rows else NO_DATA)


class Report(Protocol):
    name: str

    @property
    def title(self) -> str: ...

    @property
    def period(self) -> list[str]: ...  # T and the windows, one line each, under the title

    def serialize(self) -> dict[str, Any]: ...

    def tables(self) -> list[Table]: ...


def to_text(report: Report, width: int | None = None) -> str:
    """Whole lines (email, Slack, a pipe); with `width` (a terminal), folded to it: tables
    fold their text cells and leave out their last columns when they must (`text_fit`)."""
    out = [*fold(report.title, width), "=" * min(len(report.title), width or len(report.title))]
    for line in report.period:
        out += fold(line, width)
    for table in report.tables():
        rule = "-" * min(len(table.title), width or len(table.title))
        out += ["", *fold(table.title, width), rule]
        if table.rows:
            out += _grid(table.columns, table.rows, width)
        if _note(table):
            out += fold(_note(table), width)
    return "\n".join(out) + "\n"


def _grid(
    columns: Sequence[str], rows: Sequence[Sequence[object]], width: int | None = None
) -> list[str]:
    cells = [[_CONTROL.sub(" ", str(v)) for v in row] for row in rows]
    return grid([str(c) for c in columns], cells, width)


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}"
    "th{background:#f3f3f3}"
)


def to_html(report: Report) -> str:
    """One page, no external resources (works offline)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(report.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        "<p>" + "<br>".join(html.escape(line) for line in report.period) + "</p>",
    ]
    for table in report.tables():
        parts.append(f"<h2>{html.escape(table.title)}</h2>")
        if table.rows:
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                for row in table.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if _note(table):
            parts.append(f"<p>{html.escape(_note(table))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def to_page(report: Report) -> str:
    """The `--html FILE` page: the dashboards' self-contained page shell (one look for all
    analytics pages). Email uses `to_html` instead: no 3 MB of inlined plotly in a mail."""
    from installer.analytics import html_page

    sections = []
    for table in report.tables():
        parts: list[html_page.Part] = []
        if table.rows:
            parts.append(html_page.Table(list(table.columns), [list(r) for r in table.rows]))
        if _note(table):
            parts.append(html_page.Note(_note(table)))
        sections.append(
            html_page.Section(table.title, [html_page.Widget(table.title, parts, wide=True)])
        )
    return html_page.render_page(report.title, sections, subtitle=" · ".join(report.period))
