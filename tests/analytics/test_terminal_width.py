"""Every dashboard, report and `alerts check` in a real terminal (a pseudo-terminal) of 80 and
of 120 columns (issue 17): no line is wider than the window, dates stay whole (never cut to
"2026-10-…"), and what does not fit is folded or left out with a word saying so."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from installer.analytics.timeutil import DAY, HOUR, format_moment
from installer.store.event_store import EventStore
from tests.helpers.alert_events import T, ev, many, mixed

LONG = "install_visual_studio_code_extensions_for_python_and_jupyter"
AT = format_moment(T)
COMMANDS = {
    "dashboard overview": ["dashboard", "overview", "--days", "7"],
    "dashboard compatibility": ["dashboard", "compatibility", "--days", "7"],
    "dashboard components": ["dashboard", "components", "--days", "7"],
    "dashboard development": ["dashboard", "development", "--days", "7"],
    "report weekly": ["report", "weekly"],
    "report component-health": ["report", "component-health"],
    "report compatibility": ["report", "compatibility"],
    "alerts check": ["alerts", "check"],
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day with an outage of a long-named component on three systems under two SHAs:
    component-health lists it with long cells, and success_rate_low fires at T."""
    path = tmp_path_factory.mktemp("width") / "events.db"
    events = []
    for os_name, arch, sha in (
        ("Darwin24.1.0", "arm64", "abc1234"),
        ("Darwin25.0.1", "x86_64", "def5678"),
        ("Darwin23.6.0", "arm64", "def5678"),
    ):
        kw = {"os": os_name, "arch": arch, "sha": sha}
        events += mixed(T - HOUR, 2, 6, LONG, **kw)  # the outage
        events += many(20, T - 3 * DAY, LONG, **kw)  # fine before
        events += many(10, T - 3 * DAY, "homebrew_install", **kw)
        events += many(5, T - 40 * DAY, "homebrew_install", **kw)
    events += many(6, T - 2 * DAY, "homebrew_install", sha="0ld5ha1", category="Installer_CI")
    events.append(ev(T - 5 * HOUR, "conda_init", ok=False, error="disk_error"))
    with EventStore(path) as store:
        store.insert(events)
    return path


def in_terminal(args: list[str], columns: int) -> str:
    """The command's output on a pseudo-terminal `columns` wide, escape codes removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen(
        [sys.executable, "-m", "installer", "analytics", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=30) == 0, b"".join(chunks).decode(errors="replace")
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r", "")


@pytest.mark.slow
@pytest.mark.parametrize("columns", [80, 120])
def test_everything_fits_the_terminal(db: Path, columns: int) -> None:
    outputs = {}
    for name, args in COMMANDS.items():
        text = in_terminal([*args, "--db", str(db), "--at", AT], columns)
        outputs[name] = text
        lines = text.splitlines()
        # Only a URL longer than the window may be (alone on its line, the terminal wraps
        # it softly and it stays one link).
        too_wide = [
            line for line in lines if len(line) > columns and not line.startswith("https://")
        ]
        assert not too_wide, (name, columns, too_wide[:3])
        assert "…" not in text, (name, "something was cut instead of folded")
        for date in DATE.findall(text):
            assert date.startswith("20"), (name, date)
    # What the commands must show is there, whole, at both widths.
    assert "success_rate_low" in outputs["alerts check"]
    assert "runbook:" in outputs["alerts check"]
    assert "\nhttps://github.com/" in outputs["alerts check"] or columns == 120
    assert LONG[:20] in outputs["report component-health"]
    assert "Scope: category Installer" in outputs["report weekly"]
    development = outputs["dashboard development"]
    if columns == 120:  # room for every column of the SHA table, dates whole
        assert "first seen" in development and "last seen" in development
        assert re.search(r"2026-11-\d\d \d\d:\d\d", development)
    else:  # the SHA table leaves out its least important columns, and says so
        assert "not shown, too narrow: failure, first seen" in development


def test_pipes_keep_whole_lines(db: Path) -> None:
    """Only a terminal gets folded text: a pipe (a log, an email) keeps whole lines, so the
    80-column test above is not passing for want of long lines."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "installer",
            "analytics",
            "report",
            "component-health",
            "--db",
            str(db),
            "--at",
            AT,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert max(len(line) for line in out.stdout.splitlines()) > 120
