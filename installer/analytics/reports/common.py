"""Pieces shared by the reports: tables as data, changes, shares, label for missing values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.query import Counts, Scope, counts
from installer.analytics.timeutil import Window, format_moment, round_rate
from installer.store.event_store import EventStore

UNKNOWN = "unknown"  # an event without that dimension (e.g. no arch) is still counted


@dataclass(frozen=True)
class Table:
    """A section of a report as data: the text and HTML renderers draw it the same way."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    note: str = ""


@dataclass(frozen=True)
class Change:
    """A number in two periods, the absolute change and the change as % of the earlier."""

    now: int
    before: int

    @property
    def percent(self) -> float | None:
        return None if self.before == 0 else (self.now - self.before) * 100.0 / self.before

    def serialize(self, now_name: str, before_name: str) -> dict[str, Any]:
        return {
            now_name: self.now,
            before_name: self.before,
            "change": self.now - self.before,
            "change_percent": round_rate(self.percent),
        }


def label(value: object) -> str:
    return UNKNOWN if value is None or value == "" else str(value)


def share(part: int, whole: int) -> float | None:
    return None if whole <= 0 else part * 100.0 / whole


def pp(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


@dataclass(frozen=True)
class ShareChange:
    """One group's installations in two periods, and its share of each period's total."""

    label: str
    now: int
    before: int
    now_share: float | None
    before_share: float | None


def share_changes(
    now: Counts,
    now_by: Mapping[tuple[object, ...], Counts],
    before: Counts,
    before_by: Mapping[tuple[object, ...], Counts],
) -> list[ShareChange]:
    """Every group of either period (e.g. each arch, from `per_run`), by label; a group
    absent from a period has 0 installations there."""
    changes = []
    for key in sorted(set(now_by) | set(before_by), key=lambda k: label(k[0])):
        n_now = now_by.get(key, Counts()).installations
        n_before = before_by.get(key, Counts()).installations
        changes.append(
            ShareChange(
                label(key[0]),
                n_now,
                n_before,
                share(n_now, now.installations),
                share(n_before, before.installations),
            )
        )
    return changes


def new_os_versions(
    store: EventStore, seen_now: Iterable[tuple[object, ...]], lookback: Window, scope: Scope
) -> list[str] | None:
    """The OS versions among `seen_now` (keys grouped by os) that no event in `lookback` has;
    None when `lookback` has no events at all, since "new" would then call everything new."""
    earlier = counts(store, lookback, scope, by=["os"])
    if not earlier:
        return None
    seen_before = {label(k[0]) for k in earlier}
    return sorted({label(k[0]) for k in seen_now} - seen_before - {UNKNOWN})


def new_os_json(versions: list[str] | None, no_earlier_note: str) -> dict[str, Any]:
    # null: the store has no earlier events, so "new" would call everything new.
    return {
        "new_os_versions": versions,
        "new_os_note": "" if versions is not None else no_earlier_note,
    }


def new_os_table(title: str, versions: list[str] | None, no_earlier_note: str) -> Table:
    return Table(
        title,
        ["os"],
        [[v] for v in versions or ()],
        no_earlier_note if versions is None else ("none" if not versions else ""),
    )


def window_json(window: Window) -> dict[str, str]:
    return {"from": format_moment(window.start), "to": format_moment(window.end)}


def period(at: int, windows: Sequence[tuple[str, Window]], scope: Scope) -> list[str]:
    """The moment, the windows and the scope a report covers, one line each: the title alone
    ("week ending T") left the reader to work out when last week began and that T is
    excluded, and a report's success rate (production only) was read against the
    dashboards' (all categories) without a word (issue 17)."""
    return (
        [f"T = {format_moment(at)} (UTC)"]
        + [
            f"{name}: {format_moment(w.start)} to {format_moment(w.end)} (end excluded)"
            for name, w in windows
        ]
        + [f"Scope: {scope.describe()} (every number below)"]
    )


def scope_json(scope: Scope) -> dict[str, Any]:
    return {
        "categories": list(scope.categories or ()),
        "arch": scope.arch,
        "os": scope.os,
        "description": scope.describe(),
    }


def no_earlier_data(lookback: Window) -> str:
    """What "new" cannot mean when the store holds nothing to compare with."""
    return (
        f"no earlier data: no events from {format_moment(lookback.start)} to "
        f"{format_moment(lookback.end)} to compare with, so no version is called new"
    )


def fmt(value: object) -> str:
    """Display form: rates with 2 decimals and %, pp with sign, None as "no data"."""
    if value is None:
        return "no data"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


@dataclass(frozen=True)
class ReportMeta:
    name: str
    title: str
    at: int
    scope: dict[str, Any] = field(default_factory=dict)


def per_run(
    store: EventStore, window: Window, scope: Scope, by: Sequence[str]
) -> tuple[Counts, dict[str, dict[tuple[object, ...], Counts]]]:
    """One scan of the window grouped by `by` + run, folded in Python into the total and the
    counts per each single column of `by`, all with distinct installations. Distinct runs do
    not add up across groups, so without this each breakdown would be its own scan."""
    rows = counts(store, window, scope, by=[*by, "run"])
    runs: set[object] = set()
    events = successes = 0
    single: dict[str, dict[tuple[object, ...], list[Any]]] = {name: {} for name in by}
    for key, c in rows.items():
        run = key[-1]
        events += c.events
        successes += c.successes
        if run is not None:
            runs.add(run)
        for index, name in enumerate(by):
            slot = single[name].setdefault((key[index],), [0, 0, set()])
            slot[0] += c.events
            slot[1] += c.successes
            if run is not None:
                slot[2].add(run)
    folded = {
        name: {k: Counts(v[0], v[1], len(v[2])) for k, v in groups.items()}
        for name, groups in single.items()
    }
    return Counts(events, successes, len(runs)), folded
