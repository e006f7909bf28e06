"""`dtu-install run` / `doctor` end to end: recipes written in tmp dirs, real subprocesses,
a real local HTTPS server, real SIGINT."""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installer.cli.main import main
from installer.runner import command
from tests.helpers.download_server import DownloadServer
from tests.runner.conftest import Recorder, sha

DTU = [sys.executable, "-m", "installer"]
PROFILE = """profile: p
description: test profile
recipes: [{recipes}]
"""


def write_recipes(root: Path, recipes: dict[str, str], profile: list[str] | None = None) -> Path:
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    for name, text in recipes.items():
        (root / f"{name}.yaml").write_text(text)
    (root / "profiles" / "p.yaml").write_text(
        PROFILE.format(recipes=", ".join(profile or list(recipes)))
    )
    return root


DEMO = """recipe: demo
description: demo steps
steps:
  - name: demo_write
    description: Append to the ledger
    check: {path_exists: "{home}/marker"}
    command: [sh, -c, 'echo ran >> "$0/ledger"; touch "$0/marker"', "{home}"]
  - name: demo_args
    description: Dangerous values stay literal
    check: {path_exists: "{home}/args.json"}
    command: [python3, -c, "import json,sys; json.dump(sys.argv[1:], open(sys.argv[1], 'w'))",
              "{home}/args.json", "; rm -rf ~", "$(touch {home}/pwned)"]
verify:
  - name: demo_marker
    description: the marker exists
    check: {path_exists: "{home}/marker"}
  - name: demo_nothing
    description: a file that is not there
    check: {path_exists: "{home}/not-there"}
"""


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_twice_second_run_skips_everything(tmp_path, isolated_home, capsys):
    recipes = write_recipes(tmp_path / "r", {"demo": DEMO})
    code, out, err = cli(["run", "--recipes", str(recipes), "p", "--json"], capsys)
    assert code == 0, err
    first = json.loads(out)
    assert first["schema"] == "dtu-install/run-result" and first["version"] == 1
    assert [s["status"] for s in first["steps"]] == ["success", "success"]
    args = json.loads((isolated_home / "args.json").read_text())
    assert args[1:] == ["; rm -rf ~", f"$(touch {isolated_home}/pwned)"]
    assert not (isolated_home / "pwned").exists()
    code, out, _ = cli(["run", "--recipes", str(recipes), "p", "--json"], capsys)
    assert code == 0
    assert [s["status"] for s in json.loads(out)["steps"]] == ["skipped", "skipped"]
    assert (isolated_home / "ledger").read_text() == "ran\n"
    assert Path(first["log"]).is_file() and "demo_write" in Path(first["log"]).read_text()


def test_failure_summary_names_step_category_advice_log_and_support(tmp_path, capsys):
    recipes = write_recipes(
        tmp_path / "r", {"demo": DEMO.replace("[sh, -c,", "[no-such-tool-x, -c,")}
    )
    (tmp_path / "r" / "settings.yaml").write_text(
        "variables:\n  support_url: https://help.example/x\n"
    )
    code, out, _ = cli(["run", "--recipes", str(recipes), "p"], capsys)
    assert code == 1
    assert "demo_write failed (missing_dependency)" in out
    assert "command not found: no-such-tool-x" in out
    assert "Full log:" in out and "https://help.example/x" in out
    assert "demo_args" in out and "not run" in out


def test_unknown_step_is_exit_2_with_suggestion(tmp_path, capsys):
    recipes = write_recipes(tmp_path / "r", {"demo": DEMO})
    code, _, err = cli(["run", "--recipes", str(recipes), "p", "--only", "demo_wrte"], capsys)
    assert code == 2 and "did you mean 'demo_write'" in err


def test_dry_run_executes_nothing(tmp_path, isolated_home, capsys):
    recipes = write_recipes(tmp_path / "r", {"demo": DEMO})
    code, out, _ = cli(["run", "--recipes", str(recipes), "p", "--dry-run"], capsys)
    assert code == 0 and "dry run" in out
    assert not (isolated_home / "ledger").exists()
    # What a dry run would do is said as such, not as "not run" like a step left out.
    assert "demo_write: would run" in out and "2 would run, 0 not run" in out


