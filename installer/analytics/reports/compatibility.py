"""`report compatibility`: the last 30 days against the 30 before, for the product team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from installer.analytics.query import Scope, counts
from installer.analytics.reports.common import (
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
    share,
    share_changes,
    window_json,
)
from installer.analytics.timeutil import DAY, Window, format_moment, round_rate
from installer.store.event_store import EventStore

PERIOD = 30 * DAY
NEW_OS_LOOKBACK = 90 * DAY  # "new": not seen in the 90 days before the window
DEFAULT_DEPRECATION_BELOW = 2.0  # % of installations


@dataclass(frozen=True)
class CompatibilityReport:
    at: int
    scope: Scope
    deprecation_below: float
    new_os_versions: list[str] | None  # None: no events before the window to compare with
    architectures: list[dict[str, Any]]
    os_versions: list[dict[str, Any]]
    os_arch: list[dict[str, Any]]

    name = "compatibility"

    @property
    def title(self) -> str:
        return f"dtu-install compatibility, 30 days to {format_moment(self.at)}"

    @property
    def period(self) -> list[str]:
        return period(
            self.at,
            [
                ("Window", Window.last(self.at, PERIOD)),
                ("Previous 30 days", Window(self.at - 2 * PERIOD, self.at - PERIOD)),
            ],
            self.scope,
        )

    @property
    def no_earlier_note(self) -> str:
        start = self.at - PERIOD
        return no_earlier_data(Window(start - NEW_OS_LOOKBACK, start))

    @property
    def deprecation_candidates(self) -> list[dict[str, Any]]:
        return [
            {k: row[k] for k in ("os", "installations", "share", "success_rate")}
            for row in self.os_versions
            if row["_share"] is not None and row["_share"] < self.deprecation_below
        ]

    def serialize(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "at": format_moment(self.at),
            "window": window_json(Window.last(self.at, PERIOD)),
            "previous_window": window_json(Window(self.at - 2 * PERIOD, self.at - PERIOD)),
            "scope": scope_json(self.scope),
            **new_os_json(self.new_os_versions, self.no_earlier_note),
            "architectures": self.architectures,
            "os_versions": [
                {k: v for k, v in r.items() if k != "_share"} for r in self.os_versions
            ],
            "os_arch": self.os_arch,
            "deprecation_below": self.deprecation_below,
            "deprecation_candidates": self.deprecation_candidates,
        }

    def tables(self) -> list[Table]:
        data = self.serialize()
        return [
            new_os_table("New macOS versions", self.new_os_versions, self.no_earlier_note),
            Table(
                "Installations by architecture",
                ["arch", "installations", "share %", "previous share %", "change pp"],
                [
                    [
                        r["arch"],
                        r["installations"],
                        fmt(r["share"]),
                        fmt(r["previous_share"]),
                        fmt(r["change_pp"]),
                    ]
                    for r in data["architectures"]
                ],
            ),
            Table(
                "Success rate by OS version",
                ["os", "events", "installations", "share %", "success %"],
                [
                    [
                        r["os"],
                        r["events"],
                        r["installations"],
                        fmt(r["share"]),
                        fmt(r["success_rate"]),
                    ]
                    for r in data["os_versions"]
                ],
            ),
            Table(
                "Success rate by OS x architecture",
                ["os", "arch", "events", "success %"],
                [
                    [r["os"], r["arch"], r["events"], fmt(r["success_rate"])]
                    for r in data["os_arch"]
                ],
            ),
            Table(
                f"Deprecation candidates (under {self.deprecation_below:g}% of installations)",
                ["os", "installations", "share %", "success %"],
                [
                    [r["os"], r["installations"], fmt(r["share"]), fmt(r["success_rate"])]
                    for r in data["deprecation_candidates"]
                ],
                "none" if not data["deprecation_candidates"] else "",
            ),
        ]


def compatibility(
    store: EventStore,
    at: int,
    scope: Scope,
    deprecation_below: float = DEFAULT_DEPRECATION_BELOW,
) -> CompatibilityReport:
    window = Window.last(at, PERIOD)
    previous = Window(at - 2 * PERIOD, window.start)
    now, now_by = per_run(store, window, scope, ["os", "arch"])
    before, before_by = per_run(store, previous, scope, ["arch"])
    by_os = now_by["os"]
    lookback = Window(window.start - NEW_OS_LOOKBACK, window.start)
    new_os = new_os_versions(store, by_os, lookback, scope)
    architectures = [
        {
            "arch": a.label,
            "installations": a.now,
            "share": round_rate(a.now_share),
            "previous_share": round_rate(a.before_share),
            "change_pp": round_rate(pp(a.now_share, a.before_share)),
        }
        for a in share_changes(now, now_by["arch"], before, before_by["arch"])
    ]

    os_versions = []
    for (os_name,), c in sorted(by_os.items(), key=lambda kc: (-kc[1].events, label(kc[0][0]))):
        os_share = share(c.installations, now.installations)
        os_versions.append(
            {
                "os": label(os_name),
                "events": c.events,
                "installations": c.installations,
                "share": round_rate(os_share),
                "success_rate": round_rate(c.success_rate),
                "_share": os_share,  # exact, for the threshold; not serialized
            }
        )
    by_os_arch = counts(store, window, scope, by=["os", "arch"])
    os_arch = [
        {
            "os": label(o),
            "arch": label(a),
            "events": c.events,
            "success_rate": round_rate(c.success_rate),
        }
        for (o, a), c in sorted(
            by_os_arch.items(), key=lambda kc: (label(kc[0][0]), label(kc[0][1]))
        )
    ]
    return CompatibilityReport(
        at, scope, deprecation_below, new_os, architectures, os_versions, os_arch
    )
