"""Downloads against a real local HTTPS server: the fault matrix of issue 3."""

from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import pytest

from installer.events.outcome import ErrorCategory, Status
from installer.steps.model import RetryPolicy
from tests.runner.conftest import download, plan, run, sha

DATA = os.urandom(3 * 1024 * 1024 + 17)


def _only(result):  # type: ignore[no-untyped-def]
    assert len(result.outcomes) == 1
    return result.outcomes[0]


def test_plain_download_verified_and_renamed(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA)
    dest = tmp_path / "out" / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert out.status is Status.SUCCESS, out.reason
    assert dest.read_bytes() == DATA
    assert not Path(str(dest) + ".part").exists()
    assert server.bytes_served["/f.bin"] == len(DATA)


@pytest.mark.parametrize("cut_by", ["drop", "reset"])  # FIN, then RST (connection reset)
def test_cut_mid_body_resumes_with_only_missing_bytes(server, facts, tmp_path, sleeps, cut_by):
    cut = 1_000_000
    url = server.add("/f.bin", DATA, [f"{cut_by}:{cut}", "ok"])
    dest = tmp_path / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert out.status is Status.SUCCESS, out.reason
    assert out.attempts == 2
    assert dest.read_bytes() == DATA
    # The second request asked for the rest, and only the rest crossed the wire.
    assert server.requests["/f.bin"][1]["Range"] == f"bytes={cut}-"
    assert server.bytes_served["/f.bin"] == len(DATA)
    assert len(sleeps) == 1
    # Over TLS, Python reports a reset after whole records as an unclean end of stream.
    assert "connection dropped" in (tmp_path / "run.log").read_text()


def test_chunked_body_is_read_through_urllib3_and_verified(server, facts, tmp_path, sleeps):
    # No Content-Length: the reader that knows chunked framing is used, same result.
    url = server.add("/f.bin", DATA, ["chunked"])
    dest = tmp_path / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert out.status is Status.SUCCESS, out.reason
    assert dest.read_bytes() == DATA


def test_gzip_body_despite_identity_is_decoded_then_verified(server, facts, tmp_path, sleeps):
    # We ask for `identity`; a server that compresses anyway (a CDN with a text/x-sh
    # installer) still yields the published bytes, and those are what the sha256 is of.
    url = server.add("/f.sh", gzip.compress(DATA), headers={"Content-Encoding": "gzip"})
    dest = tmp_path / "f.sh"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert out.status is Status.SUCCESS, out.reason
    assert dest.read_bytes() == DATA


def test_gzip_body_cut_mid_way_starts_over_instead_of_resuming(server, facts, tmp_path, sleeps):
    # Decoded bytes have no offset in the compressed stream: no Range, a fresh start.
    packed = gzip.compress(DATA)
    url = server.add(
        "/f.sh", packed, [f"drop:{len(packed) // 2}", "ok"], headers={"Content-Encoding": "gzip"}
    )
    dest = tmp_path / "f.sh"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert (out.status, out.attempts) == (Status.SUCCESS, 2), out.reason
    assert dest.read_bytes() == DATA
    assert "Range" not in server.requests["/f.sh"][1]


def test_drop_on_every_attempt_fails_as_network_then_rerun_resumes(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["drop:500000"])
    dest = tmp_path / "f.bin"
    the_plan = plan(download("x_download", url, dest, sha(DATA)))
    out = _only(run(the_plan, facts, tmp_path, server))
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.NETWORK, 3)
    assert not dest.exists()
    part = Path(str(dest) + ".part")
    assert part.stat().st_size == 1_500_000  # kept only as a resumable .part
    server.files["/f.bin"].script = ["ok"]
    served_before = server.bytes_served["/f.bin"]
    again = _only(run(the_plan, facts, tmp_path, server))
    assert again.status is Status.SUCCESS
    assert dest.read_bytes() == DATA
    assert server.bytes_served["/f.bin"] - served_before == len(DATA) - 1_500_000


def test_503_then_200_retried_with_backoff(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["status:503", "status:503", "ok"])
    dest = tmp_path / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert (out.status, out.attempts) == (Status.SUCCESS, 3)
    assert sleeps == [0.01, 0.02]  # exponential: backoff, then twice that


def test_429_honours_retry_after(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["status:429:7", "ok"])
    dest = tmp_path / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert (out.status, out.attempts) == (Status.SUCCESS, 2)
    assert sleeps == [7.0]


