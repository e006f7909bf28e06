"""The live pages' HTML: the dashboards (page.widgets) and the drill-down, each inside the
same frame: alerts and open incidents on top, "data as of <newest event>", the filters
(a GET form: the URL is the state, so a page can be shared), links that keep the filters."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from installer.analytics.alerts.incidents import Incident
from installer.analytics.dashboards import DASHBOARDS, Dashboard
from installer.analytics.dashboards.page import widgets
from installer.analytics.dashboards.serialize import query_text
from installer.analytics.html_page import Link, Note, Section, Table, Widget, render_page
from installer.analytics.query import Counts, RunRow
from installer.analytics.run_timeline import TimelineEvent
from installer.analytics.serve.params import PageQuery
from installer.analytics.serve.sources import Alert
from installer.analytics.timeutil import display_rate, format_moment

PLOTLY_PATH = "/static/plotly.min.js"
REFRESH_SECONDS = 60  # a live page reloads itself this often
TITLE = "dtu-install analytics"

_CSS = """
.banner { margin: 12px 0; padding: 8px 12px; border-radius: 6px; }
.banner.alerting { background: #fde8e8; border: 1px solid #d64545; }
.banner.calm { background: #e8f5ec; border: 1px solid #2e9e5b; }
.banner h2 { margin: 0 0 4px; font-size: 15px; }
.banner ul { margin: 0; padding-left: 20px; }
.asof { color: #52607a; margin: 8px 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end;
               background: white; padding: 8px 12px; border-radius: 8px; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: #52607a; }
form.filters input { font: inherit; padding: 2px 4px; width: 11em; }
.crumbs { margin: 8px 0; }
.error { background: white; padding: 16px; border-radius: 8px; border-left: 4px solid #d64545; }
"""


@dataclass(frozen=True)
class Frame:
    """What every page shows around its numbers."""

    page: PageQuery
    path: str  # this page's path, for the filter form and the JSON link
    as_of: int | None  # newest event in the store
    incidents: Sequence[Incident]
    alerts: Sequence[Alert]
    choices: dict[str, list[str]]  # filter name -> values present (the form's suggestions)


def _e(text: object) -> str:
    return html.escape(str(text))


def _banner(frame: Frame) -> str:
    items = [
        f"<li><b>{_e(i.severity.upper())}</b> incident <b>{_e(i.rule)}</b>"
        f"{'' if i.key is None else ' [' + _e(i.key) + ']'} open since "
        f"{_e(format_moment(i.started))}: {_e(i.firing.summary)}"
        + (f' (<a href="{_e(i.firing.runbook)}">runbook</a>)' if i.firing.runbook else "")
        + "</li>"
        for i in frame.incidents
    ]
    items += [
        f"<li><b>{_e(a.severity.upper())}</b> firing <b>{_e(a.rule)}</b>"
        f"{'' if a.key is None else ' [' + _e(a.key) + ']'}: {_e(a.summary)}"
        + (f' (<a href="{_e(a.runbook)}">runbook</a>)' if a.runbook else "")
        + "</li>"
        for a in frame.alerts
    ]
    at = format_moment(frame.page.query.at)
    if not items:
        return (
            f'<div class="banner calm" id="alerts"><h2>No open incidents and no alert firing '
            f"at {_e(at)}</h2></div>"
        )
    return (
        f'<div class="banner alerting" id="alerts"><h2>{len(frame.incidents)} open incident(s), '
        f"{len(frame.alerts)} alert(s) firing at {_e(at)}</h2><ul>{''.join(items)}</ul></div>"
    )


def _as_of(frame: Frame) -> str:
    newest = "no events yet" if frame.as_of is None else format_moment(frame.as_of)
    live = (
        f"; live: this page reloads every {REFRESH_SECONDS} s"
        if frame.page.live
        else "; a fixed range (no reload)"
    )
    return (
        f'<p class="asof" id="as-of">Data as of <b>{_e(newest)}</b> (newest event)'
        f"{live}. Showing: {_e(query_text(frame.page.query))}.</p>"
    )


def _form(frame: Frame) -> str:
    given = dict(frame.page.given)
    categories = [v for k, v in frame.page.given if k == "category"]
    fields = [
        ("days", "last N days", given.get("days", ""), "number"),
        ("at", "ending at (UTC)", given.get("at", ""), "text"),
        ("from", "from day", given.get("from", ""), "date"),
        ("to", "to day (included)", given.get("to", ""), "date"),
        ("category", "category", categories[0] if categories else "", "text"),
        ("arch", "architecture", given.get("arch", ""), "text"),
        ("os", "OS version", given.get("os", ""), "text"),
        ("component", "component", given.get("component", ""), "text"),
    ]
    inputs = []
    lists = []
    for name, label, value, kind in fields:
        listed = frame.choices.get(name)
        list_attr = f' list="choices-{name}"' if listed else ""
        inputs.append(
            f'<label>{_e(label)}<input type="{kind}" name="{name}" value="{_e(value)}"'
            f"{list_attr}></label>"
        )
        if listed:
            options = "".join(f'<option value="{_e(v)}">' for v in listed)
            lists.append(f'<datalist id="choices-{name}">{options}</datalist>')
    for extra in categories[1:]:
        inputs.append(f'<input type="hidden" name="category" value="{_e(extra)}">')
    for name in ("error",):
        if name in given:
            inputs.append(f'<input type="hidden" name="{name}" value="{_e(given[name])}">')
    return (
        f'<form class="filters" method="get" action="{_e(frame.path)}">{"".join(inputs)}'
        f'<button type="submit">Apply</button> <a href="{_e(frame.path)}">clear</a>'
        f"{''.join(lists)}</form>"
    )


def _nav(frame: Frame) -> str:
    keep = frame.page.range_only()
    links = []
    for name, (title, _) in DASHBOARDS.items():
        query = PageQuery(frame.page.query, keep)
        links.append(f'<a href="{_e(query.link("/" + name))}">{_e(title)}</a>')
    links.append(f'<a href="{_e(frame.page.link("/api" + frame.path))}" id="json-link">JSON</a>')
    return "".join(links)


def frame_page(title: str, frame: Frame, sections: Sequence[Section], crumbs: str = "") -> str:
    head = f'<style>{_CSS}</style><link rel="icon" href="data:,">'
    if frame.page.live:
        head += f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
    top = _banner(frame) + _as_of(frame) + _form(frame) + crumbs
    return render_page(
        f"{title} · {TITLE}",
        sections,
        subtitle=query_text(frame.page.query),
        plotly_src=PLOTLY_PATH,
        top_html=top,
        head_html=head,
        nav_html=_nav(frame),
    )


def dashboard_page(name: str, result: Dashboard, frame: Frame) -> str:
    page = frame.page

    def component_link(component: str) -> str:
        return page.link("/component", component=component)

    title = DASHBOARDS[name][0]
    return frame_page(title, frame, [Section(title, widgets(result, component_link), anchor=name)])


def _crumbs(frame: Frame, levels: Sequence[tuple[str, str | None]]) -> str:
    parts = [
        f'<a href="{_e(href)}">{_e(text)}</a>' if href else f"<b>{_e(text)}</b>"
        for text, href in levels
    ]
    return f'<p class="crumbs" id="crumbs">{" &rsaquo; ".join(parts)}</p>'


def _rate_cells(c: Counts) -> list[object]:
    return [c.events, c.failures, None if c.success_rate is None else display_rate(c.success_rate)]


def component_page(
    frame: Frame, component: str, rows: Sequence[tuple[str | None, str | None, Counts]]
) -> str:
    """Level 2: one component by OS version x architecture."""
    page = frame.page
    table_rows = []
    for os_name, arch, c in rows:
        label = f"{os_name or '(none)'} / {arch or '(none)'}"
        cell: object = label
        if os_name is not None and arch is not None:
            cell = Link(label, page.link("/errors", os=os_name, arch=arch))
        table_rows.append([cell, *_rate_cells(c)])
    crumbs = _crumbs(
        frame,
        [("Component analysis", page.link("/components", component=None)), (component, None)],
    )
    widget = Widget(
        f"{component}: by OS version / architecture (most failures first; {page.scope.describe()})",
        [
            Table(["OS / architecture", "events", "failures", "success %"], table_rows),
            Note("Follow an OS / architecture to its error categories, then to the runs."),
        ],
        wide=True,
    )
    return frame_page(component, frame, [Section(f"Component {component}", [widget])], crumbs)


def errors_page(frame: Frame, rows: Sequence[tuple[str | None, Counts]]) -> str:
    """Level 3: the error categories of one component on one OS x architecture."""
    page = frame.page
    scope = page.scope
    table_rows = []
    for error, c in rows:
        cell: object = error or "(failure without a category)"
        if error is not None:
            cell = Link(error, page.link("/runs", error=error))
        table_rows.append([cell, c.events])
    crumbs = _crumbs(
        frame,
        [
            ("Component analysis", page.link("/components", component=None, os=None, arch=None)),
            (scope.component or "", page.link("/component", os=None, arch=None)),
            (f"{scope.os} / {scope.arch}", None),
        ],
    )
    widget = Widget(
        f"Failures by error category ({scope.describe()})",
        [Table(["error category", "failures"], table_rows)],
        wide=True,
    )
    return frame_page("Error categories", frame, [Section("Error categories", [widget])], crumbs)


def runs_page(frame: Frame, rows: Sequence[RunRow], limit: int) -> str:
    """Level 4: the runs (installations) with events in this scope, latest first."""
    page = frame.page
    scope = page.scope
    table_rows = [
        [
            Link(r.run[:8], page.link(f"/run/{r.run}")),
            format_moment(r.first),
            format_moment(r.last),
            *_rate_cells(r.counts),
        ]
        for r in rows
    ]
    crumbs = _crumbs(
        frame,
        [
            (
                "Component analysis",
                page.link("/components", component=None, os=None, arch=None, error=None),
            ),
            (scope.component or "", page.link("/component", os=None, arch=None, error=None)),
            (f"{scope.os} / {scope.arch}", page.link("/errors", error=None)),
            (scope.error or "all", None),
        ],
    )
    note = f"The latest {limit} runs are listed." if len(rows) >= limit else ""
    widget = Widget(
        f"Runs, latest first ({scope.describe()})",
        [
            Table(
                ["support id", "first event", "last event", "events", "failures", "success %"],
                table_rows,
            ),
            *([Note(note)] if note else []),
        ],
        wide=True,
    )
    return frame_page("Runs", frame, [Section("Runs", [widget])], crumbs)


def run_page(frame: Frame, run: str, steps: Sequence[TimelineEvent]) -> str:
    """Level 5: one run's timeline, every event (whatever the filters)."""
    rows = [
        [
            format_moment(s.ts),
            s.component,
            s.action,
            s.outcome,
            s.error,
            None if s.duration is None else f"{s.duration:g} s",
            s.os,
            s.arch,
            s.sha,
            s.category,
        ]
        for s in steps
    ]
    widget = Widget(
        f"Run {run} (support id {run[:8]}): every event, in time order",
        [
            Table(
                [
                    "time",
                    "component",
                    "action",
                    "outcome",
                    "error",
                    "duration",
                    "OS",
                    "arch",
                    "SHA",
                    "category",
                ],
                rows,
                max_height=2000,
            )
        ],
        wide=True,
    )
    return frame_page(f"Run {run[:8]}", frame, [Section(f"Run {run[:8]}", [widget])])


def error_page(status: int, message: str) -> str:
    """A 400/404/500 answer: what is wrong, in words; never a traceback."""
    reason = {400: "Bad request", 404: "Not found", 500: "Internal error"}.get(status, "Error")
    body = (
        f'<div class="error" id="problem"><h2>{status} {_e(reason)}</h2><p>{_e(message)}</p>'
        '<p><a href="/overview">Back to the overview</a></p></div>'
    )
    return render_page(
        f"{status} {reason} · {TITLE}",
        [],
        top_html=body,
        head_html=f'<style>{_CSS}</style><link rel="icon" href="data:,">',
        nav_html="",
    )
