"""Reading a written date and time, once for every caller: `--at`/`--from` options, a hit's
`cdt`, a Piwik PRO `timestamp`.

One grammar, ISO 8601 as people and APIs write it: `YYYY-MM-DD`, optionally followed by `T`
or a space and `hh:mm`, `:ss`, a fraction (ignored), and a zone (`Z`, `+hh:mm`, `+hhmm`).
Python 3.9's `datetime.fromisoformat` takes neither `Z` nor every fraction length, hence the
expression; `datetime` itself then checks the calendar (no 31 February, no 24:00). What a
caller makes of a missing zone (UTC, or a website's local time) is its own business.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

_WRITTEN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:([T ])(\d{2}):(\d{2})(?::(\d{2}))?(\.\d+)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


class NoSuchTime(ValueError):
    """Written in the grammar, but no such day or time (31 February, 25:00)."""


@dataclass(frozen=True)
class WrittenTime:
    local: datetime.datetime  # naive: the date and time as written
    offset: datetime.timedelta | None  # the zone written; None when there was none
    has_time: bool  # False for a bare date (midnight)
    # Exactly `YYYY-MM-DD hh:mm:ss` (a space, seconds, no fraction, no zone): the form a
    # tracking hit's `cdt` takes (Piwik PRO's and Matomo's; UTC). The collector refuses others.
    plain: bool

    def utc_seconds(self) -> int:
        """Unix seconds, reading a time without a zone as UTC."""
        seconds = calendar.timegm(self.local.timetuple())
        return seconds - int(self.offset.total_seconds()) if self.offset else seconds


def parse_written_time(text: str) -> WrittenTime | None:
    """`text` (surrounding blanks ignored) read in the grammar above; None when it is not
    written that way. Raises `NoSuchTime` for a well-written date the calendar lacks."""
    match = _WRITTEN.match(text.strip())
    if match is None:
        return None
    year, month, day, separator, hh, mm, ss, fraction, zone = match.groups()
    try:
        local = datetime.datetime(
            int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0)
        )
    except ValueError:
        raise NoSuchTime(f"{text.strip()!r} is not a valid date and time") from None
    offset = None
    if zone is not None:
        sign = -1 if zone.startswith("-") else 1
        hours, minutes = (0, 0) if zone == "Z" else (int(zone[1:3]), int(zone[-2:]))
        if hours > 23 or minutes > 59:
            raise NoSuchTime(f"{text.strip()!r} has no valid time zone offset")
        offset = sign * datetime.timedelta(hours=hours, minutes=minutes)
    plain = separator == " " and ss is not None and fraction is None and zone is None
    return WrittenTime(local, offset, has_time=separator is not None, plain=plain)
