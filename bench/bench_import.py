"""Import speed and database size: `dtu-install analytics import` of N hits (default 1,000,000)
in the tracker's own format (one query string per line), run as users run it (a subprocess),
then the same file again (idempotent: adds nothing).

    .venv/bin/python bench/bench_import.py [--hits 1000000]

Target (issue 6): 1,000,000 hits in at most 30 s; database size per million events reported.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import results_file  # bench/results_file.py (bench/ is on sys.path when a script there runs)

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS_PER_MILLION = 30.0

STEPS = [
    "xcode_install",
    "homebrew_install",
    "homebrew_shellenv",
    "miniforge_download",
    "miniforge_install",
    "conda_init",
    "python_install_3.12",
    "vscode_download",
    "vscode_install",
    "vscode_extension_python",
]
ERRORS = ["network_error", "permission_error", "disk_error", "timeout_error", "unknown_error"]
OS_VERSIONS = ["Darwin12.7.6", "Darwin13.6.9", "Darwin14.7.1", "Darwin15.3", "Darwin26.0"]
CATEGORIES = ["Installer"] * 8 + ["Installer_CI", "Installer_TEST"]
SHAS = ["a1b2c3d", "b2c3d4e", "c3d4e5f", "d4e5f60"]


def write_hits(path: Path, count: int, seed: int = 6) -> None:
    """Realistic hits: runs of ~10 steps, ~8% failures, a year of timestamps."""
    rng = random.Random(seed)
    start = 1_735_689_600  # 2025-01-01
    with path.open("w", encoding="utf-8") as f:
        n = 0
        while n < count:
            run = f"{rng.getrandbits(64):016x}"
            os_version, arch = rng.choice(OS_VERSIONS), rng.choice(["arm64", "x86_64"])
            category, sha = rng.choice(CATEGORIES), rng.choice(SHAS)
            ts = start + rng.randrange(365 * 86400)
            for step in STEPS:
                if n == count:
                    break
                failed = rng.random() < 0.08
                error = rng.choice(ERRORS) if failed else ""
                name = f"{step}_{error}" if failed else step
                ts += rng.randrange(1, 120)
                f.write(
                    "?idsite=0bc7bce7-fb4d-4159-a809-e6bab2b3a431&rec=1"
                    f"&e_c={category}&e_a=Event&e_n={name}&e_v={0 if failed else 1}"
                    f"&dimension1={os_version}&dimension2={arch}&dimension3={sha}"
                    f"&dimension4={rng.random() * 60:.3f}&dimension5={error}&dimension6={run}"
                    f"&_id={run}&cdt={ts}&url={quote('app://dtu-install/' + step, safe='')}"
                    f"&action_name={step}\n"
                )
                n += 1


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_import(path: Path, db: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the import and its worker processes, its output)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "installer", "analytics", "import", str(path), "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"import failed ({result.returncode}): {result.stderr[:2000]}")
    return elapsed, cpu, result.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hits, db = Path(tmp) / "hits.txt", Path(tmp) / "events.sqlite3"
        write_hits(hits, args.hits)
        first, first_cpu, first_out = timed_import(hits, db)
        again, again_cpu, again_out = timed_import(hits, db)
        with sqlite3.connect(db) as conn:
            (stored,) = conn.execute("SELECT COUNT(*) FROM events").fetchone()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db_bytes = db.stat().st_size
        file_bytes = hits.stat().st_size
    per_million = 1_000_000 / args.hits
    rows = {
        "hits": args.hits,
        "stored": stored,
        "input_mb": file_bytes / 1e6,
        "first_import_s": first,
        "second_import_s": again,
        "hits_per_s": args.hits / first,
        "seconds_per_million": first * per_million,
        # CPU time is what the import needs whatever else runs on the machine; on an idle
        # machine with C cores the wall time approaches cpu / C (parsing runs on every core).
        "first_import_cpu_s": first_cpu,
        "second_import_cpu_s": again_cpu,
        "cpu_seconds_per_million": first_cpu * per_million,
        "db_mb": db_bytes / 1e6,
        "db_mb_per_million_events": db_bytes / 1e6 * 1_000_000 / max(stored, 1),
        "first_output": first_out,
        "second_output": again_out,
    }
    ok = "ok" if rows["seconds_per_million"] <= TARGET_SECONDS_PER_MILLION else "MISSED"
    print(
        f"{'hits':>9} {'import s':>9} {'hits/s':>9} {'s/1M':>6} {'target':>7} "
        f"{'again s':>8} {'stored':>9} {'DB MB/1M':>9} {'CPU s/1M':>9}"
    )
    print(
        f"{args.hits:>9} {first:>9.1f} {rows['hits_per_s']:>9.0f} "
        f"{rows['seconds_per_million']:>6.1f} {TARGET_SECONDS_PER_MILLION:>4.0f} {ok:<3}"
        f"{again:>7.1f} {stored:>9} {rows['db_mb_per_million_events']:>9.0f} "
        f"{rows['cpu_seconds_per_million']:>9.1f}"
    )
    result = {
        "bench": "import",
        "target_seconds_per_million": TARGET_SECONDS_PER_MILLION,
        "results": rows,
    }
    results_file.write("bench_import", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
