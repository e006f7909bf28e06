"""Opening the event store: several processes at once, foreign and read-only files."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.analytics.cli_run import dtu

OPENERS = 4
TRIALS = 8

# Each opener waits at a gate file per trial and then opens that trial's new store, so the
# openers of one store start within a millisecond of each other.
_OPENER = """
import os, sys, time
from installer.store.event_store import EventStore
from installer.errors import DtuInstallError
base, trials = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
for trial in range(trials):
    gate = os.path.join(base, f"gate-{trial}")
    while not os.path.exists(gate):
        time.sleep(0.0005)
    try:
        EventStore(os.path.join(base, f"events-{trial}.sqlite3")).close()
        answer = "ok"
    except DtuInstallError as exc:
        answer = str(exc)
    print(answer, flush=True)
"""


def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    # Issue 14 item 8: the second opener failed with "table events already exists" (both had
    # read schema version 0 before either took the write lock) or "database is locked" (the
    # switch to WAL does not wait), exit 2.
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, str(tmp_path), str(TRIALS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(OPENERS)
    ]
    outputs = [opener.stdout for opener in openers if opener.stdout is not None]
    assert [output.readline().strip() for output in outputs] == ["ready"] * OPENERS
    answers = []
    for trial in range(TRIALS):
        (tmp_path / f"gate-{trial}").touch()
        answers += [output.readline().strip() for output in outputs]
    for opener in openers:
        assert opener.wait(30) == 0
    assert answers == ["ok"] * (OPENERS * TRIALS)


def _store_with_events(path: Path) -> None:
    from installer.events.normalise import normalise_hit
    from installer.store.event_store import EventStore
    from tests.collector.hits import params

    with EventStore(path) as store:
        store.insert(
            [normalise_hit(params(dimension6=f"r{i}"), received_at=None) for i in range(3)]
        )


@pytest.mark.parametrize(
    "command",
    [
        ("analytics", "import", "HITS"),
        ("analytics", "dashboard", "overview"),
        ("analytics", "report", "weekly"),
        ("collector", "--port", "0"),
    ],
)
def test_a_foreign_sqlite_file_is_refused_and_left_unchanged(tmp_path: Path, command) -> None:
    # Issue 14 item 17: another program's database given as --db silently got the event
    # store's tables (and was switched to WAL), though the docs promise exit 2.
    tmp_path = tmp_path / "work"
    tmp_path.mkdir()
    foreign = tmp_path / "contacts.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.execute("INSERT INTO people VALUES ('Ada')")
    conn.close()
    before = foreign.read_bytes()
    hits = tmp_path / "hits.txt"
    hits.write_text("?e_c=a&e_a=b&e_n=c&cdt=1700000000\n")
    args = [str(hits) if arg == "HITS" else arg for arg in command]
    out = dtu(*args, "--db", str(foreign))
    assert out.returncode == 2, out.stderr
    assert "is an SQLite database but not an event store (it holds people)" in out.stderr
    assert "Traceback" not in out.stderr
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["contacts.sqlite3", "hits.txt"]


@pytest.mark.parametrize(
    "command",
    [
        ("analytics", "import", "HITS"),
        ("analytics", "dashboard", "overview"),
        ("analytics", "alerts", "check"),
        ("collector", "--port", "0"),
    ],
)
def test_an_empty_db_path_is_refused_not_taken_for_the_default(tmp_path: Path, command) -> None:
    # `--db "$UNSET_VARIABLE"` read or wrote the default store instead (issue 14 audit).
    hits = tmp_path / "hits.txt"
    hits.write_text("?e_c=a&e_a=b&e_n=c&cdt=1700000000\n")
    args = [str(hits) if arg == "HITS" else arg for arg in command]
    out = dtu(*args, "--db", "")
    assert out.returncode == 2, out.stderr
    assert "--db: the path is empty" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap (make system-deps)")
@pytest.mark.parametrize("command", [("dashboard", "overview"), ("report", "weekly")])
def test_dashboards_and_reports_read_a_store_on_a_read_only_mount(tmp_path: Path, command) -> None:
    # Issue 14 item 17: opening tried to write (the switch to WAL, the -shm beside it), so a
    # store the reader may only read made read-only commands exit 2.
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    _store_with_events(shelf / "events.sqlite3")
    before = sorted(p.name for p in shelf.iterdir())
    argv = [sys.executable, "-m", "installer", "analytics", *command]
    argv += ["--db", str(shelf / "events.sqlite3"), "--at", "2023-11-20", "--json"]
    # A real read-only mount (the tests run as root, whom file modes do not stop).
    sandbox = ["bwrap", "--bind", "/", "/", "--ro-bind", str(shelf), str(shelf)]
    sandbox += ["--dev", "/dev", "--proc", "/proc"]
    out = subprocess.run(
        [*sandbox, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    events = answer["widgets"]["success_rate"] if "widgets" in answer else answer["events"]
    assert events["events" if "widgets" in answer else "this_week"] == 3
    assert sorted(p.name for p in shelf.iterdir()) == before
