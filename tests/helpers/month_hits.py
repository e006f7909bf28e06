"""A month of installer events as the tracker sends them, and as Piwik PRO's raw data API
gives them back: the same events through the collector, `analytics import` and `pull`.

Hits are built by the tracker's own `installer.telemetry.hits.hit_params` (SPEC 4 order and
formats); `piwik_rows` turns them into rows of the documented raw data API (event columns,
`event_custom_dimension_<N>`, `visitor_id`), as Piwik PRO stores what it received.
"""

from __future__ import annotations

import random
from typing import Any

from installer.events.outcome import ErrorCategory, Status, StepOutcome
from installer.telemetry.hits import RunContext, decode, encode, hit_params

SITE = "0f4c6a2e-1b3d-4e5f-9a8b-7c6d5e4f3a2b"
STEPS = ("xcode_clt", "homebrew_install", "miniforge_download", "conda_init", "vscode_install")
MONTH_START = 1_793_491_200  # 2026-11-01T00:00:00Z
DAY = 86_400


def month_hits(runs: int = 40, seed: int = 16, start: int = MONTH_START) -> list[str]:
    """Encoded hits (`?idsite=...`) of `runs` installations spread over 30 days."""
    rng = random.Random(seed)
    hits: list[str] = []
    for number in range(runs):
        ctx = RunContext(
            site_id=SITE,
            category=rng.choice(("Installer", "Installer", "Installer", "Installer_CI")),
            os_label=rng.choice(("Darwin14.2.1", "Darwin15.1.1", "Darwin13.6.0")),
            arch=rng.choice(("arm64", "x86_64")),
            sha=rng.choice(("abc1234", "def5678")),
            run_id=f"{rng.getrandbits(128):032x}",
            visitor_id=f"{rng.getrandbits(64):016x}",
            dimensions={"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 6},
        )
        moment = float(start + rng.randrange(30 * DAY - 3600))
        for step in STEPS:
            roll = rng.random()
            status = (
                Status.SKIPPED if roll < 0.3 else Status.FAILED if roll < 0.45 else Status.SUCCESS
            )
            duration = round(rng.uniform(0.1, 90.0), 3)
            moment += duration
            outcome = StepOutcome(
                step=step,
                recipe=step,
                status=status,
                duration=duration,
                category=rng.choice(list(ErrorCategory)) if status is Status.FAILED else None,
                finished_at=moment,
            )
            params = hit_params(outcome, ctx, now=moment)
            assert params is not None
            hits.append(encode(params))
            if status is Status.FAILED:
                break  # a failed step ends the run, as the runner does
        _ = number
    return hits


def piwik_rows(hits: list[str]) -> list[dict[str, Any]]:
    """The hits as Piwik PRO's raw data API rows (`timestamp` in UTC seconds for the fake)."""
    import calendar
    import time

    rows = []
    for hit in hits:
        params = decode(hit)
        row: dict[str, Any] = {
            "timestamp": calendar.timegm(time.strptime(params["cdt"], "%Y-%m-%d %H:%M:%S")),
            "visitor_id": params["_id"],
            "custom_event_category": params["e_c"],
            "custom_event_action": params["e_a"],
            "custom_event_name": params["e_n"],
            # Piwik PRO keeps the event value as a float (columns__dimensions.rst: float64).
            "custom_event_value": float(params["e_v"]),
        }
        for slot in range(1, 7):
            value = params.get(f"dimension{slot}", "")
            row[f"event_custom_dimension_{slot}"] = value
        rows.append(row)
    return rows
