"""One message, rendered once for every channel: a subject, plain text, HTML (email),
Slack blocks with a text fallback, and a JSON body (generic webhook). Stored in the outbox
as JSON, so a retried delivery sends exactly what was meant the first time."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from installer.analytics.alerts.firing import Firing
from installer.analytics.timeutil import format_moment

SLACK_TEXT_LIMIT = 2900  # Slack rejects a section text over 3000 characters
SLACK_MAX_SECTIONS = 45  # Slack takes at most 50 blocks; the header and context use two
SUBJECT_LIMIT = 200
NO_DATA = "no data"  # a window without events has no rate (SPEC 6)
# Line breaks and other control characters. Event names come from the network: a component
# named "a\r\nb" put a line break in the subject, and Python's email package refuses such a
# header (ValueError), so that alert was never delivered by email, only retried.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Message:
    kind: str  # alert | resolved | digest | report
    subject: str
    text: str
    html: str
    data: Mapping[str, Any] = field(default_factory=dict)
    blocks: Sequence[Mapping[str, Any]] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Message:
        raw = json.loads(text)
        return cls(
            raw["kind"], raw["subject"], raw["text"], raw["html"], raw["data"], raw["blocks"]
        )


def _context_lines(firing: Firing) -> list[str]:
    lines = []
    for name, value in firing.context.items():
        if isinstance(value, list):
            shown = "; ".join(_short(v) for v in value[:5]) or "none"
            lines.append(f"{name}: {shown}")
        else:
            lines.append(f"{name}: {_short(value)}")
    return lines


def _short(value: object) -> str:
    # A rate of an empty window is None in the JSON; the reader sees "no data" (SPEC 6), not
    # "success_rate=None". A nested mapping (commit_regression's before.window) was shown as
    # a Python dict repr.
    if value is None:
        return NO_DATA
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_nested(v)}" for k, v in value.items())
    return str(value)


def _nested(value: object) -> str:
    return f"({_short(value)})" if isinstance(value, Mapping) else _short(value)


def slack_escaped(text: str) -> str:
    """`text` shown as it is in a Slack mrkdwn field. Slack reads `<...>` there as a link or
    a mention: a component named `<!channel>` (event names come from the network) would
    notify the whole channel, `<https://x|runbook>` would show a link of the sender's
    choosing. Slack asks for exactly these three characters to be escaped
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _title(firing: Firing, resolved: bool) -> str:
    key = f" [{firing.key}]" if firing.key is not None else ""
    state = "RESOLVED" if resolved else firing.severity.upper()
    return f"[{state}] {firing.rule}{key}"


def _chunks(body: str, limit: int) -> list[str]:
    """`body` in pieces of at most `limit` characters, cut between lines where possible."""
    chunks: list[str] = []
    current = ""
    for whole in body.split("\n"):
        line = whole
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return chunks


def _slack(
    title: str, body: str, links: Sequence[str], *, code: bool = False
) -> list[dict[str, Any]]:
    # Slack shows the blocks, not `text`: one section cut at 3000 characters hid every
    # warning of a long digest after the first dozen (their runbook links too). So the
    # body goes into as many sections as it needs; `code` puts each in its own ``` pair.
    fence = "```" if code else ""
    pieces = [
        f"{fence}{piece}{fence}" for piece in _chunks(body, SLACK_TEXT_LIMIT - 2 * len(fence))
    ]
    if len(pieces) > SLACK_MAX_SECTIONS:
        hidden = len(pieces) - SLACK_MAX_SECTIONS + 1
        pieces = [*pieces[: SLACK_MAX_SECTIONS - 1], f"... {hidden} more part(s) not shown"]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _subject(title)[:150]}},
        *({"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in pieces),
    ]
    if links:
        text = " · ".join(f"<{link}|runbook>" for link in links)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return blocks


def _html(title: str, sections: Sequence[tuple[str, Sequence[str], str]]) -> str:
    parts = [f"<h2>{html.escape(title)}</h2>"]
    for heading, lines, link in sections:
        parts.append(f"<h3>{html.escape(heading)}</h3><ul>")
        parts.extend(f"<li>{html.escape(line)}</li>" for line in lines)
        parts.append("</ul>")
        if link:
            parts.append(f'<p><a href="{html.escape(link)}">Runbook</a></p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"


def _subject(text: str) -> str:
    """One line, short enough for a mail client's list."""
    return _CONTROL.sub(" ", text)[:SUBJECT_LIMIT]


def alert_message(firing: Firing, *, resolved: bool = False, at: int | None = None) -> Message:
    title = _title(firing, resolved)
    if resolved:
        summary = f"no longer firing at {format_moment(at or firing.at)} (was: {firing.summary})"
        lines = [summary]
    else:
        summary = firing.summary
        lines = [summary, *_context_lines(firing)]
    text = "\n".join([title, *lines, f"Runbook: {firing.runbook}"])
    return Message(
        kind="resolved" if resolved else "alert",
        subject=_subject(f"{title}: {summary}"),
        text=text,
        html=_html(title, [(summary, lines[1:] or lines, firing.runbook)]),
        data={
            "type": "resolved" if resolved else "alert",
            "at": format_moment(at or firing.at),
            "alerts": [firing.serialize()],
        },
        blocks=_slack(title, slack_escaped("\n".join(lines)), [firing.runbook]),
    )


def digest_message(items: Sequence[tuple[str, Firing]], at: int) -> Message:
    """The warnings of the last business day: (state, firing) with state firing|resolved."""
    title = f"dtu-install: {len(items)} warning(s), digest of {format_moment(at)}"
    sections = []
    text_lines = [title]
    for state, firing in items:
        head = _title(firing, state == "resolved")
        detail = [f"at {format_moment(firing.at)}: {firing.summary}"]
        if state != "resolved":
            detail += _context_lines(firing)
        sections.append((head, detail, firing.runbook))
        text_lines += [head, *(f"  {d}" for d in detail), f"  Runbook: {firing.runbook}"]
    body = "\n".join(
        f"*{slack_escaped(h)}*: {slack_escaped(d[0])} (<{link}|runbook>)" for h, d, link in sections
    )
    return Message(
        kind="digest",
        subject=_subject(title),
        text="\n".join(text_lines),
        html=_html(title, sections),
        data={
            "type": "digest",
            "at": format_moment(at),
            "alerts": [{**f.serialize(), "state": state} for state, f in items],
        },
        blocks=_slack(title, body, []),
    )


def report_message(name: str, title: str, text: str, page: str, data: Mapping[str, Any]) -> Message:
    return Message(
        kind="report",
        subject=_subject(title),
        text=text,
        html=page,
        data={"type": "report", "report": name, **data},
        blocks=_slack(title, slack_escaped(text), [], code=True),
    )
