"""`dtu-install analytics pull`: raw events from the Piwik PRO Analytics API into the store.

Incremental and idempotent:
- Days are "settled" once Piwik PRO can no longer add events to them (it accepts hits
  backdated by about 24 h and processes them with some delay): up to `today - settle_days`.
  Settled days are pulled once, page by page; the position (the last settled day done, and
  the range and offset of a pull in progress) lives in the store's meta table, so an
  interrupted pull resumes at the page where it stopped.
- The days after that are pulled again from the start on every run.
- Rows become hits (`e_c`, `e_a`, `e_n`, `e_v`, `cdt`, `dimensionN`, `idsite`) and go through
  the same `normalise_hit` as the collector and the importer: the same event pulled twice
  has the same identity and is stored once.

Time zones (SPEC 6): Piwik PRO reads `date_from`/`date_to` and states `timestamp` in the
website's time zone (`piwik.timezone`, see `timezones`). Days are therefore the website's
days ("today" is the website's today), and each `timestamp` without an offset is turned into
UTC with the zone's rules; the hour repeated in autumn is placed by `fold`. A `timestamp`
with an offset or in unix seconds names its moment already.

Only the installer's events are asked for: a filter on `custom_event_category` (the
configured production, CI and test names), in the documented `filters` syntax
(PiwikPRO/PPMS-PublicDocs, custom_reports/http_api/definitions/raw_data_request.yaml).
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.fold import FoldResolver
from installer.analytics.piwik_api import PiwikClient, PiwikError
from installer.analytics.settings import PiwikSettings
from installer.analytics.timeutil import parse_moment
from installer.analytics.timezones import local_day, near_clock_change, utc_candidates, zone
from installer.common.datetimes import NoSuchTime, parse_written_time
from installer.errors import UsageError
from installer.events.normalise import InvalidHit, normalise_hit
from installer.store.event_store import EventStore

DEFAULT_FIRST_DAYS = 30  # the first pull without --since reaches back this far
MAX_PAGES = 100_000  # a runaway guard: meta.count bounds the loop already
META_PREFIX = "piwik.pull."
# Returned with every raw event without being asked for ("timestamp and identifiers will be
# returned by default": PiwikPRO/PPMS-PublicDocs, custom_reports/http_api/definitions/
# raw_data_request.yaml, `columns`; custom_reports/columns.rst, "Exporter", names them).
TIMESTAMP = "timestamp"
SESSION_ID = "session_id"
DEFAULT_COLUMNS = ("timestamp", "session_id", "visitor_id", "event_id")
EVENT_INDEX = "event_index"  # the event's position in its session (see `fold`)
BASE_COLUMNS = (
    "custom_event_category",
    "custom_event_action",
    "custom_event_name",
    "custom_event_value",
    EVENT_INDEX,
)
CATEGORY_COLUMN = "custom_event_category"
# Our event fields -> the hit parameter they come from (dimensions: by configured column).
HIT_FIELDS = {
    "custom_event_category": "e_c",
    "custom_event_action": "e_a",
    "custom_event_name": "e_n",
    "custom_event_value": "e_v",
}
MAX_INVALID_SAMPLES = 5


@dataclass
class PullResult:
    requests: int = 0
    rows: int = 0
    added: int = 0
    not_installer: int = 0  # page views and other non-event rows
    invalid: int = 0
    invalid_samples: list[str] = field(default_factory=list)
    date_from: str = ""
    date_to: str = ""
    timezone: str = "UTC"
    settled_through: str | None = None
    resumed_at: int | None = None  # offset a pull in progress was resumed from
    waited: float = 0.0  # seconds spent waiting before retries (Retry-After, backoff)
    repeated_hour: int = 0  # rows in an autumn repeated hour, placed by their session
    undecidable: int = 0  # ... of which nothing told which pass: placed in the first

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rows": self.rows,
            "added": self.added,
            "not_installer_events": self.not_installer,
            "invalid": self.invalid,
            "invalid_samples": self.invalid_samples,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "timezone": self.timezone,
            "settled_through": self.settled_through,
            "resumed_at_offset": self.resumed_at,
            "waited_s": round(self.waited, 1),
            "repeated_hour_rows": self.repeated_hour,
            "repeated_hour_undecidable": self.undecidable,
        }


def dimension_columns(settings: PiwikSettings, dimensions: Mapping[str, int]) -> dict[str, str]:
    """API column -> the hit parameter it fills (`event_custom_dimension_6` -> `dimension6`):
    the column slot and scope come from `piwik.columns`, the tracking id from `dimensions`."""
    return {
        settings.column_for(name, slot): f"dimension{slot}"
        for name, slot in sorted(dimensions.items(), key=lambda item: item[1])
    }


def columns_for(settings: PiwikSettings, dimensions: Mapping[str, int]) -> list[str]:
    """The columns to ask for (the default ones come anyway and are not asked for)."""
    return [*BASE_COLUMNS, *dimension_columns(settings, dimensions)]


def category_filter(categories: Sequence[str]) -> dict[str, Any]:
    """Only events of these categories (documented `filters` syntax: an and/or clause of
    `{"column_id", "condition": {"operator", "value"}}`; raw_data_request.yaml)."""
    return {
        "operator": "or",
        "conditions": [
            {"column_id": CATEGORY_COLUMN, "condition": {"operator": "eq", "value": name}}
            for name in dict.fromkeys(categories)
        ],
    }


def _day(d: datetime.date) -> str:
    return d.isoformat()


def parse_day(text: str, option: str = "--since") -> datetime.date:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{option}: {text!r} is not a date; use YYYY-MM-DD") from None


def _value_text(value: Any) -> str:
    """`e_v` as the tracker would have sent it: 1 not 1.0, so identities stay stable."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class RowTime:
    """When a row happened: one moment, or two for a local time in a repeated hour."""

    moments: tuple[int, ...]
    near_change: bool  # within two hours of a clock change: an anchor for `fold`


