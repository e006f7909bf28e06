"""Our hits are accepted and stored by the real built-in collector (`dtu-install collector`)."""

from __future__ import annotations

import calendar
import time

import pytest

from installer.build_info import commit_sha
from installer.events.outcome import ErrorCategory, Status, StepOutcome
from installer.telemetry import open_sink
from tests.helpers.collector import RunningCollector
from tests.telemetry.conftest import FACTS

FINISHED = 1_790_000_000.0


def outcomes() -> list[StepOutcome]:
    # Backdated events must stay within the ~24 h Piwik PRO (and the collector) accept.
    at = float(int(time.time()) - 60)
    return [
        StepOutcome("xcode_clt_install", "xcode", Status.SUCCESS, 1.25, finished_at=at),
        StepOutcome(
            "homebrew_install",
            "homebrew",
            Status.FAILED,
            2.0,
            category=ErrorCategory.NETWORK,
            finished_at=at,
        ),
        StepOutcome("miniforge_install", "miniforge", Status.SKIPPED, 0.0, finished_at=at),
        StepOutcome(
            "python_install_3.12",
            "python",
            Status.INTERRUPTED,
            0.5,
            category=ErrorCategory.INTERRUPTED,
            finished_at=at,
        ),
    ]


def wait_count(collector: RunningCollector, n: int, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while collector.count() < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return collector.count()


def send(monkeypatch: pytest.MonkeyPatch, url: str, steps: list[StepOutcome]) -> None:
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_URL", url)
    sink = open_sink(FACTS, interactive=False, test_mode=True)
    for outcome in steps:
        sink.record(outcome)
    sink.close()


def test_collector_stores_every_hit(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_NO_TELEMETRY")
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_POLICY", "on")
    steps = outcomes()
    send(monkeypatch, collector.tracking_url, steps)
    assert wait_count(collector, 4) == 4
    rows = collector.rows(
        "category, action, name, component, value, success, os, arch, sha, duration, error, ts"
    )
    ts = calendar.timegm(time.gmtime(steps[0].finished_at))
    assert sorted(rows) == sorted(
        [
            ("Installer_TEST", "Event", "xcode_clt_install", "xcode_clt_install", 1.0, 1,
             "Darwin14.5", "arm64", commit_sha(), 1.25, None, ts),
            ("Installer_TEST", "Event", "homebrew_install_network_error", "homebrew_install",
             0.0, 0, "Darwin14.5", "arm64", commit_sha(), 2.0, "network_error", ts),
            ("Installer_TEST", "Skipped", "miniforge_install", "miniforge_install", 1.0, 1,
             "Darwin14.5", "arm64", commit_sha(), 0.0, None, ts),
            ("Installer_TEST", "Event", "python_install_3.12_interrupted", "python_install_3.12",
             0.0, 0, "Darwin14.5", "arm64", commit_sha(), 0.5, "interrupted", ts),
        ]
    )  # fmt: skip
    assert len({r[0] for r in collector.rows("run")}) == 1


def test_spooled_hits_reach_the_collector_once(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Down at the first run (refused), up at the second: each event stored exactly once."""
    from tests.helpers.hit_recorder import refused_url

    monkeypatch.delenv("DTU_INSTALL_NO_TELEMETRY")
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_POLICY", "on")
    first = outcomes()
    send(monkeypatch, refused_url(), first)
    assert collector.count() == 0
    send(monkeypatch, collector.tracking_url, outcomes()[:1])
    assert wait_count(collector, 5) == 5
    send(monkeypatch, collector.tracking_url, [])
    time.sleep(0.2)
    assert collector.count() == 5
    runs = [r[0] for r in collector.rows("run")]
    assert sorted(runs.count(r) for r in set(runs)) == [1, 4]


def test_matomo_path_of_the_collector(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Self-hosters may point the installer at a `matomo.php` endpoint; same protocol."""
    monkeypatch.delenv("DTU_INSTALL_NO_TELEMETRY")
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_POLICY", "on")
    send(monkeypatch, collector.url + "matomo.php", outcomes())
    assert wait_count(collector, 4) == 4
