"""A short command whose output we want and whose failure we shrug off: `git rev-parse`
for the build's commit, `sw_vers`/`sysctl`/`uname` for the platform facts.

The runner's step commands go through `installer/steps/process.py` (streamed into the run
log, process group stopped on timeout or Ctrl-C); this is the other, quiet kind: captured,
bounded by a timeout, never raising (also the sudo ticket's keep-alive, whose output nobody
reads).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence


def quiet_output(argv: Sequence[str], timeout: float) -> str | None:
    """The command's stdout without surrounding whitespace when it exits 0; None when it
    cannot start, fails, or outlives `timeout` seconds."""
    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,  # never a prompt that waits on the user's terminal
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None
