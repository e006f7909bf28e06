"""`dtu-install analytics import`: files of hits into the store, idempotent, bad lines
reported with their place and skipped."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from installer.analytics import import_command as importer_command
from installer.analytics import importer
from installer.store.event_store import EventStore
from tests.collector.hits import params, query
from tests.helpers.collector import RunningCollector, collector

__all__ = ["collector"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "import", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])


def runs(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(str(r[0]) for r in conn.execute("SELECT run FROM events"))


def test_line_file_in_every_form_twice(tmp_path: Path) -> None:
    lines = [
        "# exported from the tracker's log",
        "?" + query(dimension6="a"),
        query(dimension6="b"),
        "https://x.piwik.pro/ppms.php?" + query(dimension6="c"),
        "",
        "/matomo.php?" + query(dimension6="d"),
        "?" + query(dimension6="a", r="12345"),  # a cache buster: the same event as line 2
    ]
    hits = tmp_path / "hits.txt"
    hits.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())  # BOM and CRLF
    db = tmp_path / "e.sqlite3"
    first = cli(str(hits), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "5 hits, 4 new, 1 already stored" in first.stdout
    assert runs(db) == ["a", "b", "c", "d"]
    again = cli(str(hits), "--db", str(db))
    assert again.returncode == 0
    assert "5 hits, 0 new, 5 already stored" in again.stdout
    assert count(db) == 4


def test_bad_lines_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    hits = tmp_path / "hits.txt"
    hits.write_bytes(
        b"\n".join(
            [
                ("?" + query(dimension6="ok-1")).encode(),
                b"?e_c=Installer&e_a=Event",  # line 2: no e_n
                ("?" + query(dimension6="no-cdt", cdt="")).encode(),  # line 3: no time
                b"?e_c=A&e_a=B&e_n=\xff",  # line 4: not UTF-8 (raw byte)
                ("?" + query(dimension6="ok-2")).encode(),
                b"{not json",  # line 6
                ("?" + query(dimension6="ok-3", e_v="fast")).encode(),  # line 7
            ]
        )
    )
    db = tmp_path / "e.sqlite3"
    result = cli(str(hits), "--db", str(db))
    assert result.returncode == 1
    errors = result.stderr.splitlines()
    assert errors[0] == f"{hits}:2:1: not an installer event: missing e_n"
    assert errors[1].startswith(f"{hits}:3:1: no cdt")
    assert errors[2] == f"{hits}:4:1: not valid UTF-8"
    assert errors[3].startswith(f"{hits}:6:1: not valid JSON")
    assert errors[4].startswith(f"{hits}:7:1: e_v 'fast' is not a number")
    assert "Traceback" not in result.stderr
    assert "5 bad lines or entries skipped" in result.stdout
    assert runs(db) == ["ok-1", "ok-2"]


def test_bulk_json_document_with_a_bad_entry(tmp_path: Path) -> None:
    document = {
        "requests": [
            "?" + query(dimension6="s1"),
            {**params(dimension6="o1"), "e_v": 1, "cdt": 1700000000},
            {"e_c": "Installer"},
            "?" + query(dimension6="s2"),
        ]
    }
    path = tmp_path / "bulk.json"
    path.write_text(json.dumps(document, indent=2))
    db = tmp_path / "e.sqlite3"
    result = cli(str(path), "--db", str(db))
    assert result.returncode == 1
    # entry 2 is the second object of the pretty-printed file: the last line "    {"
    lines = json.dumps(document, indent=2).splitlines()
    line = max(number for number, text in enumerate(lines, 1) if text == "    {")
    assert result.stderr.startswith(f"{path}:{line}:1: requests[2]: not an installer event")
    assert runs(db) == ["o1", "s1", "s2"]
    assert cli(str(path), "--db", str(db)).returncode == 1
    assert count(db) == 3


def test_json_lines_of_bulks_and_objects(tmp_path: Path) -> None:
    path = tmp_path / "spool.jsonl"
    path.write_text(
        json.dumps({"requests": ["?" + query(dimension6="j1"), "?" + query(dimension6="j2")]})
        + "\n"
        + json.dumps({**params(dimension6="j3")})
        + "\n"
        + json.dumps({"requests": "nope"})
        + "\n"
    )
    db = tmp_path / "e.sqlite3"
    result = cli(str(path), "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.startswith(f'{path}:3:1: a bulk body needs a "requests" list')
    assert runs(db) == ["j1", "j2", "j3"]


def test_a_bad_entry_in_a_json_line_bulk_keeps_its_good_neighbours(tmp_path: Path) -> None:
    # As in a bulk document and at the collector: only the bad entry is skipped.
    entries = ["?" + query(dimension6="k1"), "?e_c=only", 42, "?" + query(dimension6="k2")]
    path = tmp_path / "spool.jsonl"
    path.write_text("?" + query(dimension6="k0") + "\n" + json.dumps({"requests": entries}))
    db = tmp_path / "e.sqlite3"
    result = cli(str(path), "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:2:1: requests[1]: not an installer event: missing e_a, e_n",
        f"{path}:2:1: requests[2]: a bulk entry must be a query string or an object, not a number",
    ]
    assert "3 hits, 3 new, 0 already stored; 2 bad lines or entries skipped" in result.stdout
    assert runs(db) == ["k0", "k1", "k2"]


def test_a_lone_surrogate_is_a_bad_line_and_the_rest_is_imported(tmp_path: Path) -> None:
    # Issue 14 item 2: the JSON escape `\\ud800` passed validation and failed the insert,
    # exit 3 with nothing imported. Now it is a bad line (or entry) like any other.
    surrogate = json.dumps({**params(dimension6="s"), "e_n": "x\ud800"})
    document = {"requests": ["?" + query(dimension6="d1"), {**params(), "e_n": "\udfff"}]}
    lines = tmp_path / "spool.jsonl"
    lines.write_text(f"?{query(dimension6='l1')}\n{surrogate}\n?{query(dimension6='l2')}\n")
    bulk = tmp_path / "bulk.json"
    bulk.write_text(json.dumps(document, indent=2))
    db = tmp_path / "e.sqlite3"
    result = cli(str(lines), str(bulk), "--db", str(db))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f"{lines}:2:1: parameter 'e_n' holds a lone surrogate (not valid Unicode)",
        f"{bulk}:4:1: requests[1]: parameter 'e_n' holds a lone surrogate (not valid Unicode)",
    ]
    assert runs(db) == ["d1", "l1", "l2"]


def test_broken_json_document_is_reported_and_other_files_still_imported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "requests": [\n    "?e_c=a",\n    oops\n  ]\n}\n')
    good = tmp_path / "good.txt"
    good.write_text("?" + query(dimension6="g") + "\n")
    db = tmp_path / "e.sqlite3"
    result = cli(str(broken), str(good), "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.startswith(f"{broken}:4:5: not valid JSON")
    assert runs(db) == ["g"]


def test_missing_file_imports_nothing_and_is_a_usage_error(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("?" + query() + "\n")
    db = tmp_path / "e.sqlite3"
    result = cli(str(good), str(tmp_path / "typo.txt"), "--db", str(db))
    assert result.returncode == 2
    assert "typo.txt: no such file" in result.stderr
    assert not db.exists()


def test_a_directory_is_named_as_such_and_imports_nothing(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    db = tmp_path / "e.sqlite3"
    result = cli(str(tmp_path / "exports"), "--db", str(db))
    assert result.returncode == 2
    assert "exports: is a directory" in result.stderr
    assert not db.exists()


def test_original_bash_utility_events_are_tolerated(tmp_path: Path) -> None:
    # No dimensions 4-6, no _id, e_v holding a duration in seconds (0 for a fast step).
    bash = "?idsite=s&rec=1&e_c=Installer&e_a=Event&dimension1=Darwin14.2&dimension2=arm64"
    path = tmp_path / "bash.txt"
    path.write_text(
        f"{bash}&e_n=homebrew_install&e_v=42&cdt=1700000000\n"
        f"{bash}&e_n=conda_download_network_error&e_v=0&cdt=1700000001\n"
    )
    db = tmp_path / "e.sqlite3"
    assert cli(str(path), "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as conn:
        rows = list(conn.execute("SELECT component, value, success, error, duration FROM events"))
    assert sorted(rows) == [
        ("conda_download", 0.0, 0, "network_error", None),
        ("homebrew_install", 42.0, 1, None, None),
    ]


def test_collected_then_imported_is_one_event(collector: RunningCollector) -> None:
    hit = params(dimension6="both-ways")
    assert requests.get(collector.tracking_url, params=hit, timeout=10).status_code == 202
    path = collector.db.parent / "export.txt"
    path.write_text("?" + query(dimension6="both-ways") + "\n")
    result = cli(str(path), "--db", str(collector.db))
    assert result.returncode == 0
    assert "1 hits, 0 new, 1 already stored" in result.stdout
    assert collector.count() == 1


def test_parallel_import_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = []
    for i in range(3000):
        lines.append("?" + query(dimension6=f"p{i}") if i % 97 else f"?e_c=bad-{i}")
    path = tmp_path / "many.txt"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(importer, "CHUNK_LINES", 3)  # many chunks: line numbers must carry on
    reports = {}
    for workers in (1, 2):
        monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 0)
        with EventStore(tmp_path / f"w{workers}.sqlite3") as store:
            reports[workers] = importer.import_files(store, [path], workers=workers)
            assert store.count() == reports[workers].added
    serial, parallel = reports[1], reports[2]
    assert (serial.hits, serial.added, serial.bad) == (3000 - 31, 3000 - 31, 31)
    assert (parallel.hits, parallel.added, parallel.bad) == (serial.hits, serial.added, serial.bad)
    assert [str(p) for p in parallel.problems] == [str(p) for p in serial.problems]
    assert str(serial.problems[1]).startswith(f"{path}:98:1:")


def test_progress_reports_bytes(tmp_path: Path) -> None:
    path = tmp_path / "hits.txt"
    path.write_text("".join("?" + query(dimension6=f"r{i}") + "\n" for i in range(100)))
    seen: list[int] = []
    with EventStore(tmp_path / "e.sqlite3") as store:
        importer.import_files(store, [path], on_file=lambda p, size: seen.append)
    assert seen and seen[-1] == path.stat().st_size


def _big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big-export.txt"
    path.write_text("".join(f"?{query(dimension6=f'big-{i}')}\n" for i in range(5000)))
    assert path.stat().st_size > 1024 * 1024  # import_command.PROGRESS_MIN_BYTES
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import os
    import pty

    path = _big_file(tmp_path)
    plain = cli(str(path), "--db", str(tmp_path / "plain.sqlite3"))
    assert plain.returncode == 0 and plain.stderr == ""  # not a terminal: no bar
    controller, terminal = pty.openpty()
    db = str(tmp_path / "tty.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "installer", "analytics", "import", str(path), "--db", db],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the import has ended
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0
    assert b"big-export.txt" in shown  # the bar's label, drawn on the terminal


def test_an_overlong_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    with path.open("wb") as f:
        f.write(("?" + query(dimension6="before") + "\n").encode())
        f.write(b"e_c=" + b"x" * (5 * 1024 * 1024) + b"\n")  # more than MAX_LINE_BYTES
        f.write(b"?e_c=only\n")
        f.write(("?" + query(dimension6="after") + "\n").encode())
    db = tmp_path / "e.sqlite3"
    result = cli(str(path), "--db", str(db))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"{path}:2:1: line longer than {importer.MAX_LINE_BYTES} bytes; skipped",
        f"{path}:3:1: not an installer event: missing e_a, e_n",
    ]
    assert runs(db) == ["after", "before"]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_ctrl_c_during_a_parallel_import_is_one_line_and_exit_130(tmp_path: Path) -> None:
    # Issue 14 item 12: Ctrl-C reaches every process of the terminal's foreground group;
    # each import worker printed a KeyboardInterrupt traceback, and the import itself exited
    # 130 without a word.
    import os
    import signal
    import time

    path = tmp_path / "large.txt"  # over PARALLEL_MIN_BYTES: parsed by worker processes
    line = "?" + query(dimension6="x" * 200) + "&n="
    with path.open("w") as f:
        f.writelines(f"{line}{i}\n" for i in range(importer.PARALLEL_MIN_BYTES // len(line) + 1))
    argv = [sys.executable, "-m", "installer", "analytics", "import", str(path)]
    process = subprocess.Popen(
        [*argv, "--db", str(tmp_path / "e.sqlite3")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job is
    )
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)  # until the workers exist (and are still starting, or working)
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.splitlines() == [importer_command.INTERRUPTED], err
    assert out == ""


def test_a_fifo_or_stdin_is_named_as_such_and_imports_nothing(tmp_path: Path) -> None:
    # Issue 14 item 19: a FIFO (or /dev/stdin, a pipe) was "no such file".
    import os

    fifo = tmp_path / "hits.fifo"
    os.mkfifo(fifo)
    db = tmp_path / "e.sqlite3"
    result = cli(str(fifo), "--db", str(db))
    assert result.returncode == 2
    assert f"{fifo}: not a regular file (a FIFO); save the hits to a file" in result.stderr
    piped = subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "import", "/dev/stdin", "--db", str(db)],
        input="?" + query() + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert piped.returncode == 2
    assert "/dev/stdin: not a regular file (a FIFO)" in piped.stderr
    assert not db.exists()
