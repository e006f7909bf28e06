"""The alert rules model: each kind's settings declared once, as data (SPEC 6, "Alerts").

The table below drives YAML validation, the defaults, the shipped `alerts.yaml` and the
runbook's list of settings. A rule in YAML names its `kind` (default: its `id`) and may
override any setting; severities, windows, thresholds and minimum counts are all settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from installer.analytics.timeutil import DAY, HOUR
from installer.events.schema import PRODUCTION

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)

DURATION = "duration"  # seconds, written 2h / 7d in YAML
COUNT = "count"  # a whole number of events or failures
PERCENT = "percent"  # a rate in percent, compared exactly
POINTS = "pp"  # a difference of rates in percentage points


@dataclass(frozen=True)
class Setting:
    unit: str
    default: float
    meaning: str


# kind -> setting name -> Setting. The comparison is in the name ("more_than", "below",
# "at_least"), so a reader of alerts.yaml sees exactly what the rule does.
RULE_KINDS: Mapping[str, Mapping[str, Setting]] = {
    "success_rate_low": {
        "window": Setting(DURATION, 2 * HOUR, "the window [T - window, T)"),
        "events_more_than": Setting(COUNT, 10, "fires only with more events than this"),
        "success_rate_below": Setting(PERCENT, 75, "fires when the success rate is below"),
        "clear_success_rate_at_least": Setting(
            PERCENT, 85, "clear: the window has no events or a success rate at least this"
        ),
    },
    "new_failure_pattern": {
        "baseline_from": Setting(DURATION, 28 * HOUR, "baseline window starts at T - this"),
        "recent": Setting(DURATION, 4 * HOUR, "recent window [T - recent, T)"),
        "baseline_events_at_least": Setting(COUNT, 10, "baseline needs at least these events"),
        "baseline_success_rate_above": Setting(PERCENT, 95, "baseline rate must be above"),
        "recent_events_at_least": Setting(COUNT, 5, "recent window needs at least these"),
        "recent_success_rate_below": Setting(PERCENT, 80, "recent rate must be below"),
        "clear_success_rate_at_least": Setting(
            PERCENT, 95, "clear: over the recent window no events or a rate at least this"
        ),
    },
    "high_failure_volume": {
        "window": Setting(DURATION, HOUR, "the window [T - window, T)"),
        "failures_more_than": Setting(COUNT, 20, "fires with more failures than this"),
        "clear_failures_at_most": Setting(COUNT, 10, "clear: at most this many failures"),
    },
    "arch_failure_gap": {
        "window": Setting(DURATION, 24 * HOUR, "the window [T - window, T)"),
        "events_at_least": Setting(COUNT, 20, "an architecture qualifies with at least"),
        "gap_more_than": Setting(POINTS, 15, "highest minus lowest failure rate, in pp"),
        "clear_gap_at_most": Setting(
            POINTS, 10, "clear: the key's failure rate exceeds the lowest by at most, in pp"
        ),
    },
    "no_data": {
        "window": Setting(DURATION, 6 * HOUR, "fires with no events in [T - window, T)"),
        "compare_to": Setting(DURATION, 7 * DAY, "... while the same hours this long before"),
        "compare_events_at_least": Setting(COUNT, 20, "... had at least this many events"),
        "clear_window": Setting(DURATION, HOUR, "clear: events in [T - this, T)"),
        "clear_events_at_least": Setting(COUNT, 1, "clear: at least this many events there"),
    },
    "commit_regression": {
        "new_within": Setting(DURATION, 24 * HOUR, "SHAs first seen in [T - this, T)"),
        "baseline": Setting(DURATION, 7 * DAY, "previous SHA measured over [f - this, f)"),
        "events_at_least": Setting(COUNT, 20, "the new SHA needs at least these in [f, T)"),
        "baseline_events_at_least": Setting(COUNT, 20, "the previous SHA needs at least"),
        "drop_more_than": Setting(POINTS, 10, "new SHA's rate below the previous one, in pp"),
        "clear_window": Setting(DURATION, 24 * HOUR, "clear: the SHA's events in [T - this, T)"),
        "clear_events_at_least": Setting(
            COUNT, 20, "clear: with events there, at least this many are needed"
        ),
        "clear_drop_at_most": Setting(
            POINTS, 5, "clear: its rate is at most this below the previous SHA's, in pp"
        ),
    },
}

DEFAULT_SEVERITY: Mapping[str, str] = {
    "success_rate_low": CRITICAL,
    "new_failure_pattern": CRITICAL,
    "high_failure_volume": CRITICAL,
    "arch_failure_gap": WARNING,
    "commit_regression": WARNING,
    "no_data": CRITICAL,
}

# What the key of a firing is (SPEC 6); None = a keyless rule (`"key": null`).
KEY_OF: Mapping[str, str | None] = {
    "success_rate_low": None,
    "new_failure_pattern": "component",
    "high_failure_volume": None,
    "arch_failure_gap": "arch",
    "commit_regression": "sha",
    "no_data": None,
}

DEFAULT_REPEAT_INTERVAL = 4 * HOUR
DEFAULT_RUNBOOK_URL = "https://github.com/dtu-install/dtu-install/blob/main/docs/runbook.md"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    severity: str
    settings: Mapping[str, float]
    repeat_interval: int = DEFAULT_REPEAT_INTERVAL
    enabled: bool = True

    def __getitem__(self, name: str) -> float:
        return self.settings[name]

    def seconds(self, name: str) -> int:
        return int(self.settings[name])


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    categories: tuple[str, ...] = (PRODUCTION,)
    runbook_url: str = DEFAULT_RUNBOOK_URL
    source: str = "<defaults>"
    dashboard_url: str | None = None  # linked from every notification when set

    def runbook_link(self, rule: Rule) -> str:
        # The runbook has one section per rule kind; GitHub anchors are the heading text.
        return f"{self.runbook_url}#{rule.kind}"

    @property
    def enabled(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.enabled)


def default_rule(kind: str) -> Rule:
    return Rule(
        id=kind,
        kind=kind,
        severity=DEFAULT_SEVERITY[kind],
        settings={name: s.default for name, s in RULE_KINDS[kind].items()},
    )


def default_rules() -> RuleSet:
    return RuleSet(tuple(default_rule(kind) for kind in RULE_KINDS))
