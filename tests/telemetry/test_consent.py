"""Consent (SPEC 4): opt-out variables always win; one question, remembered; CI sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from installer import paths
from installer.events.outcome import Status, StepOutcome
from installer.telemetry import NullSink, TelemetrySink, open_sink
from installer.telemetry.consent import QUESTION, store_choice
from tests.helpers.hit_recorder import HitRecorder
from tests.telemetry.conftest import FACTS

STEP = StepOutcome("vscode_install", "vscode", Status.SUCCESS, 0.5)


def one_run(**kwargs: object) -> object:
    sink = open_sink(
        FACTS, interactive=bool(kwargs.pop("interactive", False)), test_mode=False, **kwargs
    )  # type: ignore[arg-type]
    sink.record(STEP)
    sink.close()
    return sink


def everything_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*")) if directory.exists() else []


@pytest.mark.parametrize("variable", ["DO_NOT_TRACK", "DTU_INSTALL_NO_TELEMETRY"])
@pytest.mark.parametrize("setting", ["policy_on", "ci", "stored_yes"])
def test_opt_out_variables_win(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch, variable: str, setting: str
) -> None:
    if setting == "ci":
        monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
        monkeypatch.setenv("CI", "true")
    elif setting == "stored_yes":
        monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
        store_choice(True, "test")
    telemetry_on.mode = "status:500"  # anything sent would end up in the spool
    monkeypatch.setenv(variable, "1")
    for _ in range(2):
        assert isinstance(one_run(), NullSink)
    assert telemetry_on.request_count() == 0
    assert everything_in(paths.data_dir()) == []  # nothing spooled, no last-run note


def test_opt_out_also_skips_an_existing_spool(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    telemetry_on.mode = "status:500"
    one_run()
    before = everything_in(paths.data_dir())
    assert before
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    requests = telemetry_on.request_count()
    one_run()
    assert telemetry_on.request_count() == requests
    assert everything_in(paths.data_dir()) == before


@pytest.mark.parametrize("answer", [True, False], ids=["yes", "no"])
def test_interactive_run_asks_once_and_remembers_the_answer(
    answer: bool, telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
    asked: list[int] = []

    def ask() -> bool:
        asked.append(1)
        return answer

    expected_sink = TelemetrySink if answer else NullSink
    assert isinstance(one_run(interactive=True, ask=ask), expected_sink)
    assert isinstance(one_run(interactive=True, ask=ask), expected_sink)
    assert len(asked) == 1
    stored = json.loads((paths.config_dir() / "telemetry.json").read_text())
    assert stored["enabled"] is answer
    if answer:
        assert len(telemetry_on.wait_for_hits(2)) == 2
    else:
        assert telemetry_on.request_count() == 0


def test_question_on_the_terminal(
    telemetry_on: HitRecorder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert isinstance(one_run(interactive=True), TelemetrySink)
    err = capsys.readouterr().err
    assert QUESTION in err
    for words in ("Sent:", "Not sent:", "telemetry off"):
        assert words in err


def test_no_answer_sends_nothing_and_asks_again(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")

    def eof(prompt: str) -> str:
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    assert isinstance(one_run(interactive=True), NullSink)
    assert not (paths.config_dir() / "telemetry.json").exists()


def test_non_interactive_without_a_choice_sends_nothing(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
    assert isinstance(one_run(interactive=False), NullSink)
    assert telemetry_on.request_count() == 0
    assert not (paths.config_dir() / "telemetry.json").exists()


@pytest.mark.parametrize("policy", ["on", "off"])
def test_maintainer_policy(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch, policy: str
) -> None:
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_POLICY", policy)
    sink = one_run(interactive=True, ask=lambda: pytest.fail("must not ask"))
    assert isinstance(sink, TelemetrySink if policy == "on" else NullSink)


def test_users_choice_beats_policy(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_choice(False, "test")
    assert isinstance(one_run(), NullSink)  # policy "on" from the fixture
    store_choice(True, "test")
    monkeypatch.setenv("DTU_INSTALL_TELEMETRY_POLICY", "off")
    assert isinstance(one_run(), TelemetrySink)


def test_corrupt_consent_file_is_no_choice(
    telemetry_on: HitRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DTU_INSTALL_TELEMETRY_POLICY")
    path = paths.config_dir() / "telemetry.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff{not json")
    assert isinstance(one_run(interactive=True, ask=lambda: True), TelemetrySink)
    assert json.loads(path.read_text())["enabled"] is True
