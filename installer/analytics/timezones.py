"""The website's time zone: local days and local times <-> UTC, clock changes included.

Piwik PRO states the raw data's `timestamp` as "server time in the website's timezone"
(PiwikPRO/PPMS-PublicDocs, custom_reports/columns__dimensions.rst, row "Timestamp"), written
without an offset (custom_reports/http_api/paths/events.yaml: `"2018-12-03T00:21:03"`), and
reads `date_from`/`date_to` in the website's time zone too
(custom_reports/http_api/definitions/raw_data_request.yaml). So a local time has:
- one UTC moment on most days;
- none in the hour the clocks skip in spring (Piwik PRO never gives such a time);
- two in the hour they repeat in autumn (02:30 in Copenhagen is 00:30Z, then 01:30Z).
`installer/analytics/fold.py` decides between the two.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Z"})
_NEAR = datetime.timedelta(hours=2)  # longer than any clock change and the 30-minute session gap


@functools.lru_cache(maxsize=16)
def zone(name: str) -> datetime.tzinfo:
    """An IANA time zone by name; ValueError with a message for the user otherwise."""
    if name in UTC_NAMES:
        return datetime.timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: give the website's IANA time zone as Piwik PRO shows "
            "it (website settings), e.g. Europe/Copenhagen or UTC (a system without a time "
            "zone database needs the tzdata package)"
        ) from None


def local_day(moment: int, tz: datetime.tzinfo) -> datetime.date:
    """The website's calendar day at `moment` (unix seconds)."""
    return datetime.datetime.fromtimestamp(moment, tz=tz).date()


def utc_candidates(local: datetime.datetime, tz: datetime.tzinfo) -> tuple[int, ...]:
    """The UTC moments (unix seconds) a naive local time can be, earliest first: one, none
    (skipped by a clock change) or two (repeated by one)."""
    found = []
    for fold in (0, 1):
        aware = local.replace(tzinfo=tz, fold=fold)
        moment = aware.timestamp()
        # A time that does not exist comes back as another local time on the round trip.
        back = datetime.datetime.fromtimestamp(moment, tz=tz).replace(tzinfo=None, fold=0)
        if back == local.replace(fold=0) and int(moment) not in found:
            found.append(int(moment))
    return tuple(sorted(found))


def near_clock_change(local: datetime.datetime, tz: datetime.tzinfo) -> bool:
    """Whether a clock change lies within two hours of this local time (its events may be
    needed to place a time in the repeated hour)."""
    if tz is datetime.timezone.utc:
        return False
    before = (local - _NEAR).replace(tzinfo=tz).utcoffset()
    after = (local + _NEAR).replace(tzinfo=tz).utcoffset()
    return before != after