def test_telemetry_sink_gets_every_outcome_and_is_closed_with_test_mode(
    tmp_path, capsys, monkeypatch
):
    sink = Recorder()
    seen: dict[str, object] = {}

    def fake_open(facts, *, interactive, test_mode):  # the seam: telemetry has its own tests
        seen.update(interactive=interactive, test_mode=test_mode)
        return sink

    monkeypatch.setattr(command, "telemetry_sink", fake_open)
    recipes = write_recipes(tmp_path / "r", {"demo": DEMO})
    code, _, _ = cli(["run", "--recipes", str(recipes), "p", "--test", "--yes"], capsys)
    assert code == 0
    assert seen == {"interactive": False, "test_mode": True}
    assert [o.step for o in sink.outcomes] == ["demo_write", "demo_args"] and sink.closed


def test_doctor_pass_fail_json_and_html_without_personal_data(tmp_path, isolated_home, capsys):
    recipes = write_recipes(tmp_path / "r", {"demo": DEMO})
    (isolated_home / "marker").touch()
    code, out, _ = cli(["doctor", "--recipes", str(recipes), "p"], capsys)
    assert code == 1
    assert "PASS  demo_marker" in out and "FAIL  demo_nothing" in out
    report = tmp_path / "report.html"
    code, out, _ = cli(
        ["doctor", "--recipes", str(recipes), "p", "--json", "--html", str(report)], capsys
    )
    data = json.loads(out)
    assert [c["result"] for c in data["checks"]] == ["PASS", "FAIL"]
    page = report.read_text()
    assert "FAIL" in page and "~/not-there" in page and "<script" not in page
    assert str(isolated_home) not in page and str(isolated_home) not in out
    assert os.uname().nodename not in page


def test_doctor_says_which_recipes_when_leaves_out_here(tmp_path, isolated_home, capsys):
    # The real recipes are for Darwin, so on Linux `when` leaves them all out; doctor says
    # so instead of claiming they declare no checks.
    other_os = "Linux" if platform.system() == "Darwin" else "Darwin"
    elsewhere = DEMO.replace("description: demo steps", f"description: x\nwhen: {{os: {other_os}}}")
    recipes = write_recipes(tmp_path / "r", {"demo": elsewhere})
    code, _, err = cli(["doctor", "--recipes", str(recipes), "p"], capsys)
    assert code == 1  # nothing could be checked: not a pass
    assert "no verify checks of p apply here: `when` leaves out demo on " in err


# ---------------------------------------------------------------- real Ctrl-C
SLOW = """recipe: slow
description: a slow command
steps:
  - name: slow_step
    description: Sleep unless told not to
    check: {path_exists: "{home}/slow-done"}
    command:
      - sh
      - -c
      - 'if [ -e "$0/go-slow" ]; then echo $$ > "$0/pid"; sleep 60; fi; touch "$0/slow-done"'
      - "{home}"
  - name: slow_after
    description: runs after
    command: [touch, "{home}/after"]
"""


