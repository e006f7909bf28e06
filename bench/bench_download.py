"""Download speed: our streamed download with sha256 on the way vs `curl -o`, same file,
same local HTTPS server, same run; and our peak memory.

    .venv/bin/python bench/bench_download.py [--mb 200] [--rounds 3]

The server (tests/helpers/download_server.py) runs in its own process. Our side runs in a
fresh subprocess per round (`--child`), which measures the download (fetch + verify +
rename, after imports) and its own peak RSS with resource.getrusage. curl's time is its
process's wall time. CPU seconds are recorded beside wall time for every side (ours from
the child's process_time, curl's from its rusage, the server's from /proc), because on a
machine with few cores the server, the client and the hashing compete for them. Each round
runs, in turn: ours; ours hashing on the receiving thread;
ours with no hashing at all (a diagnostic: an unverified download, to show what the sha256
costs here); curl. Medians are compared.

Two more figures come with every run, so that a reader can tell the downloader from the
machine. `cpu_floor_ratio`: the least wall time any client with our CPU seconds could take
on this machine's cores beside this server ((client CPU + server CPU) / CPUs), over curl's
wall time: where it is near the target, no scheduling can meet the target. `link`: the same
file from the same server throttled to a fast campus link (`--link-mb-s`, default 100 MB/s),
ours against curl: what a student's download meets, where the network, not the CPU, is the
limit and the sha256 has to hide behind it.

    nice -n -15 .venv/bin/python bench/bench_download.py --rounds 7

Targets (issue 3): ours <= 1.15x curl; peak RSS < 80 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import results_file  # bench/results_file.py (bench/ is on sys.path when a script there runs)

ROOT = Path(__file__).resolve().parent.parent
MAX_RATIO = 1.15
MAX_RSS_MB = 80.0


class InlineHasher:
    """The alternative measured beside ours: hashing each block on the receiving thread."""

    def __init__(self, inner: object) -> None:
        from installer.steps.hashing import BLOCK_BYTES

        self.inner = inner
        self._block = memoryview(bytearray(BLOCK_BYTES))

    def block(self) -> memoryview:
        return self._block

    def submit(self, block: memoryview, size: int) -> None:
        self.inner.update(block[:size])  # type: ignore[attr-defined]

    def close(self) -> None:
        pass

    def hexdigest(self) -> str:
        return str(self.inner.hexdigest())  # type: ignore[attr-defined]


class NoHasher(InlineHasher):
    """Diagnostic only: no hashing at all, to show what the sha256 costs on this machine.
    Paired with an unverified download (nothing is compared), so no digest is pretended."""

    def submit(self, block: memoryview, size: int) -> None:
        pass

    def hexdigest(self) -> str:
        return ""


def child(url: str, dest: str, digest: str, ca: str, variant: str) -> None:
    from installer.steps import download
    from installer.steps.download import Network, fetch, install
    from installer.steps.download_action import DownloadAction
    from installer.steps.model import RetryPolicy

    if variant == "inline":
        vars(download)["BlockHasher"] = InlineHasher  # patch the name _fetch_once uses
    from installer.steps.retry import Attempted
    from installer.steps.runlog import RunLog

    action = DownloadAction(url=url, dest=dest, sha256=digest)
    if variant == "nohash":
        vars(download)["BlockHasher"] = NoHasher
        action = DownloadAction(url=url, dest=dest, unverified_reason="diagnostic")
    net = Network(RunLog(None), verify=ca)
    started, cpu_started = time.perf_counter(), time.process_time()
    install(fetch(action, net, "bench", RetryPolicy(), Attempted(0)), action)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if sys.platform == "darwin":
        rss_mb /= 1024  # bytes on macOS
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_mb": rss_mb}))


def start_server(path: Path, rate: float | None = None) -> tuple[subprocess.Popen[str], int, str]:
    throttle = ["--rate", str(rate)] if rate else []
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.download_server",
            "--file",
            str(path),
            "--path",
            "/big.bin",
            *throttle,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port, ca = server.stdout.readline().split()
    return server, int(port), ca


VARIANTS = ("ours", "inline", "nohash")  # our child's variants, then curl, every round
SIDES = (*VARIANTS, "curl")


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far; Linux only (the server's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    url: str,
    digest: str,
    ca: str,
    tmp: Path,
    rounds: int,
    server_pid: int,
    sides: tuple[str, ...] = SIDES,
) -> tuple[dict[str, dict[str, list[float]]], list[float]]:
    """Per side (our variants and curl), rounds interleaved: wall seconds, the client's CPU
    seconds and the server's CPU seconds; and our children's peak RSS."""
    got: dict[str, dict[str, list[float]]] = {
        side: {"seconds": [], "cpu": [], "server_cpu": []} for side in sides
    }
    rss: list[float] = []
    for _ in range(rounds):
        for side in sides:
            server_before = process_cpu(server_pid)
            if side == "curl":
                out = tmp / "curl.bin"
                cpu_before, started = children_cpu(), time.perf_counter()
                subprocess.run(["curl", "-sS", "--cacert", ca, "-o", str(out), url], check=True)
                got[side]["seconds"].append(time.perf_counter() - started)
                got[side]["cpu"].append(children_cpu() - cpu_before)
            else:
                out = tmp / "ours.bin"
                argv = [sys.executable, __file__, "--child", url, str(out), digest, ca]
                done = subprocess.run(
                    [*argv, "--variant", side], cwd=ROOT, capture_output=True, text=True, check=True
                )
                measured = json.loads(done.stdout)
                got[side]["seconds"].append(measured["seconds"])
                got[side]["cpu"].append(measured["cpu"])
                rss.append(measured["rss_mb"])
            server_after = process_cpu(server_pid)
            if server_before is not None and server_after is not None:
                got[side]["server_cpu"].append(server_after - server_before)
            out.unlink()
    return got, rss


PROBE_MB = 256


def sha256_rate(_: int = 0) -> float:
    """MB/s of sha256 over 1 MiB blocks in this process."""
    block = memoryview(os.urandom(1 << 20))
    hasher = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(PROBE_MB):
        hasher.update(block)
    return PROBE_MB / (time.perf_counter() - started)


def python_loop_seconds(_: int = 0) -> float:
    """Seconds for a plain Python loop: no vector or crypto instructions at all."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.perf_counter() - started