def row_time(value: Any, tz: datetime.tzinfo) -> RowTime:
    """`timestamp` -> its UTC moment(s). Without an offset it is the website's local time."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # JSON from requests admits NaN and Infinity, which int() cannot take: without this
        # one such cell ended the whole pull as a crash instead of one invalid row.
        if not math.isfinite(value):
            raise InvalidHit(f"timestamp {value!r} is not a time")
        return RowTime((int(value),), False)
    if isinstance(value, str):
        # ISO 8601 (installer/common/datetimes.py): seconds optional, fraction ignored,
        # `Z`/`+hh:mm`/`+hhmm` or no zone (= the website's time zone).
        try:
            written = parse_written_time(value)
        except NoSuchTime:
            written = None  # no such day or hour: reported below
        if written is not None and written.has_time:
            if written.offset is not None:
                # An offset names one moment exactly, whatever the website's zone.
                return RowTime((written.utc_seconds(),), False)
            local = written.local
            moments = utc_candidates(local, tz)
            if not moments:
                raise InvalidHit(
                    f"timestamp {value.strip()!r} does not exist in the website's time "
                    "zone (the clocks skipped it); check piwik.timezone"
                )
            return RowTime(moments, len(moments) > 1 or near_clock_change(local, tz))
        # A bare date or unix seconds: UTC, as `--at` reads them.
        try:
            return RowTime((parse_moment(value, option="timestamp"),), False)  # unix seconds
        except UsageError:
            pass
    raise InvalidHit(f"timestamp {str(value)[:40]!r} is not a time")


def row_to_params(
    row: Sequence[Any],
    columns: Sequence[str],
    website_id: str,
    dimension_params: Mapping[str, str],
) -> dict[str, str] | None:
    """A raw events row as tracking parameters without `cdt` (see `row_time`); None for a
    row that is no custom event. `dimension_params`: API column -> hit parameter."""
    cells = dict(zip(columns, row))
    if not cells.get("custom_event_category") or not cells.get("custom_event_name"):
        return None
    params = {"idsite": website_id}
    for column, key in HIT_FIELDS.items():
        value = cells.get(column)
        text = (
            _value_text(value)
            if column == "custom_event_value"
            else ("" if value is None else str(value))
        )
        if text:
            params[key] = text
    for column, key in dimension_params.items():
        value = cells.get(column)
        if value not in (None, ""):
            params[key] = str(value)
    return params


class _Position:
    """Where the pull of one website got to, in the store's meta table."""

    def __init__(self, store: EventStore, website_id: str) -> None:
        self.store, self.key = store, META_PREFIX + website_id
        raw = store.get_meta(self.key)
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}  # a damaged position only costs a re-pull (identities dedupe)
        self.settled_through: str | None = data.get("settled_through")
        self.pending: dict[str, Any] | None = data.get("pending")

    def save(self) -> None:
        value = {"settled_through": self.settled_through, "pending": self.pending}
        self.store.set_meta(self.key, json.dumps(value, sort_keys=True))


