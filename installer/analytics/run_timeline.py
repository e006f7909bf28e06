"""Support by run (SPEC 6, "Definitions"): find a run from its support id, and its timeline.

A student quotes the support id that `dtu-install run` printed (the first 8 hex characters of
the run id, dimension 6); `find_run` turns at least 8 characters of a run id into the one run
they start, and `timeline` lists every event of that run in time order with its action,
outcome, error category, duration, OS, architecture and SHA.

Used by `dtu-install analytics run ID` (`run_command`) and by the dashboard's drill-down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from installer.analytics.timeutil import format_moment
from installer.errors import DtuInstallError, ExitCode, UsageError
from installer.store.event_store import EventStore, resolve_db_path

SUPPORT_ID_LENGTH = 8  # characters of the run id a student quotes (SPEC 6)
MAX_CANDIDATES = 10  # an ambiguous id lists at most this many runs
SKIPPED_ACTION = "Skipped"  # SPEC 4: e_a of a step whose check showed it was already done
_HEX = re.compile(r"^[0-9a-fA-F]+$")
# What a run id may look like in a query: printable, no quotes or wildcards to worry about
# (the lookup is a range on the text, not LIKE).
_RUN_TEXT = re.compile(r"^[!-~]+$")


class RunNotFound(DtuInstallError):
    """No run starts with the id given: exit 1."""

    exit_code = ExitCode.FAILED


class AmbiguousRun(UsageError):
    """Several runs start with the id given: exit 2, with the candidates."""

    def __init__(self, prefix: str, candidates: Sequence[str]) -> None:
        self.prefix, self.candidates = prefix, list(candidates)
        shown = ", ".join(self.candidates[:MAX_CANDIDATES])
        more = " (and more)" if len(self.candidates) > MAX_CANDIDATES else ""
        super().__init__(
            f"support id {prefix} matches {len(self.candidates)}{'+' if more else ''} runs: "
            f"{shown}{more}; give more characters of the run id"
        )


def support_id(run_id: str) -> str:
    """The part of a run id a student quotes (its first 8 characters)."""
    return run_id[:SUPPORT_ID_LENGTH]


def normalise_id(text: str) -> str:
    """The id as typed -> the prefix to look up; UsageError for one too short or odd."""
    value = text.strip()
    if len(value) < SUPPORT_ID_LENGTH:
        raise UsageError(
            f"run id {value!r} is too short: give at least {SUPPORT_ID_LENGTH} characters "
            "(the support id the failure summary shows)"
        )
    if not _RUN_TEXT.match(value):
        raise UsageError(f"run id {value[:40]!r} has spaces or characters a run id never has")
    # Run ids are lowercase hex (uuid4().hex): an id read out or typed in capitals still matches.
    return value.lower() if _HEX.match(value) else value


def find_run(store: EventStore, text: str) -> str:
    """The run id that starts with `text`; RunNotFound (exit 1) or AmbiguousRun (exit 2)."""
    prefix = normalise_id(text)
    # A range on the text (uses the run index): every string that starts with the prefix
    # sorts at or after it and before prefix + U+10FFFF, the highest code point.
    rows = store.conn.execute(
        "SELECT DISTINCT run FROM events WHERE run >= ? AND run < ? ORDER BY run LIMIT ?",
        (prefix, prefix + "\U0010ffff", MAX_CANDIDATES + 1),
    ).fetchall()
    runs = [str(r[0]) for r in rows]
    if not runs:
        raise RunNotFound(
            f"no run starts with {prefix} in {store.path}: its events may not have arrived yet "
            "(pull or import them), or the id was mistyped"
        )
    if len(runs) > 1:
        raise AmbiguousRun(prefix, runs)
    return runs[0]


@dataclass(frozen=True)
class TimelineEvent:
    ts: int
    category: str
    action: str
    name: str
    component: str
    success: bool
    value: float | None
    error: str | None
    duration: float | None
    os: str | None
    arch: str | None
    sha: str | None

    @property
    def outcome(self) -> str:
        if not self.success:
            return "failed"
        return "skipped" if self.action == SKIPPED_ACTION else "ok"

    def as_json(self) -> dict[str, Any]:
        return {
            "time": format_moment(self.ts),
            "ts": self.ts,
            "category": self.category,
            "action": self.action,
            "name": self.name,
            "component": self.component,
            "outcome": self.outcome,
            "success": self.success,
            "value": self.value,
            "error": self.error,
            "duration": self.duration,
            "os": self.os,
            "arch": self.arch,
            "sha": self.sha,
        }


@dataclass(frozen=True)
class RunTimeline:
    run: str
    events: list[TimelineEvent]

    @property
    def support_id(self) -> str:
        return support_id(self.run)

    @property
    def failures(self) -> list[TimelineEvent]:
        return [e for e in self.events if not e.success]

    def as_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "support_id": self.support_id,
            "events": [e.as_json() for e in self.events],
            "counts": {
                "events": len(self.events),
                "failed": len(self.failures),
                "skipped": sum(e.outcome == "skipped" for e in self.events),
            },
            "first": format_moment(self.events[0].ts) if self.events else None,
            "last": format_moment(self.events[-1].ts) if self.events else None,
        }


def timeline(store: EventStore, run_id: str) -> RunTimeline:
    """Every event of the run, in time order (then in the order they were stored)."""
    rows = store.conn.execute(
        "SELECT ts, category, action, name, component, success, value, error, duration, os, "
        "arch, sha FROM events WHERE run = ? ORDER BY ts, id",
        (run_id,),
    ).fetchall()
    events = [
        TimelineEvent(
            ts=int(r[0]),
            category=str(r[1]),
            action=str(r[2]),
            name=str(r[3]),
            component=str(r[4]),
            success=bool(r[5]),
            value=r[6],
            error=r[7],
            duration=r[8],
            os=r[9],
            arch=r[10],
            sha=r[11],
        )
        for r in rows
    ]
    return RunTimeline(run_id, events)


def _same(values: Sequence[str | None]) -> str | None:
    """The one value every event has, or None when they differ (then shown per event)."""
    distinct = set(values)
    return next(iter(distinct)) if len(distinct) == 1 else None


def _clock(ts: int) -> str:
    return format_moment(ts).replace("T", " ").rstrip("Z")


def _duration(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}s"


def render(run: RunTimeline) -> str:
    """The timeline for a terminal (fits 80 columns; OS, arch and SHA once when shared)."""
    counts = run.as_json()["counts"]
    span = f"{_clock(run.events[0].ts)} .. {_clock(run.events[-1].ts)} UTC" if run.events else ""
    lines = [
        f"run {run.run} (support id {run.support_id})",
        f"  {counts['events']} events, {counts['failed']} failed, {counts['skipped']} skipped; "
        f"{span}",
    ]
    shared = {
        "category": _same([e.category for e in run.events]),
        "os": _same([e.os for e in run.events]),
        "arch": _same([e.arch for e in run.events]),
        "sha": _same([e.sha for e in run.events]),
    }
    common = [f"{key} {value}" for key, value in shared.items() if value is not None]
    if common:
        lines.append("  every event: " + ", ".join(common))
    lines.append("")
    for event in run.events:
        parts = [_clock(event.ts), f"{event.outcome:<7}", f"{event.component:<24}"]
        detail = [event.error or "", _duration(event.duration)]
        if event.action not in ("Event", SKIPPED_ACTION):
            detail.append(f"action {event.action}")
        for key in ("category", "os", "arch", "sha"):
            if shared[key] is None and getattr(event, key) is not None:
                detail.append(f"{key} {getattr(event, key)}")
        lines.append("  ".join([*parts, " ".join(d for d in detail if d)]).rstrip())
    return "\n".join(lines)


def run_command(
    text: str, *, db: str | None, as_json: bool, echo: Callable[[str], None] = print
) -> int:
    """`dtu-install analytics run ID`: 0 found, 1 unknown id, 2 ambiguous or malformed id."""
    normalise_id(text)  # a malformed id is a usage error before the store is opened
    with EventStore(resolve_db_path(db), readonly=True) as store:
        run = timeline(store, find_run(store, text))
    echo(json.dumps(run.as_json(), indent=2) if as_json else render(run))
    return ExitCode.OK
