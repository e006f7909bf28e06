"""Telemetry's cost to an install: 100 no-op steps through the real runner.

Each variant runs `installer.runner.command.run` (what `dtu-install run --yes` calls, display
and all) in a fresh child process with its own HOME, and times that call: planning, the
telemetry sink's start-up, the 100 steps (each a real `true` subprocess), and the sink's
close (bounded flush). Variants, side by side in one run:

  off                  telemetry off (DO_NOT_TRACK=1)
  ours / slow 500 ms   our sink; a tracking server that answers every request after 500 ms
  ours / black hole    our sink; a server that accepts connections and never answers
  original / slow      the original design: one blocking GET per step (curl --max-time 10)
  original / black hole  same, each step waits the full 10 s: measured on a few steps and
                       scaled to 100 (marked "scaled"), since 100 x 10 s is 17 minutes

    .venv/bin/python bench/bench_telemetry.py [--steps 100] [--repeat 3]

Target (issue 5): ours <= 1.05 x off + the flush bound (2 s), for both servers.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import results_file  # bench/results_file.py (bench/ is on sys.path when a script there runs)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLOW_SECONDS = 0.5
ORIGINAL_MAX_TIME = 10.0  # the original utility: curl --max-time 10 --connect-timeout 5
ORIGINAL_BLACKHOLE_STEPS = 3


def write_recipes(root: Path, steps: int) -> Path:
    (root / "profiles").mkdir(parents=True)
    lines = ["recipe: noop", "description: no-op steps for the telemetry benchmark", "steps:"]
    for i in range(steps):
        lines += [
            f"  - name: noop_run_{i:03d}",
            "    description: does nothing",
            '    check: {path_exists: "{home}/never-there"}',
            '    command: ["true"]',
        ]
    (root / "noop.yaml").write_text("\n".join(lines) + "\n")
    (root / "profiles" / "bench.yaml").write_text(
        "profile: bench\ndescription: bench\nrecipes: [noop]\n"
    )
    return root


class OriginalDesignSink:
    """One blocking GET per step on the install's path, as the original bash utility did."""

    def __init__(self, url: str, max_time: float) -> None:
        self.url = url
        self.max_time = max_time

    def record(self, outcome: object) -> None:
        import urllib.request
        from urllib.parse import urlencode

        step = getattr(outcome, "step", "?")
        query = urlencode(
            {"idsite": "bench", "rec": "1", "e_c": "Installer", "e_a": "Event", "e_n": step,
             "e_v": "1", "dimension1": "Darwin14.5", "dimension2": "arm64"}
        )  # fmt: skip
        with contextlib.suppress(Exception):  # curl ... 2>/dev/null: failures are ignored
            urllib.request.urlopen(f"{self.url}?{query}", timeout=self.max_time).read()

    def close(self) -> None:
        pass


def child(variant: str, recipes: str, url: str) -> None:
    """Runs in a fresh process: one install, timed; prints a JSON line."""
    from installer.runner import command
    from installer.telemetry.spool import SPOOL_NAME

    make_sink = command.telemetry_sink
    if variant == "original":
        make_sink = lambda facts, **kw: OriginalDesignSink(url, ORIGINAL_MAX_TIME)  # noqa: E731
    closing: list[float] = []

    class Timed:
        """Times the sink's `close` (the bounded flush) inside the real run."""

        def __init__(self, inner: object) -> None:
            self.inner = inner

        def record(self, outcome: object) -> None:
            self.inner.record(outcome)  # type: ignore[attr-defined]

        def close(self) -> None:
            started = time.perf_counter()
            self.inner.close()  # type: ignore[attr-defined]
            closing.append(time.perf_counter() - started)

    command.telemetry_sink = lambda facts, **kw: Timed(make_sink(facts, **kw))  # type: ignore[assignment]
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = command.run(["bench"], recipe_paths=[Path(recipes)], assume_yes=True)
    seconds = time.perf_counter() - started
    from installer import paths

    spool = paths.data_dir() / SPOOL_NAME
    spooled = len(spool.read_text().splitlines()) if spool.exists() else 0
    print(json.dumps({"seconds": seconds, "exit": code, "spooled": spooled, "close": sum(closing)}))