def parallel_hashing_probe() -> dict[str, object]:
    """Can a second hashing thread run beside the rest here? sha256 alone, then in two
    processes at once. On a machine whose CPUs are really separate cores each keeps its
    speed; where they share one core's crypto units (hyperthreads of one core), each gets
    about half, and hashing cannot overlap the TLS work of the server and the client."""
    alone, loop_alone = sha256_rate(), python_loop_seconds()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(sha256_rate, range(2))  # warm: spawn and import before timing
        both = pool.map(sha256_rate, range(2))
        loops = pool.map(python_loop_seconds, range(2))
    return {
        "alone_mb_s": round(alone),
        "two_at_once_each_mb_s": [round(r) for r in both],
        # The control: plain Python in two processes at once keeps its speed, or not.
        "python_loop_alone_s": round(loop_alone, 3),
        "python_loop_two_at_once_s": [round(t, 3) for t in loops],
    }


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def cpu_floor(side: dict[str, list[float]], cpus: int) -> float | None:
    """The least wall seconds a side's client and server CPU seconds can take on `cpus`
    cores (both busy all the time, no waiting): (client CPU + server CPU) / cpus."""
    if not side["server_cpu"]:
        return None  # the server's CPU is read from /proc: Linux only
    return (statistics.median(side["cpu"]) + statistics.median(side["server_cpu"])) / cpus


