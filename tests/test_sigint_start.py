"""The suite gives its children SIGINT at its default even when it was started with SIGINT
ignored (`nohup make test`, a CI shell without job control): the Ctrl-C tests stand for a
student at a terminal (tests/conftest.py, pytest_configure)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

INNER_TEST = """
import subprocess, sys

def test_a_child_python_gets_keyboard_interrupt():
    code = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
"""


def test_a_suite_started_with_sigint_ignored_gives_children_the_default(tmp_path: Path) -> None:
    inner = tmp_path / "test_inner.py"
    inner.write_text(INNER_TEST)
    # `trap '' INT` is what a shell without job control does to a background command.
    command = (
        "trap '' INT; exec \"$0\" -m pytest -q -c /dev/null -p tests.conftest "
        '-p no:randomly -p no:xdist -p no:cacheprovider "$1"'
    )
    done = subprocess.run(
        ["sh", "-c", command, sys.executable, str(inner)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
