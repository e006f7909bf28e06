"""Download speed: our streamed download with sha256 on the way vs `curl -o`, same file,
same local HTTPS server, same run; and our peak memory.

    .venv/bin/python bench/bench_download.py [--mb 200] [--rounds 3]

The server (tests/helpers/download_server.py) runs in its own process. Our side runs in a
fresh subprocess per round (`--child`), which measures the download (fetch + verify +
rename, after imports) and its own peak RSS with resource.getrusage. curl's time is its
process's wall time. Each round runs, in turn: ours; ours hashing on the receiving thread;
ours with no hashing at all (a diagnostic: an unverified download, to show what the sha256
costs here); curl. Medians are compared.

    nice -n -15 .venv/bin/python bench/bench_download.py --rounds 7

Targets (issue 3): ours <= 1.15x curl; peak RSS < 80 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
    """The alternative measured beside ours: hashing on the receiving thread."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.update = inner.update  # type: ignore[attr-defined]

    def close(self) -> None:
        pass

    def hexdigest(self) -> str:
        return str(self.inner.hexdigest())  # type: ignore[attr-defined]


class NoHasher:
    """Diagnostic only: no hashing at all, to show what the sha256 costs on this machine.
    Paired with an unverified download (nothing is compared), so no digest is pretended."""

    def __init__(self, inner: object) -> None:
        pass

    def update(self, chunk: bytes) -> None:
        pass

    def close(self) -> None:
        pass

    def hexdigest(self) -> str:
        return ""


def child(url: str, dest: str, digest: str, ca: str, variant: str) -> None:
    from installer.recipes.model import DownloadAction, RetryPolicy
    from installer.runner import download
    from installer.runner.download import Network, fetch, install

    if variant == "inline":
        vars(download)["BackgroundHasher"] = InlineHasher  # patch the name _fetch_once uses
    from installer.runner.retry import Attempted
    from installer.runner.runlog import RunLog

    action = DownloadAction(url=url, dest=dest, sha256=digest)
    if variant == "nohash":
        vars(download)["BackgroundHasher"] = NoHasher
        action = DownloadAction(url=url, dest=dest, unverified_reason="diagnostic")
    net = Network(RunLog(None), verify=ca)
    started = time.perf_counter()
    install(fetch(action, net, "bench", RetryPolicy(), Attempted(0)), action)
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    if sys.platform == "darwin":
        rss_mb /= 1024  # bytes on macOS
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb}))


def start_server(path: Path) -> tuple[subprocess.Popen[str], int, str]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.helpers.download_server",
            "--file",
            str(path),
            "--path",
            "/big.bin",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port, ca = server.stdout.readline().split()
    return server, int(port), ca


VARIANTS = ("ours", "inline", "nohash")  # our child's variants, then curl, every round


def measure(
    url: str, digest: str, ca: str, tmp: Path, rounds: int
) -> tuple[dict[str, list[float]], list[float]]:
    """Seconds per variant and curl, rounds interleaved; and our children's peak RSS."""
    times: dict[str, list[float]] = {name: [] for name in (*VARIANTS, "curl")}
    rss: list[float] = []
    for _ in range(rounds):
        for variant in VARIANTS:
            dest = tmp / "ours.bin"
            argv = [sys.executable, __file__, "--child", url, str(dest), digest, ca]
            done = subprocess.run(
                [*argv, "--variant", variant], cwd=ROOT, capture_output=True, text=True, check=True
            )
            measured = json.loads(done.stdout)
            times[variant].append(measured["seconds"])
            rss.append(measured["rss_mb"])
            dest.unlink()
        out = tmp / "curl.bin"
        started = time.perf_counter()
        subprocess.run(["curl", "-sS", "--cacert", ca, "-o", str(out), url], check=True)
        times["curl"].append(time.perf_counter() - started)
        out.unlink()
    return times, rss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=4, metavar=("URL", "DEST", "SHA", "CA"))
    parser.add_argument("--variant", default="ours", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, dest, sha, ca = args.child
        child(url, dest, sha, ca, variant=args.variant)
        return
    if not shutil.which("curl"):
        sys.exit("curl is needed for the comparison")
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
            times, rss = measure(url, digest, ca, Path(tmp), args.rounds)
        finally:
            server.terminate()
            server.wait()
    ours, inline, nohash, curl = (times[v] for v in (*VARIANTS, "curl"))
    ratio = statistics.median(ours) / statistics.median(curl)
    result = {
        "size_mb": args.mb,
        "rounds": args.rounds,
        "ours_seconds": [round(s, 3) for s in ours],
        "curl_seconds": [round(s, 3) for s in curl],
        "inline_hash_seconds": [round(s, 3) for s in inline],
        "inline_hash_ratio_median": round(statistics.median(inline) / statistics.median(curl), 3),
        # Diagnostic: the same download with no hashing and nothing verified.
        "no_hash_seconds": [round(s, 3) for s in nohash],
        "no_hash_ratio_median": round(statistics.median(nohash) / statistics.median(curl), 3),
        "ratio_median": round(ratio, 3),
        "peak_rss_mb": round(max(rss), 1),
        "targets": {"max_ratio": MAX_RATIO, "max_rss_mb": MAX_RSS_MB},
        "ok": ratio <= MAX_RATIO and max(rss) < MAX_RSS_MB,
    }
    print(f"{'':24}{'median s':>10}")
    print(f"{'ours (sha256, rename)':24}{statistics.median(ours):>10.3f}")
    print(f"{'(hash on same thread)':24}{statistics.median(inline):>10.3f}")
    print(f"{'(no hash: diagnostic)':24}{statistics.median(nohash):>10.3f}")
    print(f"{'curl -o':24}{statistics.median(curl):>10.3f}")
    print(
        f"ratio ours/curl: {ratio:.3f} (target <= {MAX_RATIO});"
        f" peak RSS {max(rss):.1f} MB (target < {MAX_RSS_MB:.0f})"
    )
    results_file.write("bench_download", result)


if __name__ == "__main__":
    main()