def _spawn(
    args: list[str], home: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(home), **(extra_env or {})}
    return subprocess.Popen(
        [*DTU, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )


def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_ctrl_c_during_a_command(tmp_path, isolated_home):
    recipes = write_recipes(tmp_path / "r", {"slow": SLOW})
    (isolated_home / "go-slow").touch()
    proc = _spawn(["run", "--recipes", str(recipes), "p", "--json"], isolated_home)
    _wait_for(
        lambda: (isolated_home / "pid").exists() and (isolated_home / "pid").read_text().strip()
    )
    child = int((isolated_home / "pid").read_text())
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    steps = json.loads(out)["steps"]
    assert [(s["status"], s["error_category"]) for s in steps] == [
        ("interrupted", "interrupted"),
        ("not_run", None),
    ]
    _wait_for(
        lambda: (
            not Path(f"/proc/{child}").exists() or " Z " in Path(f"/proc/{child}/stat").read_text()
        ),
    )  # _wait_for's 20 s: a hang guard; a loaded machine may take seconds to schedule its end
    assert not (isolated_home / "after").exists()
    (isolated_home / "go-slow").unlink()
    again = _spawn(["run", "--recipes", str(recipes), "p"], isolated_home)
    assert again.wait(timeout=30) == 0
    assert (isolated_home / "slow-done").exists() and (isolated_home / "after").exists()


def test_ctrl_c_during_a_download_then_resume(tmp_path, isolated_home):
    data = os.urandom(4 * 1024 * 1024)
    with DownloadServer() as server:
        url = server.add("/big.bin", data, rate=1024 * 1024)  # 4 s to send it all
        dest = isolated_home / "big.bin"
        recipe = f"""recipe: dl
description: a download
steps:
  - name: dl_fetch
    description: Fetch a big file
    check: {{path_exists: "{{home}}/big.bin"}}
    download:
      url: {url}
      sha256: "{sha(data)}"
      dest: "{{home}}/big.bin"
"""
        recipes = write_recipes(tmp_path / "r", {"dl": recipe})
        env = {"REQUESTS_CA_BUNDLE": server.ca_path}
        proc = _spawn(["run", "--recipes", str(recipes), "p", "--json"], isolated_home, env)
        part = Path(str(dest) + ".part")
        _wait_for(lambda: part.exists() and part.stat().st_size > 512 * 1024)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 130, err
        assert json.loads(out)["steps"][0]["status"] == "interrupted"
        assert not dest.exists()  # never a partial file in place
        kept = part.stat().st_size
        assert 0 < kept < len(data)
        served_before = server.bytes_served["/big.bin"]
        server.files["/big.bin"].rate = None
        again = _spawn(["run", "--recipes", str(recipes), "p"], isolated_home, env)
        _, err = again.communicate(timeout=30)
        assert again.returncode == 0, err
        assert dest.read_bytes() == data and not part.exists()
        assert server.requests["/big.bin"][-1]["Range"] == f"bytes={kept}-"
        assert server.bytes_served["/big.bin"] - served_before == len(data) - kept


def self_interrupting_recipe() -> str:
    """A step that sends Ctrl-C (SIGINT) to this test process, then a step after it."""
    return f"""recipe: intr
description: interrupts itself
steps:
  - name: intr_self
    description: Send Ctrl-C to the installer
    command: [sh, -c, "kill -INT {os.getpid()}; sleep 5"]
  - name: intr_after
    description: never reached
    command: ["true"]
"""


def test_ctrl_c_closes_every_sink_and_exits_130(tmp_path, capsys, monkeypatch):
    """A real SIGINT to this process while a step runs: the telemetry sink is still closed
    (its bounded flush), the outcome is `interrupted`, and the exit code is 130."""
    sink = Recorder()
    monkeypatch.setattr(command, "telemetry_sink", lambda facts, **kw: sink)
    recipes = write_recipes(tmp_path / "r", {"intr": self_interrupting_recipe()})
    code, out, _ = cli(["run", "--recipes", str(recipes), "p", "--json"], capsys)
    assert code == 130
    assert [(o.step, o.status.value) for o in sink.outcomes] == [
        ("intr_self", "interrupted"),
        ("intr_after", "not_run"),
    ]
    assert sink.closed
    assert json.loads(out)["interrupted"] is True


def test_summary_counts_the_interrupted_step(tmp_path, capsys, monkeypatch):
    # Before: "0 done, 0 already done, 0 failed, 1 not run" for a run of two steps, the
    # interrupted one left out of the count line.
    monkeypatch.setattr(command, "telemetry_sink", lambda facts, **kw: Recorder())
    recipes = write_recipes(tmp_path / "r", {"intr": self_interrupting_recipe()})
    code, out, err = cli(["run", "--recipes", str(recipes), "p", "--yes"], capsys)
    assert code == 130
    assert "0 done, 0 already done, 0 failed, 1 interrupted, 1 not run" in out + err


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (404, "your internet connection works"),
        # Issue 14 item 7: a 403 was permission_error, "type your Mac login password".
        (403, "your Mac password has nothing to do with it"),
    ],
)
def test_a_404_or_403_download_is_not_blamed_on_the_student(
    tmp_path, isolated_home, capsys, monkeypatch, status, advice
):
    with DownloadServer() as server:
        if status != 404:  # an unknown path is the server's 404
            server.add("/missing.bin", b"", [f"status:{status}"])
        recipe = f"""recipe: gone
description: a download that is not there
steps:
  - name: gone_fetch
    description: Fetch a missing file
    check: {{path_exists: "{{home}}/f.bin"}}
    download:
      url: {server.url("/missing.bin")}
      sha256: "{"0" * 64}"
      dest: "{{home}}/f.bin"
"""
        recipes = write_recipes(tmp_path / "r", {"gone": recipe})
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        code, out, err = cli(["run", "--recipes", str(recipes), "p", "--yes"], capsys)
    text = " ".join((out + err).split())
    assert code == 1 and "network_error" in text and f"HTTP {status}" in text
    assert advice in text
    assert "Check your internet connection" not in text and "Mac login password" not in text


ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]")


