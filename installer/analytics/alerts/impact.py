"""What an incident touched, for its notifications: where it fails (with the healthy
architectures and OS versions beside), how many students' runs, which SHAs carry the
failures, since when. Read over `[started - the rule's window, T)`: the window that made it
fire first, through now (or its resolution).

The focus follows the key: a component (`new_failure_pattern`), an architecture
(`arch_failure_gap`), a SHA (`commit_regression`); keyless rules look at everything. A
commit that breaks one step of ten is tied to the commit here: the component's failures
are counted per SHA (share of the failures), whatever the commit's overall rate does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from installer.analytics.alerts.incidents import Incident
from installer.analytics.alerts.rules import Rule
from installer.analytics.query import Counts, Scope, counts, failing_runs
from installer.analytics.timeutil import Window
from installer.store.event_store import EventStore

# The rule setting whose window the impact starts with (before `started`).
WINDOW_SETTING: Mapping[str, str] = {
    "success_rate_low": "window",
    "new_failure_pattern": "recent",
    "high_failure_volume": "window",
    "arch_failure_gap": "window",
    "commit_regression": "new_within",
    "no_data": "window",
}
FOCUS: Mapping[str, str] = {
    "new_failure_pattern": "component",
    "arch_failure_gap": "arch",
    "commit_regression": "sha",
}


@dataclass(frozen=True)
class Impact:
    window: Window
    focus: str | None  # component | arch | sha, or None
    total: Counts = field(default_factory=Counts)
    by_arch: dict[str, Counts] = field(default_factory=dict)  # every arch, healthy ones too
    by_os: dict[str, Counts] = field(default_factory=dict)  # within the focus
    by_component: dict[str, Counts] = field(default_factory=dict)  # within the focus
    by_sha: dict[str, Counts] = field(default_factory=dict)  # every SHA, healthy ones too
    runs_failed: int = 0  # distinct run ids with at least one failure
    first_failure: int | None = None


def _add(into: dict[str, Counts], name: object, c: Counts) -> None:
    key = "unknown" if name is None else str(name)
    old = into.get(key, Counts())
    into[key] = Counts(old.events + c.events, old.successes + c.successes)


def impact(store: EventStore, rule: Rule, incident: Incident, at: int, scope: Scope) -> Impact:
    length = rule.seconds(WINDOW_SETTING.get(rule.kind, "window"))
    window = Window(incident.started - length, at)
    focus = FOCUS.get(rule.kind)
    key = incident.key
    rows = counts(store, window, scope, by=["component", "os", "arch", "sha"])
    total = Counts()
    by_arch: dict[str, Counts] = {}
    by_os: dict[str, Counts] = {}
    by_component: dict[str, Counts] = {}
    by_sha: dict[str, Counts] = {}
    for (component, os_name, arch, sha), c in rows.items():
        if focus == "component" and component != key:
            continue
        in_arch = focus != "arch" or arch == key
        in_sha = focus != "sha" or sha == key
        if in_sha:
            _add(by_arch, arch, c)  # all architectures: the healthy ones are the comparison
        if in_arch and in_sha:
            total = Counts(total.events + c.events, total.successes + c.successes)
            _add(by_os, os_name, c)
            _add(by_component, component, c)
        if in_arch:
            _add(by_sha, sha, c)
    arch_scope = Scope(scope.categories, key, scope.os) if focus == "arch" else scope
    runs, first = failing_runs(
        store,
        window,
        arch_scope,
        component=key if focus == "component" else None,
        sha=key if focus == "sha" else None,
    )
    return Impact(window, focus, total, by_arch, by_os, by_component, by_sha, runs, first)
