"""`dtu-install analytics run ID`: a run's timeline from its support id (SPEC 6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from installer.analytics.run_timeline import AmbiguousRun, RunNotFound, find_run, timeline
from installer.cli.main import main
from installer.events.normalise import normalise_hit
from installer.store.event_store import EventStore

RUN = "3f9a1c0b7d2e4f6a8b0c1d2e3f4a5b6c"
TWIN = "3f9a1c0b11111111111111111111111a"  # shares the first 8 characters with RUN
OTHER = "aa00bb11cc22dd33ee44ff5566778899"


def hit(run: str, name: str, cdt: int, value: str = "1", **extra: str) -> dict[str, str]:
    params = {
        "idsite": "1",
        "e_c": "Installer",
        "e_a": "Event",
        "e_n": name,
        "e_v": value,
        "cdt": str(cdt),
        "dimension1": "Darwin14.2.1",
        "dimension2": "arm64",
        "dimension3": "abc1234",
        "dimension4": "2.500",
        "dimension6": run,
    }
    params.update(extra)
    return params


def make_store(path: Path, runs: tuple[str, ...] = (RUN, OTHER)) -> Path:
    hits = []
    for run in runs:
        hits += [
            hit(run, "homebrew_install", 1_700_000_000, e_a="Skipped"),
            hit(run, "vscode_install", 1_700_000_030),
            hit(
                run,
                "miniforge_download_network_error",
                1_700_000_010,
                "0",
                dimension5="network_error",
            ),
        ]
    with EventStore(path) as store:
        store.insert([normalise_hit(h, received_at=None) for h in hits])
    return path


def test_timeline_lists_every_event_of_the_run_in_time_order(tmp_path: Path) -> None:
    with EventStore(make_store(tmp_path / "e.db")) as store:
        run = timeline(store, find_run(store, RUN[:8]))
    assert run.run == RUN and run.support_id == RUN[:8]
    assert [(e.component, e.outcome, e.error) for e in run.events] == [
        ("homebrew_install", "skipped", None),
        ("miniforge_download", "failed", "network_error"),
        ("vscode_install", "ok", None),
    ]
    first = run.as_json()["events"][0]
    assert {k: first[k] for k in ("time", "action", "duration", "os", "arch", "sha")} == {
        "time": "2023-11-14T22:13:20Z",
        "action": "Skipped",
        "duration": 2.5,
        "os": "Darwin14.2.1",
        "arch": "arm64",
        "sha": "abc1234",
    }


def test_the_cli_prints_the_timeline_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(make_store(tmp_path / "e.db"))
    assert main(["analytics", "run", RUN[:8].upper(), "--db", db]) == 0
    text = capsys.readouterr().out
    assert f"run {RUN} (support id {RUN[:8]})" in text
    assert "3 events, 1 failed, 1 skipped" in text
    assert "every event: category Installer, os Darwin14.2.1, arch arm64, sha abc1234" in text
    assert "miniforge_download" in text and "network_error" in text
    assert max(len(line) for line in text.splitlines()) <= 80
    assert main(["analytics", "run", RUN[:12], "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"] == RUN and data["counts"] == {"events": 3, "failed": 1, "skipped": 1}
    assert [e["name"] for e in data["events"]] == [
        "homebrew_install",
        "miniforge_download_network_error",
        "vscode_install",
    ]


def test_unknown_id_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(make_store(tmp_path / "e.db"))
    assert main(["analytics", "run", "deadbeef", "--db", db]) == 1
    assert "no run starts with deadbeef" in capsys.readouterr().err
    with EventStore(db) as store, pytest.raises(RunNotFound):
        find_run(store, "deadbeef")


def test_ambiguous_id_exits_2_with_the_candidates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(make_store(tmp_path / "e.db", (RUN, TWIN, OTHER)))
    assert main(["analytics", "run", RUN[:8], "--db", db]) == 2
    err = capsys.readouterr().err
    assert "matches 2 runs" in err and RUN in err and TWIN in err and OTHER not in err
    with EventStore(db) as store, pytest.raises(AmbiguousRun) as caught:
        find_run(store, RUN[:8])
    assert caught.value.candidates == [TWIN, RUN]
    # More characters make it unique.
    assert main(["analytics", "run", RUN[:9], "--db", db, "--json"]) == 0


@pytest.mark.parametrize("bad", ["3f9a1c0", "3f9a 1c0b7d", ""])
def test_a_short_or_malformed_id_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    db = str(make_store(tmp_path / "e.db"))
    assert main(["analytics", "run", bad, "--db", db]) == 2
    assert "run id" in capsys.readouterr().err


def test_no_store_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analytics", "run", RUN[:8], "--db", str(tmp_path / "none.db")]) == 2
    assert "no event store" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
