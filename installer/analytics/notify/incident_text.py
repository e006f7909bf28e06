"""An incident notice in plain sentences (SPEC 6, "Incidents"; issue 15): what is wrong,
where (with the healthy architectures and OS versions beside), since when and for how long,
how many students' runs, which SHAs carry the failures, and what ended it. No key=value."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from installer.analytics.alerts.impact import Impact
from installer.analytics.alerts.incidents import OPENED, REMINDER, Notice, duration
from installer.analytics.query import Counts

MAX_LISTED = 6  # architectures, OS versions, SHAs named per sentence
STATE_WORD: Mapping[str, str] = {OPENED: "OPENED", REMINDER: "STILL OPEN", "resolved": "RESOLVED"}


def when(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


@dataclass(frozen=True)
class Text:
    headline: str  # one line: severity, state, rule, key
    lines: tuple[str, ...]  # sentences
    subject: str = ""  # the headline and when


def _sentence(text: str) -> str:
    text = text.strip()
    first = text.split(" ", 1)[0]
    if first.isalpha() and first.islower():  # not a component name such as vscode_install
        text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def headline(notice: Notice) -> str:
    incident = notice.incident
    key = f" [{incident.key}]" if incident.key is not None else ""
    if notice.type == "resolved":
        return f"[RESOLVED] {incident.rule}{key}"
    return f"[{incident.severity.upper()}] {STATE_WORD[notice.type]}: {incident.rule}{key}"


def subject(notice: Notice) -> str:
    incident = notice.incident
    if notice.type == OPENED:
        return f"{headline(notice)} at {when(incident.started)}"
    lasted = duration(notice.at - incident.started)
    if notice.type == REMINDER:
        return f"{headline(notice)} since {when(incident.started)} ({lasted})"
    return f"{headline(notice)}: {when(incident.started)} to {when(notice.at)} ({lasted})"


def notice_text(notice: Notice, impact: Impact | None) -> Text:
    incident = notice.incident
    at = notice.at
    lines: list[str] = []
    if notice.type == OPENED:
        lines.append(_sentence(incident.firing.summary))
        lines.append(f"It opened at {when(incident.started)}, the first check at which it fired.")
    elif notice.type == REMINDER:
        if incident.last_fired == at:
            lines.append(_sentence(f"still firing: {incident.firing.summary}"))
        else:
            lines.append(
                f"It last fired at {when(incident.last_fired)} and its clear condition does not "
                f"hold yet ({incident.firing.summary})."
            )
        lines.append(
            f"It has been open since {when(incident.started)}, "
            f"for {duration(at - incident.started)}."
        )
    else:
        lines.append(_sentence(f"it is over: {incident.resolution}"))
        lines.append(
            f"It started at {when(incident.started)}, resolved at {when(at)} "
            f"and lasted {duration(at - incident.started)}."
        )
    if impact is not None:
        lines.extend(impact_sentences(impact, notice))
    return Text(headline(notice), tuple(lines), subject(notice))


def _failed(c: Counts, what: str = "") -> str:
    what = f" {what}" if what else ""
    if c.failures == 0:
        return f"none of {c.events}{what} failed"
    return f"{c.failures} of {c.events}{what} failed ({c.failure_rate or 0:.2f}%)"


def _listing(by: Mapping[str, Counts]) -> str:
    ranked = sorted(by.items(), key=lambda kc: (-kc[1].failures, -kc[1].events, kc[0]))
    shown = [f"{name}: {_failed(c)}" for name, c in ranked[:MAX_LISTED]]
    if len(ranked) > MAX_LISTED:
        shown.append(f"{len(ranked) - MAX_LISTED} more")
    return "; ".join(shown)


def impact_sentences(impact: Impact, notice: Notice) -> list[str]:
    incident = notice.incident
    since = when(impact.window.start)
    if incident.kind == "no_data":
        last = incident.firing.context.get("last_event")
        if notice.type == "resolved" and last:
            return [f"The last event before the gap arrived at {last}."]
        return []  # nothing arrived: there is nothing to break down
    what = {
        "component": f"{incident.key} steps",
        "arch": f"installer steps on {incident.key}",
        "sha": f"installer steps of commit {incident.key}",
    }.get(impact.focus or "", "installer steps")
    out = [f"Since {since}, {_failed(impact.total, what)}."]
    if impact.first_failure is not None:
        out.append(f"The first failure in that time was at {when(impact.first_failure)}.")
    failing = {name: c for name, c in impact.by_component.items() if c.failures}
    if failing and impact.focus != "component":
        clean = len(impact.by_component) - len(failing)
        others = "1 other component" if clean == 1 else f"{clean} other components"
        note = f" ({others} without failures)" if clean else ""
        out.append(f"By component: {_listing(failing)}{note}.")
    if impact.by_arch:
        healthy = [a for a, c in impact.by_arch.items() if c.failures == 0]
        note = f" (healthy: {', '.join(sorted(healthy))})" if healthy else ""
        out.append(f"By architecture: {_listing(impact.by_arch)}{note}.")
    if impact.by_os:
        healthy = [o for o, c in impact.by_os.items() if c.failures == 0]
        note = f" (healthy: {', '.join(sorted(healthy)[:MAX_LISTED])})" if healthy else ""
        out.append(f"By OS version: {_listing(impact.by_os)}{note}.")
    out.append(
        f"{impact.runs_failed} students' installations (distinct runs) had at least one "
        f"failure{' of ' + str(incident.key) if impact.focus == 'component' else ''}."
    )
    out.extend(sha_sentences(impact.by_sha))
    return out


def sha_sentences(by_sha: Mapping[str, Counts]) -> list[str]:
    """Which commits carry the failures (share of the failures), with the SHAs that ran
    the same steps without failing beside them: a commit that breaks one step is named
    here even when its overall rate hardly moves."""
    failures = sum(c.failures for c in by_sha.values())
    if not failures:
        return []
    ranked = sorted(by_sha.items(), key=lambda kc: (-kc[1].failures, -kc[1].events, kc[0]))
    parts = [
        f"{sha} {c.failures} of {failures} ({c.failures * 100 / failures:.2f}%; "
        f"{c.failures} of its {c.events} steps failed)"
        for sha, c in ranked
        if c.failures
    ]
    healthy = [f"{sha} (none of {c.events} failed)" for sha, c in ranked if not c.failures]
    if len(parts) > MAX_LISTED:
        parts = [*parts[:MAX_LISTED], f"{len(parts) - MAX_LISTED} more"]
    out = [f"The failures by commit SHA: {'; '.join(parts)}."]
    if healthy:
        out.append(f"Without failures: {', '.join(healthy[:MAX_LISTED])}.")
    return out
