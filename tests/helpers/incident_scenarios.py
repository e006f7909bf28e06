"""Steady production traffic with a planted problem, for the incident scenarios: every
10 minutes one event per (component, architecture), so every window has a known volume."""

from __future__ import annotations

from collections.abc import Callable

from installer.analytics.timeutil import DAY, HOUR, parse_moment
from installer.events.normalise import Event
from tests.helpers.alert_events import ev

START = parse_moment("2026-11-02T00:00:00Z")  # a Monday
COMPONENTS = ("homebrew_install", "miniforge_install", "vscode_install")
ARCHS = ("arm64", "x86_64")
OS_OF = {"arm64": "Darwin15.1.0", "x86_64": "Darwin14.7.1"}
STEP = 600  # seconds between events of one (component, arch)

# The 6-hour outage: vscode_install fails on Apple silicon from 10:00 to 16:00 on day 8.
OUTAGE_FROM = START + 8 * DAY + 10 * HOUR
OUTAGE_TO = OUTAGE_FROM + 6 * HOUR
# The 14-hour gap: nothing arrives from 10:00 to 24:00 on day 8.
GAP_FROM = START + 8 * DAY + 10 * HOUR
GAP_TO = GAP_FROM + 14 * HOUR


def traffic(
    days: int,
    fails: Callable[[int, str, str], bool] = lambda ts, c, a: False,
    skip: Callable[[int], bool] = lambda ts: False,
    sha: Callable[[int], str] = lambda ts: "base001",
) -> list[Event]:
    events: list[Event] = []
    for ts in range(START, START + days * DAY, STEP):
        if skip(ts):
            continue
        for component in COMPONENTS:
            for arch in ARCHS:
                ok = not fails(ts, component, arch)
                events.append(ev(ts, component, ok, arch=arch, os=OS_OF[arch], sha=sha(ts)))
    return events


def outage(days: int = 10) -> list[Event]:
    def fails(ts: int, component: str, arch: str) -> bool:
        return OUTAGE_FROM <= ts < OUTAGE_TO and component == "vscode_install" and arch == "arm64"

    # The last deployment before the outage carries it: the notices must name it.
    return traffic(days, fails, sha=lambda ts: "new0002" if ts >= START + 7 * DAY else "base001")


def gap(days: int = 10) -> list[Event]:
    return traffic(days, skip=lambda ts: GAP_FROM <= ts < GAP_TO)


# A commit that breaks one step of ten (issue 15, "Why"): new0002 is deployed on day 8 at
# 00:00 and four runs in five use it from then on; on it, course_packages fails 9 times in 20.
STEPS = (*(f"step{i:02d}" for i in range(9)), "course_packages")
DEPLOYED = START + 8 * DAY
BROKEN = "course_packages"


def one_step_of_ten() -> list[Event]:
    """Two days before the deployment, one after."""
    events: list[Event] = []
    n = 0
    for ts in range(DEPLOYED - 2 * DAY, DEPLOYED + DAY, STEP):
        for lane in range(5):  # five runs every 10 minutes
            sha = "new0002" if ts >= DEPLOYED and lane > 0 else "base001"
            run = f"run-{ts}-{lane}"
            for component in STEPS:
                n += 1
                ok = not (sha == "new0002" and component == BROKEN and n % 20 < 9)
                events.append(ev(ts + lane, component, ok, run=run, sha=sha, os=OS_OF["arm64"]))
    return events
