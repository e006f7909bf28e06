"""The one quiet-command helper (build_info's git, the platform facts, sudo's keep-alive),
run against real processes."""

from __future__ import annotations

import sys
import time

from installer.common.quiet_command import quiet_output


def test_output_of_a_command_that_succeeds_is_stripped() -> None:
    assert quiet_output([sys.executable, "-c", "print('  15.1  ')"], 10.0) == "15.1"


def test_a_failing_command_gives_none_even_with_output() -> None:
    argv = [sys.executable, "-c", "print('unknown oid'); raise SystemExit(1)"]
    assert quiet_output(argv, 10.0) is None


def test_a_missing_program_gives_none() -> None:
    assert quiet_output(["/nonexistent/dtu-no-such-program"], 10.0) is None


def test_a_command_that_hangs_is_cut_off_at_the_timeout() -> None:
    started = time.monotonic()
    assert quiet_output([sys.executable, "-c", "import time; time.sleep(30)"], 0.5) is None
    assert time.monotonic() - started < 20


def test_the_command_never_reads_our_stdin() -> None:
    # stdin is /dev/null: a command that would prompt sees end of file at once.
    argv = [sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"]
    assert quiet_output(argv, 10.0) == "''"