@dataclass(frozen=True)
class _Query:
    """What every events request of one pull asks for."""

    website_id: str
    columns: list[str]
    dimension_params: dict[str, str]
    filters: dict[str, Any]
    dimensions: Mapping[str, int]
    tz: datetime.tzinfo
    page_size: int


def pull(
    store: EventStore,
    client: PiwikClient,
    settings: PiwikSettings,
    dimensions: Mapping[str, int],
    *,
    now: int,
    categories: Sequence[str],
    since: datetime.date | None = None,
    progress: Callable[[str], None] = lambda _message: None,
) -> PullResult:
    """Pull from `since` (default: where the last pull stopped) up to the website's today."""
    assert settings.website_id is not None
    website_id = settings.website_id
    tz = zone(settings.timezone)
    today = local_day(now, tz)
    settled_end = today - datetime.timedelta(days=settings.settle_days)
    position = _Position(store, website_id)
    result = PullResult(timezone=settings.timezone)
    query = _Query(
        website_id,
        columns_for(settings, dimensions),
        dimension_columns(settings, dimensions),
        category_filter(categories),
        dimensions,
        tz,
        settings.page_size,
    )
    pending = position.pending
    if since is not None:
        start = since
    elif pending and pending.get("date_from"):
        start = datetime.date.fromisoformat(str(pending["date_from"]))  # a pull in progress
    elif position.settled_through:
        start = datetime.date.fromisoformat(position.settled_through) + datetime.timedelta(1)
    else:
        start = today - datetime.timedelta(days=DEFAULT_FIRST_DAYS)
    if start > today:
        raise UsageError(
            f"--since {_day(start)} is after today ({_day(today)} in {settings.timezone})"
        )
    result.date_from, result.date_to = _day(start), _day(today)

    if start <= settled_end:
        date_from, date_to, offset = _day(start), _day(settled_end), 0
        if pending and pending.get("date_from") == date_from:
            # Resume the range in progress where it stopped (its end may have been earlier).
            date_to, offset = str(pending["date_to"]), int(pending["offset"])
            result.resumed_at = offset
        position.pending = {"date_from": date_from, "date_to": date_to, "offset": offset}
        position.save()

        def remember(next_offset: int) -> None:
            position.pending = {"date_from": date_from, "date_to": date_to, "offset": next_offset}
            position.save()

        _pages(store, client, query, date_from, date_to, offset, result, remember, progress)
        done = datetime.date.fromisoformat(date_to)
        previous = position.settled_through
        # Advance only over days with nothing missing before them: a --since later than
        # the position leaves a gap that a later pull without --since still fills.
        contiguous = previous is None or datetime.date.fromisoformat(date_from) <= (
            datetime.date.fromisoformat(previous) + datetime.timedelta(1)
        )
        if contiguous and (previous is None or done > datetime.date.fromisoformat(previous)):
            position.settled_through = _day(done)
        position.pending = None
        position.save()
        tail_start = done + datetime.timedelta(1)
    else:
        tail_start = start
    if tail_start <= today:
        _pages(
            store,
            client,
            query,
            _day(tail_start),
            _day(today),
            0,
            result,
            lambda _offset: None,
            progress,
        )
    result.settled_through = position.settled_through
    result.waited = sum(client.waited)
    return result


