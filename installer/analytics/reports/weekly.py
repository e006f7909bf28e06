"""`report weekly`: this week `[T-7d, T)` against last week `[T-14d, T-7d)` (SPEC 6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from installer.analytics.query import Counts, Scope, counts
from installer.analytics.reports.common import (
    Change,
    Table,
    fmt,
    label,
    new_os_json,
    new_os_table,
    new_os_versions,
    no_earlier_data,
    per_run,
    period,
    pp,
    scope_json,
    share_changes,
    window_json,
)
from installer.analytics.timeutil import DAY, Window, format_moment, round_rate
from installer.store.event_store import EventStore

WEEK = 7 * DAY
TOP_FAILING = 3
NEW_OS_LOOKBACK = 90 * DAY  # "new" = not seen in [T-90d, T-7d)


@dataclass(frozen=True)
class WeeklyReport:
    at: int
    scope: Scope
    installations: Change
    events: Change
    success_rate: tuple[float | None, float | None]  # this week, last week
    top_failing: list[tuple[str, Counts]]
    new_os_versions: list[str] | None  # None: no events before the week to compare with
    commits: list[tuple[str, Counts]]
    architectures: list[tuple[str, float | None, float | None, int, int]]

    name = "weekly"

    @property
    def title(self) -> str:
        return f"dtu-install weekly report, week ending {format_moment(self.at)}"

    @property
    def period(self) -> list[str]:
        return period(
            self.at,
            [
                ("This week", Window.last(self.at, WEEK)),
                ("Last week", Window(self.at - 2 * WEEK, self.at - WEEK)),
            ],
            self.scope,
        )

    @property
    def no_earlier_note(self) -> str:
        return no_earlier_data(Window(self.at - NEW_OS_LOOKBACK, self.at - WEEK))

    def serialize(self) -> dict[str, Any]:
        this, last = self.success_rate
        return {
            "report": self.name,
            "at": format_moment(self.at),
            "scope": scope_json(self.scope),
            "this_week": window_json(Window.last(self.at, WEEK)),
            "last_week": window_json(Window(self.at - 2 * WEEK, self.at - WEEK)),
            "installations": self.installations.serialize("this_week", "last_week"),
            "events": self.events.serialize("this_week", "last_week"),
            "success_rate": {
                "this_week": round_rate(this),
                "last_week": round_rate(last),
                "change_pp": round_rate(pp(this, last)),
            },
            "top_failing_components": [
                {
                    "component": name,
                    "failures": c.failures,
                    "events": c.events,
                    "success_rate": round_rate(c.success_rate),
                }
                for name, c in self.top_failing
            ],
            **new_os_json(self.new_os_versions, self.no_earlier_note),
            "commits": [
                {"sha": sha, "events": c.events, "success_rate": round_rate(c.success_rate)}
                for sha, c in self.commits
            ],
            "architectures": [
                {
                    "arch": arch,
                    "this_week_share": round_rate(now),
                    "last_week_share": round_rate(before),
                    "change_pp": round_rate(pp(now, before)),
                    "this_week_installations": n_now,
                    "last_week_installations": n_before,
                }
                for arch, now, before, n_now, n_before in self.architectures
            ],
        }

    def tables(self) -> list[Table]:
        data = self.serialize()
        inst, ev, rate = data["installations"], data["events"], data["success_rate"]
        return [
            Table(
                "This week vs last week",
                ["", "this week", "last week", "change", "change %"],
                [
                    [
                        "installations",
                        inst["this_week"],
                        inst["last_week"],
                        inst["change"],
                        fmt(inst["change_percent"]),
                    ],
                    [
                        "events",
                        ev["this_week"],
                        ev["last_week"],
                        ev["change"],
                        fmt(ev["change_percent"]),
                    ],
                    [
                        "success rate %",
                        fmt(rate["this_week"]),
                        fmt(rate["last_week"]),
                        _pp(rate["change_pp"]),
                        "",
                    ],
                ],
            ),
            Table(
                f"Top {TOP_FAILING} failing components",
                ["component", "failures", "events", "success %"],
                [
                    [r["component"], r["failures"], r["events"], fmt(r["success_rate"])]
                    for r in data["top_failing_components"]
                ],
                "no failures this week" if not self.top_failing else "",
            ),
            new_os_table("New OS versions", self.new_os_versions, self.no_earlier_note),
            Table(
                "Commits this week",
                ["sha", "events", "success %"],
                [[r["sha"], r["events"], fmt(r["success_rate"])] for r in data["commits"]],
            ),
            Table(
                "Installations by architecture (share %)",
                ["arch", "this week", "last week", "change pp"],
                [
                    [
                        r["arch"],
                        fmt(r["this_week_share"]),
                        fmt(r["last_week_share"]),
                        fmt(r["change_pp"]),
                    ]
                    for r in data["architectures"]
                ],
            ),
        ]


def _pp(value: float | None) -> str:
    # Not "no data pp": a unit on a missing value read as if there were a number.
    return fmt(value) if value is None else f"{fmt(value)} pp"


def weekly(store: EventStore, at: int, scope: Scope) -> WeeklyReport:
    this_week = Window.last(at, WEEK)
    last_week = Window(at - 2 * WEEK, at - WEEK)
    now, now_by = per_run(store, this_week, scope, ["arch"])
    before, before_by = per_run(store, last_week, scope, ["arch"])

    by_component = counts(store, this_week, scope, by=["component"])
    failing = [(label(k[0]), c) for k, c in by_component.items() if c.failures > 0]
    failing.sort(key=lambda kc: (-kc[1].failures, kc[0]))  # ties by name

    seen_now = counts(store, this_week, scope, by=["os"])
    lookback = Window(at - NEW_OS_LOOKBACK, this_week.start)

    commits = [(label(k[0]), c) for k, c in counts(store, this_week, scope, by=["sha"]).items()]
    commits.sort(key=lambda kc: (-kc[1].events, kc[0]))

    architectures = [
        (a.label, a.now_share, a.before_share, a.now, a.before)
        for a in share_changes(now, now_by["arch"], before, before_by["arch"])
    ]
    return WeeklyReport(
        at=at,
        scope=scope,
        installations=Change(now.installations, before.installations),
        events=Change(now.events, before.events),
        success_rate=(now.success_rate, before.success_rate),
        top_failing=failing[:TOP_FAILING],
        new_os_versions=new_os_versions(store, seen_now, lookback, scope),
        commits=commits,
        architectures=architectures,
    )
