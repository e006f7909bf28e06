"""Course environments (issue 20 item 1): `dtu-install run|plan course ID`, `list`, with the
real recipes/courses.yaml and a stub conda (tests/helpers/stub_conda.py) as real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.recipes import REPO
from tests.helpers.stub_conda import calls, install_stub_conda

SETTINGS = """\
variables:
  miniforge_prefix: "{home}/miniforge3"
  jupyter_data_dir: "{home}/Library/Jupyter"
  course_semester: A
  course_year: "2026"
  course_kernel_packages: [ipykernel]
"""


def recipes_dir(tmp_path: Path, settings: str = SETTINGS) -> Path:
    root = tmp_path / "recipes"
    root.mkdir()
    shutil.copy(REPO / "recipes" / "courses.yaml", root / "courses.yaml")
    (root / "settings.yaml").write_text(settings)
    return root


def dtu(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "DTU_INSTALL_NO_TELEMETRY": "1"}
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=False,
    )


def statuses(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert result.stdout, result.stderr
    return {s["step"]: s["status"] for s in json.loads(result.stdout)["steps"]}


def test_course_environment_is_created_once_then_skipped(tmp_path, isolated_home):
    prefix = isolated_home / "miniforge3"
    install_stub_conda(prefix)
    recipes = recipes_dir(tmp_path)
    first = dtu(["run", "--recipes", str(recipes), "course", "02402", "--json"], isolated_home)
    assert first.returncode == 0, first.stderr
    assert statuses(first) == {
        "course_create_02402": "success",
        "course_update_02402": "skipped",  # the packages import right after creating
        "course_kernel_02402": "success",
    }
    create = calls(prefix)[0]
    # Specs and channel exactly as dtudk/pythonsupport-forge dtu_constructor.yaml has them.
    assert create == [
        "create", "--name", "02402-A26", "--yes", "--override-channels",
        "--channel", "conda-forge",
        "python 3.12.*", "matplotlib >=3.8", "pandas", "scipy", "statsmodels", "ipykernel",
    ]  # fmt: skip
    kernel = json.loads(
        (isolated_home / "Library/Jupyter/kernels/02402-a26/kernel.json").read_text()
    )
    assert kernel["argv"][0] == str(prefix / "envs/02402-A26/bin/python")

    second = dtu(["run", "--recipes", str(recipes), "course", "02402", "--json"], isolated_home)
    assert second.returncode == 0, second.stderr
    assert set(statuses(second).values()) == {"skipped"}
    assert len(calls(prefix)) == 1  # conda ran once, for the create


def test_a_package_added_by_the_maintainer_updates_the_environment(tmp_path, isolated_home):
    prefix = isolated_home / "miniforge3"
    install_stub_conda(prefix)
    recipes = recipes_dir(tmp_path)
    assert dtu(["run", "--recipes", str(recipes), "course", "02002"], isolated_home).returncode == 0
    courses = (recipes / "courses.yaml").read_text()
    (recipes / "courses.yaml").write_text(
        courses.replace("packages: [] # the forge file", "packages: [sympy] # the forge file")
    )
    again = dtu(["run", "--recipes", str(recipes), "course", "02002", "--json"], isolated_home)
    assert again.returncode == 0, again.stderr
    assert statuses(again)["course_create_02002"] == "skipped"
    assert statuses(again)["course_update_02002"] == "success"
    assert calls(prefix)[-1][:3] == ["install", "--name", "02002-A26"]
    assert (prefix / "envs/02002-A26/site/sympy.py").exists()


def test_one_event_per_step_and_a_failure_is_reported(tmp_path, isolated_home):
    prefix = isolated_home / "miniforge3"
    install_stub_conda(prefix)
    recipes = recipes_dir(tmp_path)
    env = {
        **os.environ,
        "HOME": str(isolated_home),
        "STUB_CONDA_FAIL": "[Errno 13] Permission denied: 'pkgs'",
    }
    result = subprocess.run(
        [sys.executable, "-m", "installer", "run", "--recipes", str(recipes), "course",
         "10060", "--json"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    steps = json.loads(result.stdout)["steps"]
    assert [s["step"] for s in steps] == [
        "course_create_10060",
        "course_update_10060",
        "course_kernel_10060",
    ]
    assert steps[0]["status"] == "failed" and "Permission denied" in steps[0]["reason"]
    assert steps[0]["error_category"] == "permission_error"
    assert [s["status"] for s in steps[1:]] == ["not_run", "not_run"]


def test_semester_and_year_are_settings(tmp_path, isolated_home):
    recipes = recipes_dir(tmp_path, SETTINGS.replace("A\n", "F\n").replace('"2026"', '"2027"'))
    plan = dtu(["plan", "--recipes", str(recipes), "course", "01001", "--json"], isolated_home)
    assert plan.returncode == 0, plan.stderr
    argv = json.loads(plan.stdout)["steps"][0]["action"]["argv"]
    assert argv[3] == "01001-F27"
    assert argv[-4:] == ["python 3.12.*", "dtumathtools =2025", "matplotlib >=3.8", "ipykernel"]


def test_unknown_course_exits_2_with_the_list(tmp_path, isolated_home):
    recipes = recipes_dir(tmp_path)
    for args in (["run", "course", "99999"], ["plan", "course", "02403"], ["run", "course"]):
        result = dtu([args[0], "--recipes", str(recipes), *args[1:]], isolated_home)
        assert result.returncode == 2
        assert "01001 (Mathematics 1a), 02002 (Computer Programming)" in result.stderr
        assert "Traceback" not in result.stderr
    assert (
        "did you mean '02402'"
        in dtu(["plan", "--recipes", str(recipes), "course", "02403"], isolated_home).stderr
    )


def test_list_shows_the_courses(tmp_path, isolated_home):
    text = dtu(["list"], isolated_home)
    assert text.returncode == 0, text.stderr
    assert "course 02402   Statistic  (python 3.12.*, matplotlib >=3.8" in text.stdout
    data = json.loads(dtu(["list", "--json"], isolated_home).stdout)
    assert [c["id"] for c in data["courses"]] == ["01001", "02002", "02402", "10060"]
    assert "course-02402" not in [r["name"] for r in data["recipes"]]


def test_without_semester_the_courses_file_is_a_located_problem(tmp_path, isolated_home):
    recipes = recipes_dir(tmp_path, SETTINGS.replace("  course_semester: A\n", ""))
    result = dtu(["validate", str(recipes)], isolated_home)
    assert result.returncode == 2
    assert "courses.yaml:" in result.stderr and "course_semester" in result.stderr


@pytest.mark.parametrize(
    ("course", "message"),
    [
        ('- {id: "2402", name: x, python: "3.12", channels: [conda-forge]}', "five-digit"),
        ('- {id: "02402", name: x, python: "3.12", packages: ["--force"], channels: [c]}',
         "conda spec"),
        ('- {id: "02402", name: x, python: "3.12", packages: ["{home}"], channels: [c]}',
         "conda spec"),
        ('- {id: "02402", name: x, python: "3.12"}', "channels"),
    ],
)  # fmt: skip
def test_bad_courses_are_refused(tmp_path, isolated_home, course, message):
    recipes = recipes_dir(tmp_path)
    (recipes / "courses.yaml").write_text(f"courses:\n  {course}\n")
    result = dtu(["validate", str(recipes)], isolated_home)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_uninstall_course_removes_its_env_and_kernel_only(tmp_path, isolated_home):
    prefix = isolated_home / "miniforge3"
    install_stub_conda(prefix)
    recipes = recipes_dir(tmp_path)
    assert dtu(["run", "--recipes", str(recipes), "course", "02402"], isolated_home).returncode == 0
    # The student's own environment and kernel, and a course env they made themselves.
    (prefix / "envs/mine/conda-meta").mkdir(parents=True)
    (isolated_home / "Library/Jupyter/kernels/mine").mkdir(parents=True)
    (prefix / "envs/10060-A26/conda-meta").mkdir(parents=True)

    dry = dtu(["uninstall", "--recipes", str(recipes), "--dry-run"], isolated_home)
    assert dry.returncode == 0, dry.stderr
    assert "Remove the conda environment 02402-A26" in dry.stdout
    assert "10060" not in dry.stdout  # no targets: what the record names (02402), not 10060

    args = ["uninstall", "--recipes", str(recipes), "course", "02402", "10060", "--yes", "--json"]
    done = dtu(args, isolated_home)
    assert done.returncode == 0, done.stderr
    steps = {s["step"]: (s["status"], s["reason"]) for s in json.loads(done.stdout)["steps"]}
    assert steps["course_uninstall_kernel_02402"][0] == "success"
    assert steps["course_uninstall_02402"][0] == "success"
    assert steps["course_uninstall_10060"] == (
        "skipped",
        "not installed by dtu-install: left as it is",
    )
    assert not (prefix / "envs/02402-A26").exists()
    assert not (isolated_home / "Library/Jupyter/kernels/02402-a26").exists()
    for kept in (prefix / "envs/mine", prefix / "envs/10060-A26", prefix / "bin/conda"):
        assert kept.exists()
    assert (isolated_home / "Library/Jupyter/kernels/mine").exists()
    record = json.loads((isolated_home / ".local/share/dtu-install/installed.json").read_text())
    assert "course_create_02402" not in record["steps"]
    assert "course_kernel_02402" not in record["steps"]


def _in_a_terminal(args: list[str], home: Path, answer: bytes) -> tuple[int, str]:
    """Run dtu-install with a pseudo-terminal as stdin/stdout and type `answer`."""
    import pty
    import select
    import time

    env = {**os.environ, "HOME": str(home), "DTU_INSTALL_NO_TELEMETRY": "1"}
    for var in ("NONINTERACTIVE", "CI", "GITHUB_ACTIONS"):
        env.pop(var, None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec dtu-install on the terminal
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-m", "installer", *args], env)
    out = b""
    deadline = time.monotonic() + 60
    sent = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not sent and b"[y/N]" in out:
            os.write(fd, answer)
            sent = True
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_uninstall_asks_once_and_no_removes_nothing(tmp_path, isolated_home):
    prefix = isolated_home / "miniforge3"
    install_stub_conda(prefix)
    recipes = recipes_dir(tmp_path)
    assert dtu(["run", "--recipes", str(recipes), "course", "02002"], isolated_home).returncode == 0
    args = ["uninstall", "--recipes", str(recipes), "course", "02002"]
    code, out = _in_a_terminal(args, isolated_home, b"n\n")
    assert code == 1, out
    assert "Remove the conda environment 02002-A26" in out and "Nothing was removed." in out
    assert out.count("[y/N]") == 1
    assert (prefix / "envs/02002-A26").exists()
    code, out = _in_a_terminal(args, isolated_home, b"y\n")
    assert code == 0, out
    assert not (prefix / "envs/02002-A26").exists()


def test_uninstall_says_left_not_already_done_for_what_it_leaves(tmp_path, isolated_home):
    """An environment dtu-install did not make is named and left; its step's line and the
    summary must not call it "already done" (that reads as: removed)."""
    prefix = isolated_home / "miniforge3"
    install_stub_conda(prefix)
    recipes = recipes_dir(tmp_path)
    (prefix / "envs/10060-A26/conda-meta").mkdir(parents=True)
    args = ["uninstall", "--recipes", str(recipes), "course", "10060", "--yes"]
    done = dtu(args, isolated_home)
    assert done.returncode == 0, done.stderr
    assert "course_uninstall_10060: left as it is" in done.stdout
    assert "course_uninstall_10060: already done" not in done.stdout
    assert (prefix / "envs/10060-A26").exists()
