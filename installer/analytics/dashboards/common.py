"""What every dashboard shares: its question (moment, window, scope) and small helpers.

Dashboards are pure functions from the store's grouped counts (`installer.analytics.query`)
to plain dataclasses; the numbers are exact, rounding happens only when they are shown or
serialised (SPEC 6, "Definitions").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from installer.analytics.query import Counts, Scope, present, sha_extent
from installer.analytics.settings import Categories
from installer.analytics.timeutil import DAY, HOUR, Window
from installer.store.event_store import EventStore

DEFAULT_DAYS = 30
HOURLY_UP_TO_DAYS = 7  # time charts of ranges up to 7 days count per hour, longer per day
K = TypeVar("K")


@dataclass(frozen=True)
class DashboardQuery:
    """The question a dashboard answers: the last `days` days at `at`, within `scope`."""

    at: int
    days: int = DEFAULT_DAYS
    scope: Scope = field(default_factory=Scope)
    categories: Categories = field(default_factory=Categories)  # production/CI names

    @property
    def window(self) -> Window:
        return Window.last(self.at, self.days * DAY)


@dataclass(frozen=True)
class Labelled:
    """One row of a table: a label (an arch, an OS, a component, ...) and its counts."""

    label: str | None  # None: the events did not carry this dimension
    counts: Counts


def days_of(window: Window) -> list[int]:
    """UTC midnights of every day the window touches, in order (partial days included)."""
    if window.end <= window.start:
        return []
    first = (window.start // DAY) * DAY
    last = ((window.end - 1) // DAY) * DAY
    return list(range(first, last + DAY, DAY))


def add(a: Counts, b: Counts) -> Counts:
    return Counts(a.events + b.events, a.successes + b.successes, a.installations + b.installations)


def rollup(rows: Iterable[tuple[K, Counts]]) -> dict[K, Counts]:
    """Sum counts per key (the groups of one SQL query folded to a coarser grouping)."""
    sums: dict[K, list[int]] = {}  # plain integers: no Counts per row (a year has 10^4)
    for key, value in rows:
        found = sums.get(key)
        if found is None:
            sums[key] = [value.events, value.successes, value.installations]
        else:
            found[0] += value.events
            found[1] += value.successes
            found[2] += value.installations
    return {key: Counts(*found) for key, found in sums.items()}


def label_key(label: object) -> str:
    """Sort key that puts a missing dimension (None) last among equals."""
    return "\uffff" if label is None else str(label)


def by_events(totals: Mapping[K, Counts]) -> list[Labelled]:
    """Rows sorted by events (most first), then label: the order of every "per X" table."""
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1].events, label_key(kv[0])))
    return [Labelled(None if k is None else str(k), v) for k, v in ordered]


@dataclass(frozen=True)
class Deployment:
    """A SHA's first event (in the query's categories, over the whole store): a marker on
    every time chart, so a change in the lines can be read against what was deployed."""

    sha: str
    first_seen: int


def deployments(store: EventStore, query: DashboardQuery) -> list[Deployment]:
    """The SHAs whose first event falls inside the window, oldest first. Only SHAs with
    events in the window can have started in it; each one's first event is an index seek."""
    window = query.window
    scope = Scope(query.scope.categories)
    found = []
    for (sha,) in present(store, window, scope, by=["sha"]):
        if sha is None:
            continue
        extent = sha_extent(store, str(sha), window.end, scope)
        if extent is not None and extent[0] >= window.start:
            found.append(Deployment(str(sha), extent[0]))
    return sorted(found, key=lambda d: (d.first_seen, d.sha))


def bucket_seconds(query: DashboardQuery) -> int:
    """Hourly buckets for ranges up to HOURLY_UP_TO_DAYS days (a 6-hour outage is a dip,
    not a shaved day), daily ones beyond."""
    return HOUR if query.days <= HOURLY_UP_TO_DAYS else DAY


def buckets_of(window: Window, size: int) -> list[int]:
    """Starts of every `size`-second bucket (aligned to UTC) the window touches."""
    if window.end <= window.start:
        return []
    first = (window.start // size) * size
    last = ((window.end - 1) // size) * size
    return list(range(first, last + size, size))
