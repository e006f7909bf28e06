"""Bake the current commit into `installer/_commit.txt` (telemetry dimension3).

Run by `make venv` (the install step) and `make dist`. Uses `$GITHUB_SHA` in CI, else
`git rev-parse`; outside a checkout it leaves any existing file alone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "installer" / "_commit.txt"
SHA = re.compile(r"^[0-9a-f]{40}$")


def current_sha() -> str | None:
    env_sha = os.environ.get("GITHUB_SHA", "").strip().lower()
    if SHA.match(env_sha):
        return env_sha
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip().lower()
    return sha if out.returncode == 0 and SHA.match(sha) else None


def main() -> int:
    sha = current_sha()
    if sha is None:
        print("write_commit: not a git checkout; installer/_commit.txt unchanged", file=sys.stderr)
        return 0
    TARGET.write_text(sha[:7] + "\n", encoding="ascii")
    print(f"write_commit: {TARGET.relative_to(ROOT)} = {sha[:7]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
