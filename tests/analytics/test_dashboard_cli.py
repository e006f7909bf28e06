"""`dtu-install analytics dashboard` as users run it: a subprocess on a real store file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.dashboard_events import A, make_store

AT = "2026-11-23T12:00:00Z"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}  # a laptop terminal, not a pipe's 80 columns
    return subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "dashboard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(make_store(tmp_path / "events.db"))


def test_json_of_each_dashboard(db: str) -> None:
    out = cli("overview", "--db", db, "--at", AT, "--days", "3", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["version"] == 1 and doc["dashboard"] == "overview"
    assert doc["window"] == {"from": "2026-11-20T12:00:00Z", "to": AT}
    assert doc["widgets"]["success_rate"]["success_rate"] == 70.0
    out = cli("all", "--db", db, "--at", AT, "--days", "3", "--json", "--arch", "x86_64")
    docs = json.loads(out.stdout)["dashboards"]
    assert list(docs) == ["overview", "compatibility", "components", "development"]
    assert docs["overview"]["scope"] == {
        "categories": None,
        "arch": "x86_64",
        "os": None,
        "component": None,
        "error": None,
        "description": "all categories; arch x86_64",  # next to the numbers (issue 17)
    }
    assert docs["overview"]["widgets"]["success_rate"]["events"] == 3
    out = cli(
        "development",
        "--db",
        db,
        "--at",
        AT,
        "--days",
        "3",
        "--json",
        "--category",
        "Installer",
        "--category",
        "Installer_TEST",
    )
    shas = json.loads(out.stdout)["widgets"]["per_sha"]
    assert [(s["sha"], s["events"]) for s in shas] == [("bbb2222", 2), (A, 5), (None, 1)]


def test_terminal_output_marks_no_data_and_rollbacks(db: str) -> None:
    out = cli("development", "--db", db, "--at", AT, "--days", "3")
    assert out.returncode == 0, out.stderr
    assert "Development insights" in out.stdout
    assert "back 2026-11-23" in out.stdout  # the rollback of aaa1111
    assert "no data" in out.stdout  # vscode has no production events
    empty = cli("overview", "--db", db, "--at", "2030-01-01T00:00:00Z")
    assert "Success rate: no data" in empty.stdout
    assert "0.00%" not in empty.stdout and "100.00%" not in empty.stdout


def test_html_writes_all_four_dashboards(db: str, tmp_path: Path) -> None:
    page = tmp_path / "out" / "dash.html"
    out = cli("components", "--db", db, "--at", AT, "--days", "3", "--html", str(page))
    assert out.returncode == 0, out.stderr
    text = page.read_text(encoding="utf-8")
    for anchor in ("overview", "compatibility", "components", "development"):
        assert f'id="{anchor}"' in text
    assert "cdn.plot.ly/plotly" not in text.split("</script>", 1)[1]  # nothing loaded online


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuch",), "unknown dashboard 'nosuch'"),
        (("overview", "--at", "yesterday"), "--at: 'yesterday' is not a UTC time"),
        (("overview", "--days", "0"), "--days: 0 is not a number of days"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(
    db: str, args: tuple[str, ...], message: str
) -> None:
    out = cli(*args, "--db", db)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_missing_store_and_unwritable_page(tmp_path: Path, db: str) -> None:
    out = cli("overview", "--db", str(tmp_path / "nothing.db"))
    assert out.returncode == 2 and "no event store at" in out.stderr
    assert not (tmp_path / "nothing.db").exists()  # a typo does not create an empty store
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = cli("overview", "--db", db, "--html", str(blocker / "page.html"))
    assert out.returncode == 2 and "cannot write" in out.stderr
    assert "Traceback" not in out.stderr
