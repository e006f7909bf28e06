"""Pieces shared by the reports: tables as data, changes, shares, label for missing values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.timeutil import Window, format_moment, round_rate

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


def window_json(window: Window) -> dict[str, str]:
    return {"from": format_moment(window.start), "to": format_moment(window.end)}


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