def test_404_is_not_retried(server, facts, tmp_path, sleeps):
    dest = tmp_path / "f.bin"
    the_plan = plan(download("x_download", server.url("/missing.bin"), dest, sha(DATA)))
    out = _only(run(the_plan, facts, tmp_path, server))
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.NETWORK, 1)
    assert "404" in out.reason
    assert server.hits("/missing.bin") == 1 and sleeps == []
    assert not dest.exists()
    server.add("/missing.bin", DATA)
    assert _only(run(the_plan, facts, tmp_path, server)).status is Status.SUCCESS


def test_read_timeout_is_timeout_error_and_retried(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["hang", "ok"])
    dest = tmp_path / "f.bin"
    the_plan = plan(download("x_download", url, dest, sha(DATA)))
    out = _only(run(the_plan, facts, tmp_path, server, read_timeout=0.3))
    assert (out.status, out.attempts) == (Status.SUCCESS, 2)
    assert dest.read_bytes() == DATA
    # The 1,024 bytes that came before the server fell silent were kept, not asked for again.
    assert server.requests["/f.bin"][1]["Range"] == "bytes=1024-"
    server.files["/f.bin"].script = ["hang"]
    dest.unlink()
    failed = _only(run(the_plan, facts, tmp_path, server, read_timeout=0.3))
    assert (failed.status, failed.category) == (Status.FAILED, ErrorCategory.TIMEOUT)
    assert not dest.exists()
    server.files["/f.bin"].script = ["ok"]
    assert _only(run(the_plan, facts, tmp_path, server)).status is Status.SUCCESS


def test_checksum_mismatch_discards_file_not_retried(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA)
    dest = tmp_path / "f.bin"
    bad = plan(download("x_download", url, dest, sha(b"something else")))
    out = _only(run(bad, facts, tmp_path, server))
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.CHECKSUM, 1)
    assert not dest.exists() and not Path(str(dest) + ".part").exists()
    good = plan(download("x_download", url, dest, sha(DATA)))
    assert _only(run(good, facts, tmp_path, server)).status is Status.SUCCESS


def test_stale_part_from_changed_file_is_refetched(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA)
    dest = tmp_path / "f.bin"
    Path(str(dest) + ".part").write_bytes(b"x" * 1000)  # not a prefix of DATA
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert out.status is Status.SUCCESS
    assert dest.read_bytes() == DATA


def test_server_ignoring_range_restarts_cleanly(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["drop:1000", "ignore_range"])
    dest = tmp_path / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert out.status is Status.SUCCESS
    assert dest.read_bytes() == DATA


def test_http_url_refused(server, facts, tmp_path, sleeps):
    dest = tmp_path / "f.bin"
    the_plan = plan(download("x_download", "http://127.0.0.1:9/f.bin", dest, sha(DATA)))
    out = _only(run(the_plan, facts, tmp_path, server))
    assert out.status is Status.FAILED and "only HTTPS" in out.reason


def test_redirect_to_http_refused_but_https_redirect_followed(server, facts, tmp_path, sleeps):
    server.add("/real.bin", DATA)
    to_http = server.add_redirect("/to-http", "http://127.0.0.1:9/real.bin")
    to_https = server.add_redirect("/to-https", "/real.bin")
    dest = tmp_path / "f.bin"
    out = _only(
        run(plan(download("x_download", to_http, dest, sha(DATA))), facts, tmp_path, server)
    )
    assert out.status is Status.FAILED and "only HTTPS" in out.reason and out.attempts == 1
    ok = _only(
        run(plan(download("x_download", to_https, dest, sha(DATA))), facts, tmp_path, server)
    )
    assert ok.status is Status.SUCCESS


def test_untrusted_certificate_is_network_error_not_retried(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA)
    dest = tmp_path / "f.bin"
    out = _only(
        run(
            plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server, verify=True
        )
    )
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.NETWORK, 1)


def test_checksum_from_publisher_file_and_json(server, facts, tmp_path, sleeps):
    url = server.add("/f.sh", DATA)
    server.add("/f.sh.sha256", f"{sha(DATA)}  f.sh\n".encode())
    server.add("/api", f'{{"url": "x", "sha256hash": "{sha(DATA)}"}}'.encode())
    a = download("x_download", url, tmp_path / "a", None, sha256_url=server.url("/f.sh.sha256"))
    b = download(
        "y_download",
        url,
        tmp_path / "b",
        None,
        sha256_url=server.url("/api"),
        sha256_json_key="sha256hash",
    )
    result = run(plan(a, b), facts, tmp_path, server)
    assert [o.status for o in result.outcomes] == [Status.SUCCESS, Status.SUCCESS]
    server.add("/f.sh.sha256", f"{sha(b'other')}  f.sh\n".encode())
    bad = download("x_download", url, tmp_path / "c", None, sha256_url=server.url("/f.sh.sha256"))
    out = _only(run(plan(bad), facts, tmp_path, server))
    assert out.category is ErrorCategory.CHECKSUM and not (tmp_path / "c").exists()