def measure_link(
    src: Path, digest: str, tmp: Path, rounds: int, mb_per_s: float
) -> dict[str, object]:
    """Ours against curl from the same server throttled to `mb_per_s` (a student's link)."""
    server, port, ca = start_server(src, rate=mb_per_s * 1e6)
    try:
        url = f"https://127.0.0.1:{port}/big.bin"
        got, _ = measure(url, digest, ca, tmp, rounds, server.pid, sides=("ours", "curl"))
    finally:
        server.terminate()
        server.wait()
    ours, curl = (statistics.median(got[side]["seconds"]) for side in ("ours", "curl"))
    return {
        "mb_per_s": mb_per_s,
        "rounds": rounds,
        "seconds": {side: [round(v, 3) for v in got[side]["seconds"]] for side in got},
        "cpu": {side: [round(v, 3) for v in got[side]["cpu"]] for side in got},
        "ratio_median": round(ours / curl, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--link-mb-s", type=float, default=100.0, help="0: skip the link runs")
    parser.add_argument("--link-rounds", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("URL", "DEST", "SHA", "CA"))
    parser.add_argument("--variant", default="ours", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, dest, sha, ca = args.child
        child(url, dest, sha, ca, variant=args.variant)
        return
    if not shutil.which("curl"):
        sys.exit("curl is needed for the comparison")
    probe = parallel_hashing_probe()
    with tempfile.TemporaryDirectory(prefix="bench-dl-") as tmp:
        src = Path(tmp) / "big.bin"
        hasher = hashlib.sha256()
        with src.open("wb") as f:
            for _ in range(args.mb):
                block = os.urandom(1 << 20)
                hasher.update(block)
                f.write(block)
        digest = hasher.hexdigest()
        server, port, ca = start_server(src)
        url = f"https://127.0.0.1:{port}/big.bin"
        try:
            got, rss = measure(url, digest, ca, Path(tmp), args.rounds, server.pid)
        finally:
            server.terminate()
            server.wait()
        link = (
            measure_link(src, digest, Path(tmp), args.link_rounds, args.link_mb_s)
            if args.link_mb_s
            else None
        )
    curl = statistics.median(got["curl"]["seconds"])
    medians = {side: {key: median(values) for key, values in got[side].items()} for side in SIDES}
    ratio = statistics.median(got["ours"]["seconds"]) / curl
    cpus = os.cpu_count() or 1
    floors = {side: cpu_floor(got[side], cpus) for side in VARIANTS}
    result = {
        "size_mb": args.mb,
        "rounds": args.rounds,
        "cpus": cpus,
        # Per side: wall seconds, client CPU seconds, server CPU seconds, each round.
        # inline = hashing on the receiving thread; nohash = a diagnostic, unverified
        # download, to show what the sha256 costs here.
        "sides": {
            side: {key: [round(v, 3) for v in values] for key, values in got[side].items()}
            for side in SIDES
        },
        "medians": medians,
        "ratio_median": round(ratio, 3),
        "inline_hash_ratio_median": round(statistics.median(got["inline"]["seconds"]) / curl, 3),
        "no_hash_ratio_median": round(statistics.median(got["nohash"]["seconds"]) / curl, 3),
        # The least ratio to curl each variant's CPU seconds allow on these cores.
        "cpu_floor_ratio": {
            side: None if floor is None else round(floor / curl, 3)
            for side, floor in floors.items()
        },
        "link": link,
        "peak_rss_mb": round(max(rss), 1),
        "sha256_parallel_probe": probe,
        "targets": {"max_ratio": MAX_RATIO, "max_rss_mb": MAX_RSS_MB},
        "ok": ratio <= MAX_RATIO and max(rss) < MAX_RSS_MB,
    }
    labels = {
        "ours": "ours (sha256, rename)",
        "inline": "(hash on same thread)",
        "nohash": "(no hash: diagnostic)",
        "curl": "curl -o",
    }
    print(f"{'median':24}{'wall s':>9}{'client CPU s':>14}{'server CPU s':>14}{'CPU floor':>11}")
    for side, label in labels.items():
        row = medians[side]
        floor = result["cpu_floor_ratio"].get(side)  # type: ignore[attr-defined]
        floor_text = "" if floor is None else f"{floor:.2f}x"
        print(
            f"{label:24}{row['seconds']:>9}{row['cpu']:>14}{row['server_cpu']!s:>14}"
            f"{floor_text:>11}"
        )
    print(
        f"sha256 alone {probe['alone_mb_s']} MB/s; two processes at once:"
        f" {probe['two_at_once_each_mb_s']} MB/s each (a plain Python loop: alone"
        f" {probe['python_loop_alone_s']} s, two at once {probe['python_loop_two_at_once_s']} s)"
    )
    print(
        f"ratio ours/curl: {ratio:.3f} (target <= {MAX_RATIO});"
        f" peak RSS {max(rss):.1f} MB (target < {MAX_RSS_MB:.0f})"
    )
    if link is not None:
        print(
            f"at {args.link_mb_s:g} MB/s (server throttled): ratio ours/curl"
            f" {link['ratio_median']:.3f}, medians of {args.link_rounds}"
        )
    results_file.write("bench_download", result)


if __name__ == "__main__":
    main()
