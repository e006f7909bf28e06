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

Piwik PRO gives dates and `timestamp` in the website's time zone; a `timestamp` without an
offset is read as UTC, so the website should be set to UTC (as SPEC 4's `cdt` is) for the
times to line up with the collector's (one with an offset is converted).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.event import InvalidHit, normalise_hit
from installer.analytics.piwik_api import PiwikClient, PiwikError
from installer.analytics.settings import PiwikSettings
from installer.analytics.store import EventStore
from installer.analytics.timeutil import parse_moment
from installer.errors import UsageError

DEFAULT_FIRST_DAYS = 30  # the first pull without --since reaches back this far
MAX_PAGES = 100_000  # a runaway guard: meta.count bounds the loop already
META_PREFIX = "piwik.pull."
BASE_COLUMNS = (
    "timestamp",
    "custom_event_category",
    "custom_event_action",
    "custom_event_name",
    "custom_event_value",
)
# Our event fields -> the hit parameter they come from (dimensions: by configured slot).
HIT_FIELDS = {
    "custom_event_category": "e_c",
    "custom_event_action": "e_a",
    "custom_event_name": "e_n",
    "custom_event_value": "e_v",
}
MAX_INVALID_SAMPLES = 5
# `timestamp` as ISO 8601: seconds optional, fraction ignored, `Z`/`+hh:mm`/`+hhmm` or no
# zone (= UTC, see the module docstring). Python 3.9's fromisoformat takes neither `Z` nor
# any fraction length, hence the split.
_ISO_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)


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
    settled_through: str | None = None
    resumed_at: int | None = None  # offset a pull in progress was resumed from
    waited: float = 0.0  # seconds spent waiting before retries (Retry-After, backoff)

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
            "settled_through": self.settled_through,
            "resumed_at_offset": self.resumed_at,
            "waited_s": round(self.waited, 1),
        }


def columns_for(dimensions: Mapping[str, int]) -> list[str]:
    slots = sorted(set(dimensions.values()))
    return [*BASE_COLUMNS, *(f"event_custom_dimension_{slot}" for slot in slots)]


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


def _timestamp(value: Any) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # JSON from requests admits NaN and Infinity, which int() cannot take: without this
        # one such cell ended the whole pull as a crash instead of one invalid row.
        if not math.isfinite(value):
            raise InvalidHit(f"timestamp {value!r} is not a time")
        return int(value)
    if isinstance(value, str):
        match = _ISO_TIME.match(value.strip())
        if match:
            # An ISO 8601 time with fractional seconds or an offset names one moment exactly;
            # rejecting it dropped the event for good, as its day is then marked as pulled.
            base, zone = match.groups()
            offset = "+00:00" if zone in (None, "Z") else f"{zone[:3]}:{zone[-2:]}"
            try:
                moment = datetime.datetime.fromisoformat(base.replace(" ", "T") + offset)
            except ValueError:
                pass  # no such day or hour: reported below
            else:
                return int(moment.timestamp())
        try:
            return parse_moment(value, option="timestamp")  # unix seconds, a bare date
        except UsageError:
            pass
    raise InvalidHit(f"timestamp {str(value)[:40]!r} is not a time")


def row_to_params(
    row: Sequence[Any], columns: Sequence[str], website_id: str, dimensions: Mapping[str, int]
) -> dict[str, str] | None:
    """A raw events row as tracking parameters; None for a row that is no custom event."""
    cells = dict(zip(columns, row))
    if not cells.get("custom_event_category") or not cells.get("custom_event_name"):
        return None
    params = {"idsite": website_id, "cdt": str(_timestamp(cells.get("timestamp")))}
    for column, key in HIT_FIELDS.items():
        value = cells.get(column)
        text = (
            _value_text(value)
            if column == "custom_event_value"
            else ("" if value is None else str(value))
        )
        if text:
            params[key] = text
    for slot in sorted(set(dimensions.values())):
        value = cells.get(f"event_custom_dimension_{slot}")
        if value not in (None, ""):
            params[f"dimension{slot}"] = str(value)
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


