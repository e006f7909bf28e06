"""The live pages' URL query string -> a typed `PageQuery` (issue 17: filters in the URL, so
a page can be shared; a bad parameter is a 400 page that says what is wrong).

    days=7                      the last 7 days before `at` (default: 30 days before now)
    at=2026-11-23T07:00:00Z     the moment the window ends (default: now: the page is live)
    from=2026-11-01&to=2026-11-07   whole UTC days, both included (instead of days/at)
    category=Installer          repeatable; default: all categories
    arch=arm64  os=Darwin24.1  component=homebrew  error=network_error

An empty value counts as not given (what an untouched form field sends).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from installer.analytics.dashboards import DEFAULT_DAYS, DashboardQuery
from installer.analytics.dashboards.command import MAX_DAYS
from installer.analytics.query import Scope
from installer.analytics.settings import Categories
from installer.analytics.timeutil import DAY, format_moment, parse_moment
from installer.errors import UsageError

MAX_VALUE = 200  # characters: no dimension value is longer
SINGLE = ("arch", "os", "component", "error")
RANGE = ("days", "at", "from", "to")
FILTERS = ("category", *SINGLE)
DASHBOARD_PARAMS = frozenset((*RANGE, *FILTERS))
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadParameter(UsageError):
    """A query parameter the pages cannot use: answered with 400 and this message."""


@dataclass(frozen=True)
class PageQuery:
    """What a page shows: its window, its scope, and the parameters as given (for links
    that keep them: a live page's links stay live, a fixed range stays fixed)."""

    query: DashboardQuery
    given: tuple[tuple[str, str], ...] = field(default=())

    @property
    def scope(self) -> Scope:
        return self.query.scope

    @property
    def live(self) -> bool:
        """No fixed end: the window ends now, and the page refreshes itself."""
        return not any(k in ("at", "to") for k, _ in self.given)

    def link(self, path: str, **changes: str | None) -> str:
        """`path?...`: these parameters with `changes` applied (None removes one)."""
        kept = [(k, v) for k, v in self.given if k not in changes]
        kept += [(k, v) for k, v in changes.items() if v is not None]
        return f"{path}?{urlencode(kept)}" if kept else path

    def range_only(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in self.given if k in RANGE or k == "category")


def parse(
    args: Mapping[str, Sequence[str]],
    *,
    now: int,
    categories: Categories,
    allowed: frozenset[str] = DASHBOARD_PARAMS,
    required: Sequence[str] = (),
) -> PageQuery:
    """Every parameter checked; the first problem raises BadParameter."""
    values: dict[str, list[str]] = {}
    for name, texts in args.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise BadParameter(f"unknown parameter {_show(name)}; this page takes: {known}")
        present = [v for v in texts if v != ""]
        for value in present:
            if len(value) > MAX_VALUE or _CONTROL.search(value):
                raise BadParameter(
                    f"{name}: {_show(value)} is not a value this page can use "
                    f"(at most {MAX_VALUE} printable characters)"
                )
        if len(present) > 1 and name != "category":
            raise BadParameter(f"{name} is given {len(present)} times; give it once")
        if present:
            values[name] = present
    for name in required:
        if name not in values:
            raise BadParameter(f"{name} is missing: this page needs ?{name}=...")
    at, days = _range(values, now)
    one = {name: values[name][0] for name in SINGLE if name in values}
    scope = Scope(
        tuple(values["category"]) if "category" in values else None,
        one.get("arch"),
        one.get("os"),
        one.get("component"),
        one.get("error"),
    )
    given = tuple((name, v) for name in (*RANGE, *FILTERS) if name in values for v in values[name])
    return PageQuery(DashboardQuery(at=at, days=days, scope=scope, categories=categories), given)


def _range(values: Mapping[str, list[str]], now: int) -> tuple[int, int]:
    has_dates = "from" in values or "to" in values
    if has_dates:
        if "days" in values or "at" in values:
            raise BadParameter("give either from/to or days/at, not both")
        if "from" not in values or "to" not in values:
            raise BadParameter("from and to go together: both are UTC days, both included")
        first, last = _day(values["from"][0], "from"), _day(values["to"][0], "to")
        if last < first:
            raise BadParameter(
                f"to ({format_moment(last)[:10]}) is before from ({format_moment(first)[:10]})"
            )
        days = (last - first) // DAY + 1
        if days > MAX_DAYS:
            raise BadParameter(f"from .. to spans {days} days; at most {MAX_DAYS}")
        return last + DAY, days
    at = now
    if "at" in values:
        try:
            at = parse_moment(values["at"][0], option="at")
        except UsageError as exc:
            raise BadParameter(str(exc)) from None
    days = DEFAULT_DAYS
    if "days" in values:
        text = values["days"][0]
        if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
            raise BadParameter(f"days: {_show(text)} is not a number of days from 1 to {MAX_DAYS}")
        days = int(text)
    return at, days


def _day(text: str, name: str) -> int:
    if not _DATE.match(text):
        raise BadParameter(f"{name}: {_show(text)} is not a UTC day; use YYYY-MM-DD")
    try:
        return parse_moment(text, option=name)
    except UsageError as exc:
        raise BadParameter(str(exc)) from None


def _show(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def query_string(pairs: Sequence[tuple[str, str]]) -> str:
    return urlencode(list(pairs))
