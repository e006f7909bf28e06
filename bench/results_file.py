"""What every benchmark records beside its figures, and where: `bench/results/<name>.json`.

Other work on the machine slows every figure, so each result carries the load average and
the niceness it ran at, and the command that reproduces it.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    return {
        "platform": f"{platform.system()} {platform.machine()}",
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
        "niceness": os.nice(0),  # -15 when run under `nice -n -15`, ahead of other jobs
    }


def command() -> str:
    script = Path(sys.argv[0]).name
    nice = f"nice -n {os.nice(0)} " if os.nice(0) else ""
    return " ".join([f"{nice}.venv/bin/python", f"bench/{script}", *sys.argv[1:]])


def write(name: str, result: dict[str, Any]) -> Path:
    """Add the machine and command to `result` and write it as `bench/results/<name>.json`."""
    result = {**result, "machine": machine()}
    result.setdefault("command", command())
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