def test_destination_not_writable_is_permission_error(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA)
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:
        # Root ignores mode bits: a read-only mount is what "not writable" means for root.
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(locked)], check=False
        )
        if mounted.returncode != 0:
            pytest.skip("running as root without the right to mount a read-only tmpfs")
    else:
        locked.chmod(0o555)
    try:
        out = _only(
            run(
                plan(download("x_download", url, locked / "f.bin", sha(DATA))),
                facts,
                tmp_path,
                server,
            )
        )
        assert (out.status, out.category, out.attempts) == (
            Status.FAILED,
            ErrorCategory.PERMISSION,
            1,
        )
        assert not (locked / "f.bin").exists()
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(locked)], check=True)
        else:
            locked.chmod(0o755)
    out = _only(
        run(plan(download("x_download", url, locked / "f.bin", sha(DATA))), facts, tmp_path, server)
    )
    assert out.status is Status.SUCCESS


def test_disk_full_is_disk_error_and_leaves_nothing(server, facts, tmp_path, sleeps):
    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a 1 MB tmpfs here (needs root): " + mounted.stderr.decode())
    try:
        url = server.add("/f.bin", DATA)  # 3 MB into 1 MB
        out = _only(
            run(
                plan(download("x_download", url, small / "f.bin", sha(DATA))),
                facts,
                tmp_path,
                server,
            )
        )
        assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.DISK, 1)
        assert os.listdir(small) == []  # no partial file left taking the space
    finally:
        subprocess.run(["umount", str(small)], check=True)
    out = _only(
        run(plan(download("x_download", url, small / "f.bin", sha(DATA))), facts, tmp_path, server)
    )
    assert out.status is Status.SUCCESS


def test_step_timeout_bounds_a_slow_download_and_keeps_the_part(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, rate=500_000)  # 3 MB at 0.5 MB/s: 6 s
    dest = tmp_path / "f.bin"
    the_plan = plan(download("x_download", url, dest, sha(DATA), timeout=0.5))
    out = _only(run(the_plan, facts, tmp_path, server))
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.TIMEOUT, 1)
    assert not dest.exists()
    kept = Path(str(dest) + ".part").stat().st_size
    assert 0 < kept < len(DATA)
    server.files["/f.bin"].rate = None
    assert _only(run(the_plan, facts, tmp_path, server)).status is Status.SUCCESS
    assert dest.read_bytes() == DATA
    assert server.requests["/f.bin"][-1]["Range"] == f"bytes={kept}-"


# Issue 14 item 3: a resume sent `Range` without `If-Range`, so the bytes of an old file's
# .part were spliced onto the new file's tail; for an unverified download nothing noticed.
NEW = os.urandom(len(DATA))


def _unverified(url: str, dest: Path):  # type: ignore[no-untyped-def]
    return plan(download("x_download", url, dest, None, unverified_reason="test", min_size=1))


@pytest.mark.parametrize("stale_size", [1_000_000, len(DATA) + 5], ids=["shorter", "longer"])
def test_unverified_download_never_resumes_a_stale_part(
    server, facts, tmp_path, sleeps, stale_size
):
    # "longer": the server answers 416 to the range, which counted the stale .part complete.
    url = server.add("/f.bin", NEW)
    dest = tmp_path / "f.bin"
    part = Path(str(dest) + ".part")
    part.write_bytes(DATA[:stale_size] + b"x" * max(0, stale_size - len(DATA)))
    Path(str(part) + ".validator").write_text('"v1"\n')  # even with a validator
    out = _only(run(_unverified(url, dest), facts, tmp_path, server))
    assert out.status is Status.SUCCESS, out.reason
    assert dest.read_bytes() == NEW
    assert "Range" not in server.requests["/f.bin"][0]
    assert "not resumed (no sha256" in (tmp_path / "run.log").read_text()


