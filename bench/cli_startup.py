"""Start-up time of the command line: `dtu-install --version` against `python -c pass`.

    .venv/bin/python bench/cli_startup.py [--runs 40]

Target (issue 2): `dtu-install --version` answers in under 150 ms median. Each command runs
as a fresh process, round-robin with the others (so that machine load hits all alike); the
table gives the median and the 90th percentile wall time, and the ratio to a bare Python
start (`python -c pass`), measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import results_file  # bench/results_file.py (bench/ is on sys.path when a script there runs)

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 150.0
PYTHON = sys.executable
ENTRY = str(Path(PYTHON).parent / "dtu-install")

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "dtu-install --version": [ENTRY, "--version"],
    "python -m installer --version": [PYTHON, "-m", "installer", "--version"],
    "dtu-install --help": [ENTRY, "--help"],
    "dtu-install validate": [ENTRY, "validate"],
}


def time_once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():  # warm the file cache once
        time_once(argv)
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            samples[name].append(time_once(argv))
    base = statistics.median(samples["python -c pass"])
    rows = []
    print(f"{'command':<32} {'median ms':>10} {'p90 ms':>8} {'x python':>9}")
    for name, values in samples.items():
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1]
        rows.append({"command": name, "median_ms": round(median, 1), "p90_ms": round(p90, 1),
                     "ratio_to_python": round(median / base, 2)})  # fmt: skip
        print(f"{name:<32} {median:>10.1f} {p90:>8.1f} {median / base:>9.2f}")
    version = statistics.median(samples["dtu-install --version"])
    verdict = "PASS" if version < TARGET_MS else "FAIL"
    print(f"\n--version median {version:.1f} ms, target < {TARGET_MS:.0f} ms: {verdict}")
    result = {
        "benchmark": "cli_startup",
        "runs": args.runs,
        "target_ms": TARGET_MS,
        "version_median_ms": round(version, 1),
        "pass": version < TARGET_MS,
        "rows": rows,
    }
    results_file.write("cli_startup", result)
    return 0 if version < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
