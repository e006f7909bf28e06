"""A small literal event list whose dashboard numbers are computed by hand in the tests.

T = 2026-11-23T12:00:00Z, `--days 3`: the window is [2026-11-20 12:00, 2026-11-23 12:00),
touching the days Nov 20, 21, 22, 23. Numbered as the tests refer to them.
"""

from __future__ import annotations

from pathlib import Path

from installer.analytics.timeutil import DAY, parse_moment
from installer.events.normalise import normalise_hit
from installer.store.event_store import EventStore

T = parse_moment("2026-11-23T12:00:00Z")
DAYS = 3
NOV20, NOV21, NOV22, NOV23 = (parse_moment(f"2026-11-{d}T00:00:00Z") for d in (20, 21, 22, 23))
A, B = "aaa1111", "bbb2222"

# number: (ts, category, e_n, e_v, os, arch, sha, action)
EVENTS: dict[int, tuple[int, str, str, str, str, str, str, str]] = {
    1: (T - DAYS * DAY, "Installer", "brew_install", "1", "Darwin14.1", "arm64", A, "Event"),
    2: (T - DAYS * DAY - 1, "Installer", "brew_install", "1", "Darwin14.1", "arm64", A, "Event"),
    3: (T, "Installer", "brew_install", "1", "Darwin14.1", "arm64", A, "Event"),
    4: (
        NOV21 + 10 * 3600,
        "Installer",
        "brew_install_network_error",
        "0",
        "Darwin13.6",
        "x86_64",
        A,
        "Event",
    ),
    5: (
        NOV21 + 10 * 3600 + 300,
        "Installer",
        "conda_install",
        "1",
        "Darwin13.6",
        "x86_64",
        A,
        "Skipped",
    ),
    6: (
        NOV21 + 11 * 3600,
        "Installer",
        "conda_install_disk_error",
        "0",
        "Darwin14.1",
        "arm64",
        B,
        "Event",
    ),
    7: (NOV22 + 9 * 3600, "Installer", "conda_install", "1", "Darwin14.1", "arm64", B, "Event"),
    8: (NOV22 + 9 * 3600 + 600, "Installer_CI", "vscode", "1", "Darwin14.1", "arm64", B, "Event"),
    9: (NOV22 + 9 * 3600 + 1200, "Installer_CI", "vscode", "0", "Darwin13.6", "x86_64", B, "Event"),
    10: (NOV23 + 8 * 3600, "Installer", "brew_install", "1", "Darwin15.0", "arm64", A, "Event"),
    11: (NOV23 + 9 * 3600, "Installer_TEST", "vscode", "1", "Darwin15.0", "arm64", A, "Event"),
    12: (
        parse_moment("2026-11-16T10:00:00Z"),
        "Installer",
        "brew_install",
        "1",
        "Darwin14.1",
        "arm64",
        A,
        "Event",
    ),
    13: (NOV22 + 12 * 3600, "Installer", "brew_install", "1", "", "", "", "Event"),
}


def make_store(path: Path) -> Path:
    events = []
    for number, (ts, category, name, value, os_name, arch, sha, action) in EVENTS.items():
        params = {
            "e_c": category,
            "e_a": action,
            "e_n": name,
            "e_v": value,
            "cdt": str(ts),
            "dimension1": os_name,
            "dimension2": arch,
            "dimension3": sha,
            "dimension6": f"run{number}",
        }
        events.append(normalise_hit(params, received_at=None))
    with EventStore(path) as store:
        assert store.insert(events) == len(EVENTS)
    return path