def run_variant(
    variant: str, recipes: Path, url: str, extra_env: dict[str, str]
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DTU_", "CI"))}
        env.pop("DO_NOT_TRACK", None)
        env.update(
            HOME=home,
            DTU_INSTALL_ALLOW_ROOT="1",
            DTU_INSTALL_TELEMETRY_URL=url,
            DTU_INSTALL_TELEMETRY_POLICY="on",
            **extra_env,
        )
        out = subprocess.run(
            [sys.executable, __file__, "--child", variant, str(recipes), url],
            capture_output=True, text=True, env=env, check=False, timeout=3600,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"variant {variant} failed:\n{out.stdout}\n{out.stderr}")
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from installer.telemetry.config import DEFAULT_FLUSH_SECONDS
    from tests.helpers.hit_recorder import HitRecorder

    rows: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        full = write_recipes(Path(tmp) / "full", args.steps)
        few = write_recipes(Path(tmp) / "few", ORIGINAL_BLACKHOLE_STEPS)
        with (
            HitRecorder(mode=f"slow:{SLOW_SECONDS}") as slow,
            HitRecorder(mode="blackhole") as hole,
        ):
            # (name, design, server, env, recipes, scale); ours and off are interleaved, one
            # repetition of each after the other, so that load on the machine hits all alike.
            ours = [
                ("off", "ours", slow, {"DO_NOT_TRACK": "1"}, full, 1.0),
                ("ours / slow 500 ms", "ours", slow, {}, full, 1.0),
                ("ours / black hole", "ours", hole, {}, full, 1.0),
            ]
            original = [
                ("original / slow 500 ms", "original", slow, {}, full, 1.0),
                ("original / black hole", "original", hole, {}, few,
                 args.steps / ORIGINAL_BLACKHOLE_STEPS),
            ]  # fmt: skip
            samples: dict[str, list[dict[str, float]]] = {}
            for repeat, variants in ((args.repeat, ours), (1, original)):
                for _ in range(repeat):
                    for name, design, server, env, recipes, scale in variants:
                        before = len(server.received)
                        result = run_variant(design, recipes, server.url, env)
                        result["seconds"] *= scale
                        result["received"] = len(server.received) - before
                        samples.setdefault(name, []).append(result)
                        print(f"  {name}: {result['seconds']:.2f} s", file=sys.stderr)
            for name, results in samples.items():
                scaled = name == "original / black hole"
                rows[name] = {
                    "seconds": statistics.median(r["seconds"] for r in results),
                    "all_seconds": ", ".join(f"{r['seconds']:.2f}" for r in results),
                    "runs": len(results),
                    "hits_received_by_server": results[-1]["received"],
                    "hits_spooled": results[-1]["spooled"],
                    "close_seconds_max": max(r["close"] for r in results),
                    "note": f"scaled from {ORIGINAL_BLACKHOLE_STEPS} steps" if scaled else "",
                }

    off = float(rows["off"]["seconds"])
    bound = 1.05 * off + DEFAULT_FLUSH_SECONDS
    print(f"\n{args.steps} no-op steps through the real runner (median of {args.repeat})")
    print(f"target: ours <= 1.05 x off + {DEFAULT_FLUSH_SECONDS:.0f} s = {bound:.2f} s")
    print(
        f"{'variant':<24}{'seconds':>9}{'vs off':>11}{'x off':>9}{'close':>7}{'sent':>6}"
        f"{'spooled':>8}"
    )
    verdicts = {}
    for name, row in rows.items():
        seconds = float(row["seconds"])
        ok = ""
        if name.startswith("ours"):
            verdicts[name] = seconds <= bound
            ok = "  ok" if verdicts[name] else "  OVER"
        note = f"  ({row['note']})" if row["note"] else ""
        print(
            f"{name:<24}{seconds:>9.2f}{f'+{seconds - off:.2f}':>11}{seconds / off:>9.2f}"
            f"{row['close_seconds_max']:>7.2f}{row['hits_received_by_server']:>6}"
            f"{row['hits_spooled']:>8}{ok}{note}"
        )
    results_file.write(
        "bench_telemetry",
        {
            "bench": "telemetry",
            "settings": {
                "steps": args.steps,
                "repeat": args.repeat,
                "slow_seconds": SLOW_SECONDS,
                "flush_bound": DEFAULT_FLUSH_SECONDS,
                "original_max_time": ORIGINAL_MAX_TIME,
            },
            "target_seconds": bound,
            "results": rows,
            "meets_target": verdicts,
        },
    )
    return 0 if all(verdicts.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
