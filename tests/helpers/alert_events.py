"""Literal events for report and alert tests: one call per event, stored in a real SQLite file."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable
from typing import Any

from installer.analytics.timeutil import parse_moment
from installer.events.normalise import Event, hit_identity, normalise_hit
from installer.store.event_store import EventStore

T = parse_moment("2026-11-23T12:00:00Z")  # a Monday
_serial = itertools.count()


def ev(
    ts: int,
    component: str = "homebrew_install",
    ok: bool = True,
    *,
    arch: str | None = "arm64",
    os: str | None = "Darwin24.1.0",
    sha: str | None = "abc1234",
    run: str | None = None,
    category: str = "Installer",
    error: str = "network_error",
) -> Event:
    """One event; every call is a distinct hit (its own run id unless `run` is given)."""
    params = {
        "e_c": category,
        "e_a": "Event",
        "e_n": component if ok else f"{component}_{error}",
        "e_v": "1" if ok else "0",
        "cdt": str(ts),
        "dimension6": run or f"run{next(_serial)}",
        "n": str(next(_serial)),  # keeps identical-looking events distinct
    }
    for slot, value in (("dimension1", os), ("dimension2", arch), ("dimension3", sha)):
        if value is not None:
            params[slot] = value
    event = normalise_hit(params, received_at=None)
    # A test may give one run several events of one step (each to be counted); the store
    # identifies such events by (run, e_n) and would keep one, so these keep the identity of
    # all their parameters.
    return dataclasses.replace(event, ident=hit_identity(params))


def many(
    n: int, ts: int, component: str = "homebrew_install", ok: bool = True, **kw: Any
) -> list[Event]:
    return [ev(ts, component, ok, **kw) for _ in range(n)]


def mixed(
    ts: int, ok: int, failed: int, component: str = "homebrew_install", **kw: Any
) -> list[Event]:
    return many(ok, ts, component, True, **kw) + many(failed, ts, component, False, **kw)


def put(store: EventStore, *groups: Iterable[Event]) -> EventStore:
    store.insert([e for g in groups for e in g])
    return store
