"""Start-up of the single-file build (`make dist`) on Python 3.9, as macOS's /usr/bin/python3
runs it, side by side with the development install.

    .venv/bin/python bench/zipapp_startup.py [--runs 10] [--python39 PATH]

A zipapp cannot cache bytecode (zipimport compiles every imported module on every start),
so the figure that matters is the first command a student runs: `plan`/`run` (typer, rich,
yaml, requests and the recipes loaded); hence the Python 3.9 bytecode `make dist` adds,
measured here against a sources-only build. Each command runs as a fresh process,
round-robin with the others; the table gives the median and 90th percentile wall time, and
the ratio to a bare start of the same interpreter, measured in the same run.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import results_file  # bench/results_file.py (bench/ is on sys.path when a script there runs)

ROOT = Path(__file__).resolve().parent.parent
PLAN = ["plan", "default", "--arch", "arm64", "--os-version", "14.5"]


def _python39(given: str | None) -> str:
    candidates = [given or "", *sorted(glob.glob("/root/.pyenv/versions/3.9*/bin/python"))]
    candidates.append(shutil.which("python3.9") or "")
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("no Python 3.9 found; pass --python39 PATH")


def time_once(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - start) * 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--python39")
    args = parser.parse_args()
    py39 = _python39(args.python39)
    work = tempfile.mkdtemp(prefix="zipapp-bench-")
    pyz = os.path.join(work, "dtu-install.pyz")
    bare_pyz = os.path.join(work, "sources-only.pyz")
    build = [sys.executable, str(ROOT / "tools" / "build_zipapp.py"), "--offline"]
    build += ["--python39", py39]
    subprocess.run([*build, "--out", pyz], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*build, "--no-bytecode", "--out", bare_pyz], check=True, stdout=subprocess.DEVNULL
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": work, "DTU_INSTALL_NO_TELEMETRY": "1"}
    dev = [sys.executable, "-m", "installer"]
    commands: dict[str, list[str]] = {
        "python3.9 -I -S -c pass": [py39, "-I", "-S", "-c", "pass"],
        "zipapp@3.9 --version": [py39, "-I", "-S", pyz, "--version"],
        "zipapp@3.9 --help": [py39, "-I", "-S", pyz, "--help"],
        "zipapp@3.9 plan default": [py39, "-I", "-S", pyz, *PLAN],
        "zipapp@3.9 no-pyc plan": [py39, "-I", "-S", bare_pyz, *PLAN],
        "venv python -c pass": [sys.executable, "-c", "pass"],
        "venv plan default": [*dev, *PLAN],
    }
    dev_env = {**env, "PYTHONPATH": str(ROOT)}
    envs = {name: (dev_env if name.startswith("venv") else env) for name in commands}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():  # warm the file cache and the unpacked recipes
        time_once(argv, work, envs[name])
    for _ in range(args.runs):
        for name, argv in commands.items():
            samples[name].append(time_once(argv, work, envs[name]))
    rows = []
    print(f"{'command':<28} {'median ms':>10} {'p90 ms':>8} {'x bare start':>13}")
    for name, values in samples.items():
        bare = "venv python -c pass" if name.startswith("venv") else "python3.9 -I -S -c pass"
        base = statistics.median(samples[bare])
        median = statistics.median(values)
        p90 = statistics.quantiles(values, n=10)[-1] if len(values) > 1 else median
        rows.append({"command": name, "median_ms": round(median, 1), "p90_ms": round(p90, 1),
                     "ratio_to_bare_start": round(median / base, 2)})  # fmt: skip
        print(f"{name:<28} {median:>10.1f} {p90:>8.1f} {median / base:>13.2f}")
    plan = statistics.median(samples["zipapp@3.9 plan default"])
    ratio = plan / statistics.median(samples["venv plan default"])
    saved = statistics.median(samples["zipapp@3.9 no-pyc plan"]) / plan
    print(
        f"\n`plan default`: zipapp on 3.9 / venv {ratio:.2f}x; without bytecode {saved:.2f}x slower"
    )
    result = {
        "benchmark": "zipapp_startup",
        "runs": args.runs,
        "python39": py39,
        "zipapp_bytes": os.path.getsize(pyz),
        "plan_ratio_zipapp_to_venv": round(ratio, 2),
        "plan_ratio_sources_only_to_bytecode": round(saved, 2),
        "rows": rows,
    }
    results_file.write("zipapp_startup", result)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