@pytest.mark.slow
def test_failure_message_in_a_40_column_terminal_wraps_words_and_keeps_names_whole(
    tmp_path: Path, isolated_home: Path
) -> None:
    """On a terminal the summary and advice are wrapped at word boundaries to its width
    (not cut mid-word by the terminal), step names are folded, not cut to "fail_lo…", and
    the log path and support link stay on one line each, so they can be copied whole."""
    from tests.telemetry.test_question_tty import Terminal

    recipes = write_recipes(
        tmp_path / "r",
        {
            "failing": """recipe: failing
description: d
steps:
  - name: failing_long_step_name
    description: fails
    command: [sh, -c, 'echo "Error: something broke in a rather long way"; exit 3']
"""
        },
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(HOME=str(isolated_home), DTU_INSTALL_ALLOW_ROOT="1")
    env.update(TERM="xterm", NO_COLOR="1", DTU_INSTALL_NO_TELEMETRY="1")
    term = Terminal(["run", "--recipes", str(recipes), "p"], env, columns=40)
    try:
        assert term.finish(60) == 1
    finally:
        term.kill()
    text = ANSI.sub(b"", term.output).decode(errors="replace").replace("\r\n", "\n")
    summary = text[text.index("Summary") : text.index("Full log:")]
    assert "…" not in summary
    assert all(len(line) <= 40 for line in summary.splitlines()), summary
    assert "failing_long_step_name" in "".join(summary.split())
    assert "Something unexpected went wrong." in " ".join(summary.split())
    log_lines = [line for line in text.splitlines() if line.startswith("Full log: ")]
    assert len(log_lines) == 1 and log_lines[0].endswith(".log"), text
    assert "Help: https://pythonsupport.dtu.dk/install/ (attach the log file)" in text


def test_without_a_log_file_the_summary_does_not_point_at_one(
    tmp_path, isolated_home, capsys, monkeypatch
):
    # Issue 14 item 19: the log folder could not be written, so there was no log file, yet
    # the summary said "send the log file below" and "(attach the log file)".
    monkeypatch.setattr(command, "telemetry_sink", lambda facts, **kw: Recorder())
    state = tmp_path / "state"
    state.write_text("a file where the log folder's parent should be")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    failing = """recipe: oops
description: fails
steps:
  - name: oops_step
    description: fails in an unexpected way
    check: {path_exists: "{home}/never"}
    command: [sh, -c, "echo something odd; exit 3"]
    retries: {attempts: 1}
"""
    recipes = write_recipes(tmp_path / "r", {"oops": failing})
    code, out, err = cli(["run", "--recipes", str(recipes), "p", "--yes"], capsys)
    text = " ".join((out + err).split())
    assert code == 1 and "unknown_error" in text
    assert "log file below" not in text and "attach the log file" not in text
    assert "copy the lines above into a message to support" in text
    assert "no log file could be written" in text
