"""One message, rendered once for every channel: a subject, plain text, HTML (email),
Slack blocks with a text fallback, and a JSON body (generic webhook). Stored in the outbox
as JSON, so a retried delivery sends exactly what was meant the first time."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.incidents import OPENED, RESOLVED, Incident, Notice
from installer.analytics.notify.incident_text import Text, notice_text
from installer.analytics.timeutil import format_moment

SLACK_TEXT_LIMIT = 2900  # Slack rejects a section text over 3000 characters
SLACK_MAX_SECTIONS = 45  # Slack takes at most 50 blocks; the header and context use two
SUBJECT_LIMIT = 200
# Line breaks and other control characters. Event names come from the network: a component
# named "a\r\nb" put a line break in the subject, and Python's email package refuses such a
# header (ValueError), so that alert was never delivered by email, only retried.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True)
class Message:
    kind: str  # opened | reminder | resolved | digest | report
    subject: str
    text: str
    html: str
    data: Mapping[str, Any] = field(default_factory=dict)
    blocks: Sequence[Mapping[str, Any]] = ()
    # Email only: Message-ID and In-Reply-To local parts (the channel adds @domain), and the
    # Date: the moment the message was decided (T), so a retry says the same.
    message_id: str = ""
    in_reply_to: str = ""
    date: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Message:
        raw = json.loads(text)
        return cls(
            raw["kind"],
            raw["subject"],
            raw["text"],
            raw["html"],
            raw["data"],
            raw["blocks"],
            raw.get("message_id", ""),  # queued before these existed: none
            raw.get("in_reply_to", ""),
            raw.get("date", 0),
        )


def slack_escaped(text: str) -> str:
    """`text` shown as it is in a Slack mrkdwn field. Slack reads `<...>` there as a link or
    a mention: a component named `<!channel>` (event names come from the network) would
    notify the whole channel, `<https://x|runbook>` would show a link of the sender's
    choosing. Slack asks for exactly these three characters to be escaped
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
    title: str, body: str, links: Sequence[tuple[str, str]], *, code: bool = False
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
        text = " · ".join(f"<{link}|{label}>" for link, label in links)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    return blocks


def _html(
    title: str, sections: Sequence[tuple[str, Sequence[str], str]], dashboard: str | None = None
) -> str:
    parts = [f"<h2>{html.escape(title)}</h2>"]
    for heading, lines, link in sections:
        if heading:
            parts.append(f"<h3>{html.escape(heading)}</h3>")
        parts.extend(f"<p>{html.escape(line)}</p>" for line in lines)
        if link:
            parts.append(f'<p><a href="{html.escape(link)}">Runbook</a></p>')
    if dashboard:
        parts.append(f'<p><a href="{html.escape(dashboard)}">Dashboard</a></p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"


def _subject(text: str) -> str:
    """One line, short enough for a mail client's list."""
    return _CONTROL.sub(" ", text)[:SUBJECT_LIMIT]


@dataclass(frozen=True)
class Links:
    runbook: str
    dashboard: str | None = None

    def lines(self) -> list[str]:
        out = [f"Runbook: {self.runbook}"]
        if self.dashboard:
            out.append(f"Dashboard: {self.dashboard}")
        return out

    def slack(self) -> list[tuple[str, str]]:
        out = [(self.runbook, "runbook")]
        if self.dashboard:
            out.append((self.dashboard, "dashboard"))
        return out


def incident_message(notice: Notice, text: Text, links: Links) -> Message:
    """One notice of one incident. Emails of an incident form one thread: the opened
    notice's Message-ID is derived from the incident, reminders and the resolution reply
    to it (In-Reply-To, References)."""
    incident = notice.incident
    title = text.headline
    thread = incident.thread_id
    return Message(
        kind=notice.type,
        subject=_subject(text.subject),
        text="\n".join([title, *text.lines, *links.lines()]),
        html=_html(title, [("", text.lines, links.runbook)], links.dashboard),
        data={
            "type": notice.type,
            "at": format_moment(notice.at),
            "incident": incident.serialize(notice.at),
            "alerts": [incident.firing.serialize()],
            "sentences": list(text.lines),
            "runbook": links.runbook,
            "dashboard": links.dashboard,
        },
        blocks=_slack(title, slack_escaped("\n".join(text.lines)), links.slack()),
        message_id=thread if notice.type == OPENED else f"{thread}.{notice.type[:3]}{notice.at}",
        in_reply_to="" if notice.type == OPENED else thread,
        date=notice.at,
    )


def alert_message(firing: Firing, *, resolved: bool = False, at: int | None = None) -> Message:
    """A notice for a bare firing (an incident that opened at the firing's time)."""
    incident = Incident(
        rule=firing.rule,
        kind=firing.kind,
        key=firing.key,
        severity=firing.severity,
        started=firing.at,
        last_fired=firing.at,
        firing=firing,
        notified_at=firing.at,
    )
    if resolved:
        done = replace(incident, resolved=at or firing.at, resolution="its clear condition holds")
        notice = Notice(RESOLVED, at or firing.at, done)
    else:
        notice = Notice(OPENED, firing.at, incident)
    return incident_message(notice, notice_text(notice, None), Links(firing.runbook))


@dataclass(frozen=True)
class DigestItem:
    """One warning notice waiting for the digest, rendered when it was decided."""

    type: str  # opened | reminder | resolved
    headline: str
    lines: tuple[str, ...]
    runbook: str
    incident: Mapping[str, Any]

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "lines": list(self.lines)})

    @classmethod
    def from_json(cls, text: str) -> DigestItem:
        raw = json.loads(text)
        if "firing" in raw:  # queued by a version before incidents: a bare firing
            data = json.loads(raw["firing"])
            state = RESOLVED if raw.get("state") == RESOLVED else OPENED
            key = f" [{data.get('key')}]" if data.get("key") is not None else ""
            return cls(
                state,
                f"[WARNING] {state.upper()}: {data['rule']}{key}",
                (str(data.get("summary", "")),),
                str(data.get("runbook", "")),
                {"rule": data["rule"], "key": data.get("key"), "started": data.get("at")},
            )
        return cls(
            raw["type"], raw["headline"], tuple(raw["lines"]), raw["runbook"], raw["incident"]
        )


