"""Moments and windows, exactly as SPEC section 6 defines them.

All times are UTC unix seconds (int). A window "last N hours at T" is `[T - N h, T)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

from installer.common.datetimes import NoSuchTime, parse_written_time
from installer.errors import UsageError

HOUR = 3600
DAY = 86400


def parse_moment(text: str, *, option: str = "--at") -> int:
    """`YYYY-MM-DDTHH:MM:SSZ` (also `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]`, unix seconds),
    always UTC (installer/common/datetimes.py reads it; a zone other than UTC is refused).
    Raises a `UsageError` that names the option on anything else."""
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        written = parse_written_time(value)
    except NoSuchTime:
        raise UsageError(f"{option}: {text!r} is not a valid date and time") from None
    if written is None or written.offset:
        raise UsageError(
            f"{option}: {text!r} is not a UTC time; use YYYY-MM-DDTHH:MM:SSZ, "
            "e.g. 2026-11-23T07:00:00Z"
        )
    return written.utc_seconds()


def format_moment(ts: int | float) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ`, the form every JSON output uses."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def now() -> int:
    return int(time.time())


@dataclass(frozen=True)
class Window:
    """Half-open `[start, end)` in unix seconds."""

    start: int
    end: int

    @classmethod
    def last(cls, at: int, seconds: int) -> Window:
        return cls(at - seconds, at)

    def __contains__(self, ts: object) -> bool:
        return isinstance(ts, (int, float)) and self.start <= ts < self.end


def rate(successes: int, events: int) -> float | None:
    """Success rate in percent; `None` ("no data") for an empty window, never 0 or 100."""
    if events <= 0:
        return None
    return successes * 100.0 / events


def exact_rate(successes: int, events: int) -> Fraction | None:
    """`rate` as an exact fraction, for thresholds on a difference of two rates (pp).

    One float rate compares exactly with a threshold (a quotient of small integers is far
    from any other), but the difference of two rounded ones need not: 20/30 - 17/30 is
    exactly 10 pp, yet 66.666...7 - 56.666...6 = 10.000000000000004 is "more than 10".
    """
    if events <= 0:
        return None
    return Fraction(successes * 100, events)


def display_rate(value: float | None) -> str:
    return "no data" if value is None else f"{value:.2f}%"


def round_rate(value: float | None) -> float | None:
    """Rounding is for display and JSON only; thresholds compare exact rates."""
    return None if value is None else round(value, 2)