def _pages(
    store: EventStore,
    client: PiwikClient,
    query: _Query,
    date_from: str,
    date_to: str,
    offset: int,
    result: PullResult,
    remember: Callable[[int], None],
    progress: Callable[[str], None],
) -> None:
    """Fetch `[date_from, date_to]` from `offset` until meta.count rows have been read.

    Rows of an autumn repeated hour wait until the range is read (their session's other
    rows may come on a later page); the position never moves past the first of them, so an
    interrupted pull reads them again rather than losing them."""
    resolver: FoldResolver[dict[str, str]] = FoldResolver()
    first_held: int | None = None
    for _ in range(MAX_PAGES):
        page = client.events(
            query.website_id,
            date_from,
            date_to,
            query.columns,
            offset,
            query.page_size,
            filters=query.filters,
            required=(TIMESTAMP,),
        )
        result.requests += 1
        events = []
        for index, row in enumerate(page.rows, start=offset):
            result.rows += 1
            try:
                params = row_to_params(row, page.columns, query.website_id, query.dimension_params)
                if params is None:
                    result.not_installer += 1
                    continue
                cells = dict(zip(page.columns, row))
                when = row_time(cells.get(TIMESTAMP), query.tz)
                session, position_in_session = _session_key(cells)
                if len(when.moments) > 1:
                    normalise_hit(  # reject a bad row now, not after the range
                        {**params, "cdt": str(when.moments[0])},
                        received_at=None,
                        dimensions=query.dimensions,
                    )
                    low, high = when.moments[0], when.moments[-1]
                    resolver.hold(session, position_in_session, (low, high), params)
                    result.repeated_hour += 1
                    first_held = index if first_held is None else first_held
                    continue
                if when.near_change:
                    resolver.anchor(session, position_in_session, when.moments[0])
                params["cdt"] = str(when.moments[0])
                events.append(normalise_hit(params, received_at=None, dimensions=query.dimensions))
            except InvalidHit as exc:
                result.invalid += 1
                if len(result.invalid_samples) < MAX_INVALID_SAMPLES:
                    # The page as asked for (`offset` / `limit`) and the row in it, 1-based,
                    # so a bad row can be found again in the API's answer.
                    where = f"page {offset // query.page_size + 1}, row {index - offset + 1}"
                    result.invalid_samples.append(f"{date_from}..{date_to} {where}: {exc}")
        result.added += store.insert(events)
        offset += len(page.rows)
        # After the page is committed: a resume never skips a row.
        remember(offset if first_held is None else first_held)
        progress(f"{date_from}..{date_to}: {offset} of {page.count} rows")
        if offset >= page.count:
            break
        if not page.rows:
            # meta.count promises more rows than the API gives: stopping quietly would mark
            # the days as pulled with rows missing. The position keeps this offset instead.
            raise PiwikError(
                f"Piwik PRO gave no rows at offset {offset} of {page.count} "
                f"({date_from}..{date_to}); the next pull resumes there"
            )
    if len(resolver):
        held = []
        for moment, params in resolver.resolve():
            held.append(
                normalise_hit(
                    {**params, "cdt": str(moment)}, received_at=None, dimensions=query.dimensions
                )
            )
        result.added += store.insert(held)
        result.undecidable += resolver.undecidable
        remember(offset)


def _session_key(cells: Mapping[str, Any]) -> tuple[str | None, int | None]:
    """(session id, event index) when the row has both, for ordering a session's events."""
    session, index = cells.get(SESSION_ID), cells.get(EVENT_INDEX)
    if session in (None, "") or index is None or isinstance(index, bool):
        return None, None
    try:
        return str(session), int(index)
    except (TypeError, ValueError, OverflowError):
        return None, None


def run_pull(
    *,
    db: str | None,
    now: int,
    since: str | None = None,
    config: str | None = None,
    as_json: bool = False,
) -> int:
    """The command: settings from the file and the environment, pull, print a summary."""
    import sys

    from installer.analytics.settings import load_settings
    from installer.errors import ExitCode
    from installer.store.event_store import resolve_db_path

    settings = load_settings(config)
    missing = settings.piwik.missing()
    if missing:
        raise UsageError(f"analytics pull needs: {', '.join(missing)}")
    piwik = settings.piwik
    assert piwik.url and piwik.client_id and piwik.client_secret
    client = PiwikClient(piwik.url, piwik.client_id, piwik.client_secret)
    start = parse_day(since) if since else None
    quiet = as_json or not sys.stderr.isatty()
    categories = settings.categories
    with EventStore(resolve_db_path(db)) as store:
        result = pull(
            store,
            client,
            piwik,
            settings.dimensions,
            now=now,
            categories=(categories.production, categories.ci, categories.test),
            since=start,
            progress=(lambda _m: None) if quiet else (lambda m: print(m, file=sys.stderr)),
        )
    if as_json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(
            f"pulled {result.rows} rows ({result.date_from} .. {result.date_to}, "
            f"{result.timezone}) in {result.requests} requests: {result.added} new events, "
            f"{result.not_installer} not installer events, {result.invalid} invalid; "
            f"settled through {result.settled_through or 'nothing yet'}"
        )
        if result.undecidable:
            print(
                f"  {result.undecidable} of {result.repeated_hour} events in the hour the clocks "
                "repeat had nothing to tell which pass they were in: stored at the first"
            )
        for sample in result.invalid_samples:
            print(f"  invalid: {sample}")
    return ExitCode.OK
