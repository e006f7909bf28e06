"""The commit the running installer and recipes were built from (telemetry `dimension3`).

Baked in at build/install time by `tools/write_commit.py` (called by `make venv` and
`make dist`) as `installer/_commit.txt`. Only a source checkout without that file asks git;
nothing ever asks the GitHub API (SPEC 4, **Fix**: the original did, on every event).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from installer.common.quiet_command import quiet_output

COMMIT_FILE = "_commit.txt"
UNKNOWN = "unknown"
SHA_LENGTH = 7
GIT_TIMEOUT_SECONDS = 2.0
_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def _baked() -> str | None:
    try:
        from importlib.resources import files  # works inside the zipapp too

        text = files("installer").joinpath(COMMIT_FILE).read_text(encoding="ascii")
    except (OSError, ValueError, ModuleNotFoundError):
        return None
    sha = text.strip().lower()
    return sha[:SHA_LENGTH] if _SHA.match(sha) else None


def _from_checkout() -> str | None:
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    out = quiet_output(
        ["git", "-C", str(root), "rev-parse", f"--short={SHA_LENGTH}", "HEAD"],
        GIT_TIMEOUT_SECONDS,
    )
    sha = (out or "").lower()
    return sha[:SHA_LENGTH] if _SHA.match(sha) else None


@functools.lru_cache(maxsize=1)
def commit_sha() -> str:
    """7 hex chars, or "unknown"."""
    return _baked() or _from_checkout() or UNKNOWN