def test_a_resume_asks_if_range_and_a_changed_file_comes_whole(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["drop:1000000"])
    dest = tmp_path / "f.bin"
    once = RetryPolicy(attempts=1, backoff=0.01)
    the_plan = plan(download("x_download", url, dest, sha(NEW), retries=once))
    assert _only(run(the_plan, facts, tmp_path, server)).status is Status.FAILED
    assert Path(str(dest) + ".part.validator").read_text() == '"v1"\n'
    # The publisher replaces the file; the next run's resume names the old one in If-Range.
    server.add("/f.bin", NEW, etag='"v2"')
    served_before, asked_before = server.bytes_served["/f.bin"], server.hits("/f.bin")
    out = _only(run(the_plan, facts, tmp_path, server))
    assert out.status is Status.SUCCESS, out.reason
    assert server.hits("/f.bin") == asked_before + 1  # one whole answer, no second try
    asked = server.requests["/f.bin"][-1]
    assert (asked["Range"], asked["If-Range"]) == ("bytes=1000000-", '"v1"')
    assert server.bytes_served["/f.bin"] - served_before == len(NEW)
    assert dest.read_bytes() == NEW
    assert not Path(str(dest) + ".part.validator").exists()


def test_without_a_validator_a_drop_starts_over(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA, ["drop:1000000", "ok"], etag=None)
    dest = tmp_path / "f.bin"
    out = _only(run(plan(download("x_download", url, dest, sha(DATA))), facts, tmp_path, server))
    assert (out.status, out.attempts) == (Status.SUCCESS, 2), out.reason
    assert "Range" not in server.requests["/f.bin"][1]
    assert dest.read_bytes() == DATA


def test_a_redirect_without_location_says_so(server, facts, tmp_path, sleeps):
    # Issue 14 item 19: a 301 without Location was followed to the same URL eleven times
    # and reported as "too many redirects".
    url = server.add("/f.bin", DATA, ["status:301"])
    the_plan = plan(download("x_download", url, tmp_path / "f", sha(DATA)))
    out = _only(run(the_plan, facts, tmp_path, server))
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.NETWORK, 1)
    assert "HTTP 301 redirect without a Location" in out.reason
    assert server.hits("/f.bin") == 1


# Issue 14 item 20: no stall timeout (a server trickling a byte a second held the install
# until Ctrl-C) and no size cap (a server sending without end filled the disk).
def test_a_trickling_server_is_a_stall_retried_then_timeout(server, facts, tmp_path, sleeps):
    url = server.add("/f.bin", DATA[:100_000], ["trickle:200"])
    dest = tmp_path / "f.bin"
    # The step's own timeout only bounds the test when stalls are not detected.
    the_plan = plan(download("x_download", url, dest, sha(DATA[:100_000]), timeout=20))
    out = _only(run(the_plan, facts, tmp_path, server, stall_seconds=0.5))
    assert (out.status, out.category, out.attempts) == (Status.FAILED, ErrorCategory.TIMEOUT, 3)
    assert "stalled:" in out.reason and "in the last 0.5 s (at least 512 expected)" in out.reason
    assert len(sleeps) == 2  # retried as transient
    assert Path(str(dest) + ".part").exists()  # kept: the next attempt resumes


def test_a_download_larger_than_max_size_is_refused(server, facts, tmp_path, sleeps):
    said = server.add("/said.bin", DATA)  # Content-Length says it up front: refused unread
    chunked = server.add("/chunked.bin", DATA, ["chunked"])  # found out while reading
    for url, name in ((said, "said"), (chunked, "chunked")):
        dest = tmp_path / name
        the_plan = plan(download("x_download", url, dest, sha(DATA), max_size=1_000_000))
        out = _only(run(the_plan, facts, tmp_path, server))
        assert (out.status, out.category, out.attempts) == (
            Status.FAILED,
            ErrorCategory.CHECKSUM,
            1,
        ), out.reason
        assert "larger than 1000000 bytes (the recipe's max_size)" in out.reason
        assert not dest.exists() and not Path(str(dest) + ".part").exists()


def test_the_default_max_size_applies_without_one(server, facts, tmp_path, sleeps, monkeypatch):
    from installer.steps import download as download_module

    monkeypatch.setattr(download_module, "DEFAULT_MAX_SIZE", 1_000_000)
    url = server.add("/f.bin", DATA, ["chunked"])
    out = _only(
        run(plan(download("x_download", url, tmp_path / "f", sha(DATA))), facts, tmp_path, server)
    )
    assert out.category is ErrorCategory.CHECKSUM and "larger than 1000000" in out.reason
