"""The real collector (`dtu-install collector`) in a subprocess, on a free loopback port.

Usage in a test module (telemetry tests reuse it)::

    from tests.helpers.collector import collector  # noqa: F401 - pytest fixture

    def test_x(collector: RunningCollector) -> None:
        requests.post(collector.tracking_url, json={"requests": [...]})
        assert collector.rows("name, success") == [...]

`collector.url` ends with `/`; `collector.tracking_url` is `<url>ppms.php`; `collector.db`
is the SQLite file; `rows(columns)` and `count()` read it as another process would;
`stop(signal)` ends it and keeps its `stdout`/`stderr`. `start_collector(db, *args)` starts
another one (e.g. on the same db after a SIGKILL, or with `--host 0.0.0.0`).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_READY = re.compile(r"collector listening on (http://\S+/)")


@dataclass
class RunningCollector:
    url: str
    db: Path
    process: subprocess.Popen[str]
    stdout: str = ""
    stderr: str = ""

    @property
    def tracking_url(self) -> str:
        return self.url + "ppms.php"

    def rows(self, columns: str = "category, action, name, value, ts") -> list[tuple[object, ...]]:
        """Stored events (read with a separate connection, as another process would)."""
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(f"SELECT {columns} FROM events ORDER BY id"))

    def count(self) -> int:
        with sqlite3.connect(self.db) as conn:
            (n,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
        return int(n)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal it, wait, and keep what it printed in `stdout` / `stderr`."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=15)
        self.stdout, self.stderr = out or "", err or ""
        return self.process.returncode


def start_collector(db: Path, *extra: str) -> RunningCollector:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    # Its own HOME, so that even a crash log lands in the test's tmp dir (a module-scoped
    # collector starts before the per-test HOME fixture).
    env["HOME"] = str(db.parent / "collector-home")
    process = subprocess.Popen(
        [sys.executable, "-m", "installer", "collector", "--db", str(db), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the collector prints its URL once it is listening
    match = _READY.search(line)
    if not match:
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"collector did not start: {line!r} {err!r}")
    return RunningCollector(match.group(1), db, process)


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[RunningCollector]:
    running = start_collector(tmp_path / "collector.sqlite3")
    try:
        yield running
    finally:
        running.stop()
