"""Each parameter of the hits a run sends (SPEC 4), through a real local server."""

from __future__ import annotations

import calendar
import re
import time

import pytest

from installer.build_info import commit_sha
from installer.events.outcome import ErrorCategory, Status, StepOutcome
from installer.telemetry import open_sink
from tests.helpers.hit_recorder import HitRecorder
from tests.telemetry.conftest import FACTS

FINISHED = 1_790_000_000.0  # 2026-09-21 14:13:20 UTC
CDT = "2026-09-21 14:13:20"

OUTCOMES = [
    StepOutcome("xcode_clt_install", "xcode", Status.SUCCESS, 12.34567, finished_at=FINISHED),
    StepOutcome(
        "homebrew_install",
        "homebrew",
        Status.FAILED,
        3.0,
        category=ErrorCategory.NETWORK,
        finished_at=FINISHED,
    ),
    StepOutcome("miniforge_install", "miniforge", Status.SKIPPED, 0.0004, finished_at=FINISHED),
    StepOutcome(
        "python_install_3.12",
        "python",
        Status.INTERRUPTED,
        1.5,
        category=ErrorCategory.INTERRUPTED,
        finished_at=FINISHED,
    ),
]


def send_run(rec: HitRecorder, *, test_mode: bool = False) -> list[dict[str, str]]:
    sink = open_sink(FACTS, interactive=False, test_mode=test_mode)
    for outcome in OUTCOMES:
        sink.record(outcome)
    sink.close()
    return rec.wait_for_hits(len(OUTCOMES))


def by_step(hits: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {h["url"].rsplit("/", 1)[1]: h for h in hits}


def test_every_parameter_of_each_outcome(telemetry_on: HitRecorder) -> None:
    hits = by_step(send_run(telemetry_on))
    assert len(hits) == 4
    common = {
        "idsite": "test-site",
        "rec": "1",
        "e_c": "Installer",
        "dimension1": "Darwin14.5",
        "dimension2": "arm64",
        "dimension3": commit_sha(),
        "cdt": CDT,
    }
    expected = {
        "xcode_clt_install": {
            "e_a": "Event",
            "e_n": "xcode_clt_install",
            "e_v": "1",
            "dimension4": "12.346",
            "dimension5": "",
        },
        "homebrew_install": {
            "e_a": "Event",
            "e_n": "homebrew_install_network_error",
            "e_v": "0",
            "dimension4": "3.000",
            "dimension5": "network_error",
        },
        "miniforge_install": {
            "e_a": "Skipped",
            "e_n": "miniforge_install",
            "e_v": "1",
            "dimension4": "0.000",
            "dimension5": "",
        },
        "python_install_3.12": {
            "e_a": "Event",
            "e_n": "python_install_3.12_interrupted",
            "e_v": "0",
            "dimension4": "1.500",
            "dimension5": "interrupted",
        },
    }
    run_ids = {h["dimension6"] for h in hits.values()}
    visitor_ids = {h["_id"] for h in hits.values()}
    assert len(run_ids) == 1 and len(visitor_ids) == 1
    assert re.fullmatch(r"[0-9a-f]{16}", visitor_ids.pop())
    assert re.fullmatch(r"[0-9a-f]{32}", run_ids.pop())
    assert re.fullmatch(r"[0-9a-f]{7}|unknown", commit_sha())
    for step, hit in hits.items():
        url = f"app://dtu-install/{step}"
        want = {**common, **expected[step], "url": url, "action_name": url}
        assert {k: v for k, v in hit.items() if k not in ("dimension6", "_id")} == want


def test_ids_are_new_for_every_run(telemetry_on: HitRecorder) -> None:
    first = send_run(telemetry_on)
    telemetry_on.hits.clear()
    second = send_run(telemetry_on)
    assert first[0]["_id"] != second[0]["_id"]
    assert first[0]["dimension6"] != second[0]["dimension6"]


@pytest.mark.parametrize(
    ("env", "test_mode", "category"),
    [
        ({}, False, "Installer"),
        ({"TESTING_MODE": "true"}, False, "Installer_TEST"),
        ({}, True, "Installer_TEST"),
        ({"CI": "true"}, False, "Installer_CI"),
        ({"GITHUB_ACTIONS": "true"}, False, "Installer_CI"),
        ({"GITHUB_CI": "true"}, False, "Installer_CI"),
        ({"TESTING_MODE": "true", "CI": "true"}, False, "Installer_TEST"),
    ],
)
def test_category_per_environment(
    telemetry_on: HitRecorder,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    test_mode: bool,
    category: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    hits = send_run(telemetry_on, test_mode=test_mode)
    assert [h["e_c"] for h in hits] == [category] * 4


def test_ci_sends_without_policy_or_question(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    hits = send_run(telemetry_on)
    assert len(hits) == 4


def test_not_run_steps_send_nothing(telemetry_on: HitRecorder) -> None:
    sink = open_sink(FACTS, interactive=False, test_mode=False)
    sink.record(StepOutcome("a_step", "a", Status.FAILED, 1.0, category=ErrorCategory.DISK))
    sink.record(StepOutcome("b_step", "b", Status.NOT_RUN, 0.0))
    sink.close()
    hits = telemetry_on.wait_for_hits(1)
    time.sleep(0.1)
    assert [h["e_n"] for h in telemetry_on.hits] == ["a_step_disk_error"]
    assert hits[0]["dimension5"] == "disk_error"


def test_failure_without_category_is_unknown_error(telemetry_on: HitRecorder) -> None:
    sink = open_sink(FACTS, interactive=False, test_mode=False)
    sink.record(StepOutcome("vscode_install", "vscode", Status.FAILED, 0.1))
    sink.close()
    (hit,) = telemetry_on.wait_for_hits(1)
    assert hit["e_n"] == "vscode_install_unknown_error"
    assert hit["dimension5"] == "unknown_error"


def test_cdt_defaults_to_the_time_of_record(telemetry_on: HitRecorder) -> None:
    sink = open_sink(FACTS, interactive=False, test_mode=False)
    before = time.time()
    sink.record(StepOutcome("vscode_install", "vscode", Status.SUCCESS, 0.1))
    sink.close()
    (hit,) = telemetry_on.wait_for_hits(1)
    sent = calendar.timegm(time.strptime(hit["cdt"], "%Y-%m-%d %H:%M:%S"))
    assert int(before) - 1 <= sent <= time.time() + 1


def test_bulk_requests_hold_at_most_95_hits(telemetry_on: HitRecorder) -> None:
    telemetry_on.mode = "slow:0.1"  # the first request is slow, so the rest pile up
    sink = open_sink(FACTS, interactive=False, test_mode=False)
    for i in range(300):
        sink.record(StepOutcome(f"step_{i}", "x", Status.SUCCESS, 0.0, finished_at=FINISHED))
    sink.close()
    telemetry_on.wait_for_hits(300)
    sizes = [len(r["hits"]) for r in telemetry_on.requests]
    assert sum(sizes) == 300
    assert max(sizes) == 95
    assert all(r["method"] == "POST" for r in telemetry_on.requests)
