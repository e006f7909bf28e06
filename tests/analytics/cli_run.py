"""Run `dtu-install` as a real subprocess (a new process = a restart)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping


def dtu(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
