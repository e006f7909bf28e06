"""Opening the event store: several processes at once, foreign and read-only files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

OPENERS = 4
TRIALS = 8

# Each opener waits at a gate file per trial and then opens that trial's new store, so the
# openers of one store start within a millisecond of each other.
_OPENER = """
import os, sys, time
from installer.analytics.store import EventStore
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
