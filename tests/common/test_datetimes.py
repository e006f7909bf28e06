"""The one date-time parser, and what its three readers (`--at`, a hit's `cdt`, a Piwik PRO
`timestamp`) each make of it."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from installer.analytics.pull import row_time
from installer.analytics.timeutil import parse_moment
from installer.common.datetimes import NoSuchTime, parse_written_time
from installer.errors import UsageError
from installer.events.normalise import InvalidHit, parse_cdt
from installer.telemetry.hits import hit_time

T = 1_700_000_000  # 2023-11-14 22:13:20 UTC


@pytest.mark.parametrize(
    "text",
    [
        "2023-11-14 22:13:20",
        "2023-11-14T22:13:20Z",
        " 2023-11-14T22:13:20.999Z ",
        "2023-11-14T23:13:20+01:00",
        "2023-11-14T21:13:20-0100",
    ],
)
def test_every_written_form_names_the_same_moment(text: str) -> None:
    written = parse_written_time(text)
    assert written is not None and written.utc_seconds() == T


def test_a_bare_date_is_midnight_and_says_so() -> None:
    written = parse_written_time("2023-11-14")
    assert written is not None and not written.has_time and written.offset is None
    assert written.local == datetime.datetime(2023, 11, 14)


@pytest.mark.parametrize("text", ["yesterday", "2023-11-14T22", "14/11/2023", "2023-11-14Z1"])
def test_other_text_is_not_a_written_time(text: str) -> None:
    assert parse_written_time(text) is None


@pytest.mark.parametrize(
    "text", ["2023-02-29 00:00:00", "2023-11-14 24:00", "2023-13-01", "2023-11-14T10:00+05:75"]
)
def test_no_such_day_hour_or_offset(text: str) -> None:
    with pytest.raises(NoSuchTime):
        parse_written_time(text)


def test_the_three_readers_agree_on_utc() -> None:
    assert parse_moment("2023-11-14T22:13:20Z") == T
    assert parse_cdt("2023-11-14 22:13:20") == T
    assert hit_time("?cdt=2023-11-14%2022%3A13%3A20") == float(T)
    assert row_time("2023-11-14T22:13:20Z", datetime.timezone.utc).moments == (T,)


def test_a_hit_cdt_takes_the_plain_form_only() -> None:
    # Piwik PRO's cdt is "YYYY-MM-DD hh:mm:ss" (UTC); the collector refuses other forms
    # (tests/collector/test_malformed.py, cdt-iso-t), and the spool reads what we write.
    written = parse_written_time("2023-11-14 22:13:20")
    assert written is not None and written.plain
    for text in ("2023-11-14T22:13:20Z", "2023-11-14 22:13", "2023-11-14 22:13:20.5"):
        with pytest.raises(InvalidHit, match="neither unix seconds nor"):
            parse_cdt(text)
        assert hit_time("?cdt=" + text.replace(" ", "%20")) is None


def test_each_reader_keeps_its_own_rule_for_a_missing_or_foreign_zone() -> None:
    copenhagen = zoneinfo.ZoneInfo("Europe/Copenhagen")
    # The pull: no zone is the website's local time (here UTC+1).
    assert row_time("2023-11-14T23:13:20", copenhagen).moments == (T,)
    # --at is UTC only: another zone is refused, naming the option.
    with pytest.raises(UsageError, match="--at: '2023-11-14T23:13:20\\+01:00' is not a UTC"):
        parse_moment("2023-11-14T23:13:20+01:00")
    with pytest.raises(UsageError, match="--at: '2023-02-30' is not a valid date and time"):
        parse_moment("2023-02-30")
    with pytest.raises(InvalidHit, match="is not a valid date and time"):
        parse_cdt("2023-02-30 00:00:00")