def digest_message(items: Sequence[DigestItem], at: int, dashboard: str | None = None) -> Message:
    """The warnings since the last digest: the open ones and the resolved ones, counted
    apart (one entry per incident, its latest notice)."""
    open_items = [i for i in items if i.type != RESOLVED]
    done = [i for i in items if i.type == RESOLVED]
    title = (
        f"dtu-install warnings digest, {format_moment(at)}: "
        f"{len(open_items)} open, {len(done)} resolved"
    )
    sections: list[tuple[str, Sequence[str], str]] = []
    text_lines = [title]
    for group, heading in ((open_items, "Open warnings"), (done, "Resolved warnings")):
        if not group:
            continue
        text_lines.append(f"{heading} ({len(group)}):")
        for item in group:
            sections.append((item.headline, item.lines, item.runbook))
            text_lines += [item.headline, *(f"  {d}" for d in item.lines)]
            text_lines.append(f"  Runbook: {item.runbook}")
    if dashboard:
        text_lines.append(f"Dashboard: {dashboard}")
    body = "\n".join(
        f"*{slack_escaped(item.headline)}*: {slack_escaped(item.lines[0] if item.lines else '')} "
        f"(<{item.runbook}|runbook>)"
        for item in [*open_items, *done]
    )
    return Message(
        kind="digest",
        subject=_subject(title),
        text="\n".join(text_lines),
        html=_html(title, sections, dashboard),
        data={
            "type": "digest",
            "at": format_moment(at),
            "open": len(open_items),
            "resolved": len(done),
            "items": [
                {"type": i.type, "incident": dict(i.incident), "sentences": list(i.lines)}
                for i in items
            ],
        },
        blocks=_slack(title, body, [(dashboard, "dashboard")] if dashboard else []),
        message_id=f"digest.{at}",
        date=at,
    )


def report_message(
    name: str, title: str, text: str, page: str, data: Mapping[str, Any], at: int
) -> Message:
    return Message(
        kind="report",
        subject=_subject(title),
        text=text,
        html=page,
        data={"type": "report", "report": name, **data},
        blocks=_slack(title, slack_escaped(text), [], code=True),
        message_id=f"report.{name}.{at}",
        date=at,
    )
