"""Backtest: the rules evaluated at T = A, A + every, ... up to and including B.

Thresholds can be tried on history before anyone is paged (SPEC 6). Nothing is sent and
no alert state changes.
"""

from __future__ import annotations

from collections.abc import Iterator

from installer.analytics.alerts.evaluate import evaluate
from installer.analytics.alerts.firing import Firing
from installer.analytics.alerts.rules import RuleSet
from installer.analytics.store import EventStore
from installer.errors import UsageError

MAX_STEPS = 100_000  # a year at 5-minute steps; more is almost surely a typo in --every


def moments(start: int, end: int, every: int) -> Iterator[int]:
    if every <= 0:
        raise UsageError("--every: must be a positive duration, e.g. 1h")
    if end < start:
        raise UsageError("--to must not be before --from")
    if (end - start) // every + 1 > MAX_STEPS:
        raise UsageError(f"--every: more than {MAX_STEPS} evaluations; use a longer step")
    at = start
    while at <= end:
        yield at
        at += every


def backtest(store: EventStore, rules: RuleSet, start: int, end: int, every: int) -> list[Firing]:
    firings: list[Firing] = []
    for at in moments(start, end, every):
        firings.extend(evaluate(store, rules, at))
    return firings