def pull(
    store: EventStore,
    client: PiwikClient,
    settings: PiwikSettings,
    dimensions: Mapping[str, int],
    *,
    now: int,
    since: datetime.date | None = None,
    progress: Callable[[str], None] = lambda _message: None,
) -> PullResult:
    """Pull from `since` (default: where the last pull stopped) up to today (UTC at `now`)."""
    assert settings.website_id is not None
    website_id = settings.website_id
    today = _utc_day(now)
    settled_end = today - datetime.timedelta(days=settings.settle_days)
    position = _Position(store, website_id)
    result = PullResult()
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
        raise UsageError(f"--since {_day(start)} is after today ({_day(today)} UTC)")
    result.date_from, result.date_to = _day(start), _day(today)
    columns = columns_for(dimensions)

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

        _pages(
            store,
            client,
            settings,
            dimensions,
            columns,
            date_from,
            date_to,
            offset,
            result,
            remember,
            progress,
        )
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
            settings,
            dimensions,
            columns,
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


def _utc_day(moment: int) -> datetime.date:
    return datetime.datetime.fromtimestamp(moment, tz=datetime.timezone.utc).date()


def _pages(
    store: EventStore,
    client: PiwikClient,
    settings: PiwikSettings,
    dimensions: Mapping[str, int],
    columns: Sequence[str],
    date_from: str,
    date_to: str,
    offset: int,
    result: PullResult,
    remember: Callable[[int], None],
    progress: Callable[[str], None],
) -> None:
    """Fetch `[date_from, date_to]` from `offset` until meta.count rows have been read."""
    assert settings.website_id is not None
    for _ in range(MAX_PAGES):
        page = client.events(
            settings.website_id, date_from, date_to, columns, offset, settings.page_size
        )
        result.requests += 1
        events = []
        for index, row in enumerate(page.rows, start=offset):
            result.rows += 1
            try:
                params = row_to_params(row, page.columns, settings.website_id, dimensions)
                if params is None:
                    result.not_installer += 1
                    continue
                events.append(normalise_hit(params, received_at=None, dimensions=dimensions))
            except InvalidHit as exc:
                result.invalid += 1
                if len(result.invalid_samples) < MAX_INVALID_SAMPLES:
                    # The page as asked for (`offset` / `limit`) and the row in it, 1-based,
                    # so a bad row can be found again in the API's answer.
                    where = f"page {offset // settings.page_size + 1}, row {index - offset + 1}"
                    result.invalid_samples.append(f"{date_from}..{date_to} {where}: {exc}")
        result.added += store.insert(events)
        offset += len(page.rows)
        remember(offset)  # after the page is committed: a resume never skips a row
        progress(f"{date_from}..{date_to}: {offset} of {page.count} rows")
        if offset >= page.count:
            return
        if not page.rows:
            # meta.count promises more rows than the API gives: stopping quietly would mark
            # the days as pulled with rows missing. The position keeps this offset instead.
            raise PiwikError(
                f"Piwik PRO gave no rows at offset {offset} of {page.count} "
                f"({date_from}..{date_to}); the next pull resumes there"
            )


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
    from installer.analytics.store import resolve_db_path
    from installer.errors import ExitCode

    settings = load_settings(config)
    missing = settings.piwik.missing()
    if missing:
        raise UsageError(f"analytics pull needs: {', '.join(missing)}")
    piwik = settings.piwik
    assert piwik.url and piwik.client_id and piwik.client_secret
    client = PiwikClient(piwik.url, piwik.client_id, piwik.client_secret)
    start = parse_day(since) if since else None
    quiet = as_json or not sys.stderr.isatty()
    with EventStore(resolve_db_path(db)) as store:
        result = pull(
            store,
            client,
            piwik,
            settings.dimensions,
            now=now,
            since=start,
            progress=(lambda _m: None) if quiet else (lambda m: print(m, file=sys.stderr)),
        )
    if as_json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print(
            f"pulled {result.rows} rows ({result.date_from} .. {result.date_to}) in "
            f"{result.requests} requests: {result.added} new events, "
            f"{result.not_installer} not installer events, {result.invalid} invalid; "
            f"settled through {result.settled_through or 'nothing yet'}"
        )
        for sample in result.invalid_samples:
            print(f"  invalid: {sample}")
    return ExitCode.OK
