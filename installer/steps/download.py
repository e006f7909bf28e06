"""Downloads: HTTPS only, streamed to `<dest>.part` with the sha256 computed on the way,
resumed with an HTTP Range request after a drop, renamed into place only when the digest
matches. The destination never holds a partial or unverified file.

A resume asks for the rest of the same file only: `If-Range` carries the validator (strong
ETag, else Last-Modified) of the answer the `.part` began with, kept in `<dest>.part.validator`,
so a server whose file changed answers with the whole new file (RFC 9110 13.1.5). Without a
validator, or without a sha256 to verify the result, a download starts over instead: bytes of
an old file spliced onto a new one cannot be told apart (issue 14 item 3).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from installer.events.outcome import ErrorCategory
from installer.mirrors import NO_MIRRORS, Mirrors
from installer.steps.body import body_reader, content_encoded
from installer.steps.download_action import DownloadAction
from installer.steps.failure import StepError, from_os_error
from installer.steps.hashing import BlockHasher
from installer.steps.http_errors import http_error, request_error
from installer.steps.model import RetryPolicy
from installer.steps.retry import Attempted, with_retries
from installer.steps.runlog import RunLog

HASH_READ = 8 << 20  # bytes per read when hashing an existing .part before resuming
MAX_REDIRECTS = 10
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
MAX_CHECKSUM_BODY = 1 << 20  # a checksum file or JSON answer is small; refuse anything bigger
SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
PART_SUFFIX = ".part"
# A server that trickles (a byte a second) never trips the read timeout, and held the install
# until Ctrl-C (issue 14 item 20). As curl's --speed-limit/--speed-time (curl/curl
# docs/cmdline-opts/speed-time.md: "If a transfer runs slower than speed-limit bytes per
# second during a speed-time period, the transfer is aborted"): slower than this many bytes
# a second over this many seconds is a stall, a transient timeout_error; the .part is kept
# and the next attempt resumes.
STALL_SECONDS = 30.0
STALL_BYTES_PER_SECOND = 1024
# A download larger than its recipe's `max_size` (default this) is refused: a server that
# sends without end filled the disk. 8 times the largest download of the shipped recipes.
DEFAULT_MAX_SIZE = 2 << 30
VALIDATOR_SUFFIX = ".validator"  # appended to the .part's name

ProgressFn = Callable[[str, int, "int | None"], None]


@dataclass
class Network:
    """What downloads need from the run: one session, TLS settings, timeouts, a cancel flag."""

    log: RunLog
    verify: bool | str = True  # True, or a CA bundle path (tests use trustme's CA)
    connect_timeout: float = 15.0
    read_timeout: float = 30.0
    stall_seconds: float = STALL_SECONDS
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: ProgressFn | None = None
    session: requests.Session = field(default_factory=requests.Session)
    # Recipe URLs arrive already rewritten (the plan shows them so); redirect targets are
    # rewritten here (SPEC 3, "Mirrors").
    mirrors: Mirrors = NO_MIRRORS

    def __post_init__(self) -> None:
        # Binaries must arrive byte for byte as published: the sha256 is of these bytes.
        self.session.headers["Accept-Encoding"] = "identity"
        self.session.headers["User-Agent"] = "dtu-install"


@dataclass(frozen=True)
class Fetched:
    part: Path
    sha256: str
    size: int


def part_path(dest: str) -> Path:
    return Path(dest + PART_SUFFIX)


def _validator_path(part: Path) -> Path:
    return part.with_name(part.name + VALIDATOR_SUFFIX)


def _validator_of(resp: requests.Response) -> str | None:
    """What `If-Range` may carry for this answer (RFC 9110 13.1.5): a strong ETag, else the
    Last-Modified date. A weak ETag (`W/"..."`) is not allowed there."""
    etag = resp.headers.get("ETag", "").strip()
    if etag and not etag.startswith("W/"):
        return etag
    return resp.headers.get("Last-Modified", "").strip() or None


def _read_validator(part: Path) -> str | None:
    try:
        text = _validator_path(part).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if text and "\n" not in text and "\r" not in text else None


def _save_validator(part: Path, resp: requests.Response) -> None:
    """Remember the validator of the answer a fresh `.part` starts with (or that it has none)."""
    validator = _validator_of(resp)
    path = _validator_path(part)
    try:
        if validator is None or "\n" in validator or "\r" in validator:
            path.unlink(missing_ok=True)
        else:
            path.write_text(validator + "\n", encoding="utf-8")
    except OSError as exc:
        raise from_os_error(exc, f"cannot write {path}") from exc


def discard_part(part: Path) -> None:
    """Remove a `.part` and its validator."""
    part.unlink(missing_ok=True)
    _validator_path(part).unlink(missing_ok=True)


# ---------------------------------------------------------------- HTTP plumbing
def _require_https(url: str, what: str) -> None:
    if urlsplit(url).scheme != "https":
        raise StepError(ErrorCategory.NETWORK, f"refused {what} {url}: only HTTPS is allowed")


def https_get(net: Network, url: str, headers: dict[str, str] | None = None) -> requests.Response:
    """GET following redirects by hand, so a redirect to plain HTTP is refused."""
    _require_https(url, "URL")
    for _ in range(MAX_REDIRECTS + 1):
        try:
            resp = net.session.get(
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                verify=net.verify,
                timeout=(net.connect_timeout, net.read_timeout),
            )
        except requests.RequestException as exc:
            raise request_error(exc, url) from exc
        if resp.status_code not in REDIRECT_STATUS:
            return resp
        location = resp.headers.get("Location", "").strip()
        resp.close()
        if not location:
            # Followed as "the same URL" eleven times, it read "too many redirects", which
            # points at a loop instead of a server that says neither where nor why (issue 14
            # item 19).
            raise StepError(
                ErrorCategory.NETWORK,
                f"{url}: HTTP {resp.status_code} redirect without a Location (where to)",
                http_status=resp.status_code,
            )
        target = redirect_target(net.mirrors, url, location)
        _require_https(target, "redirect to")
        net.log.write(f"redirect {url} -> {target}")
        url = target
    raise StepError(ErrorCategory.NETWORK, f"too many redirects from {url}")


def redirect_target(mirrors: Mirrors, url: str, location: str) -> str:
    """Where a redirect from `url` leads. An absolute Location names the publisher's own
    host (GitHub's `releases/latest/download/...` -> `releases/download/<tag>/...` ->
    its asset host), so it goes through the mirrors; a relative one is resolved against the
    URL just fetched, which is already the mirror's, and is not rewritten a second time."""
    if urlsplit(location).scheme:
        return mirrors.rewrite(location)
    return urljoin(url, location)


# ---------------------------------------------------------------- checksum sources
def expected_digest(action: DownloadAction, net: Network) -> str | None:
    """The sha256 to verify against: pinned, or the publisher's (fetched over HTTPS)."""
    if action.sha256:
        return action.sha256.lower()
    if not action.sha256_url:
        return None
    resp = https_get(net, action.sha256_url)
    try:
        if resp.status_code != 200:
            raise http_error(resp, action.sha256_url)
        body = resp.raw.read(MAX_CHECKSUM_BODY + 1, decode_content=True)
    except requests.RequestException as exc:
        raise request_error(exc, action.sha256_url) from exc
    finally:
        resp.close()
    text = body.decode("utf-8", "replace")
    digest: object
    if action.sha256_json_key:
        try:
            digest = json.loads(text)[action.sha256_json_key]
        except (ValueError, KeyError, TypeError) as exc:
            raise StepError(
                ErrorCategory.CHECKSUM,
                f"{action.sha256_url} has no '{action.sha256_json_key}' field with a sha256",
            ) from exc
    else:
        digest = text.split()[0] if text.split() else ""
    if not isinstance(digest, str) or not SHA256_HEX.match(digest):
        raise StepError(
            ErrorCategory.CHECKSUM,
            f"{action.sha256_url} did not give a sha256 ({str(digest)[:40]!r})",
        )
    return digest.lower()


# ---------------------------------------------------------------- streaming
def _hash_existing(part: Path) -> tuple[Any, int]:
    hasher = hashlib.sha256()
    size = 0
    try:
        with part.open("rb") as f:
            while block := f.read(HASH_READ):
                hasher.update(block)
                size += len(block)
    except FileNotFoundError:
        pass
    return hasher, size


def _content_range_start(value: str) -> int | None:
    match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", value or "")
    return int(match.group(1)) if match else None


def _stream(
    resp: requests.Response,
    part: Path,
    mode: str,
    hasher: BlockHasher,
    done: int,
    total: int | None,
    net: Network,
    label: str,
    url: str,
    deadline: float | None = None,
    max_size: int = DEFAULT_MAX_SIZE,
) -> int:
    """Append the body to `part` a block at a time, each block hashed after it is written;
    returns the bytes now in `part`. Whatever arrived before a failure is kept (except past
    `max_size`: then the caller discards the .part)."""
    read = body_reader(resp, url)
    cancelled, progress = net.cancel.is_set, net.progress
    pace = _Pace(url, net.stall_seconds, done).check
    try:
        with part.open(mode) as f:
            write = f.write

            def keep(block: memoryview, size: int) -> None:
                write(block[:size])
                hasher.submit(block, size)

            block = hasher.block()
            size, filled = len(block), 0
            try:
                while True:  # one pass per TLS record (<= 16 KiB): keep it lean
                    if cancelled():
                        raise StepError(ErrorCategory.INTERRUPTED, "download stopped")
                    if deadline is not None and time.monotonic() > deadline:
                        # The step's own `timeout`; the .part stays for the next run to resume.
                        raise StepError(ErrorCategory.TIMEOUT, f"{url}: not finished in time")
                    count = read(block[filled:])
                    if not count:
                        break
                    filled += count
                    done += count
                    if done > max_size:
                        raise StepError(ErrorCategory.CHECKSUM, _too_large(url, max_size))
                    pace(done)
                    if filled == size:
                        filled = 0  # first: a block whose write failed is not kept twice
                        keep(block, size)
                        block = hasher.block()
                        if progress is not None:
                            progress(label, done, total)
            except BaseException:
                if filled:
                    keep(block, filled)  # received before the failure: the resume keeps it
                raise
            if filled:
                keep(block, filled)
            if progress is not None:
                progress(label, done, total)
    except OSError as exc:  # writing: reading errors arrive as StepError from the reader
        err = from_os_error(exc, f"cannot write {part}")
        if err.category is ErrorCategory.DISK:
            discard_part(part)  # give the space back; a full disk cannot resume
        raise err from exc
    return done


class _Pace:
    """Stall detection (see STALL_SECONDS): windows of `seconds`, in each of which at least
    STALL_BYTES_PER_SECOND * `seconds` bytes must arrive."""

    __slots__ = ("done_at_start", "end", "minimum", "seconds", "url")

    def __init__(self, url: str, seconds: float, done: int) -> None:
        self.url, self.seconds = url, seconds
        self.minimum = int(STALL_BYTES_PER_SECOND * seconds)
        self.end, self.done_at_start = time.monotonic() + seconds, done

    def check(self, done: int) -> None:
        now = time.monotonic()
        if now < self.end:
            return
        arrived = done - self.done_at_start
        if arrived < self.minimum:
            raise StepError(
                ErrorCategory.TIMEOUT,
                f"{self.url}: stalled: {arrived} bytes in the last {self.seconds:g} s "
                f"(at least {self.minimum} expected)",
                retryable=True,
            )
        self.end, self.done_at_start = now + self.seconds, done


def _too_large(url: str, max_size: int) -> str:
    return f"{url}: larger than {max_size} bytes (the recipe's max_size); the file was discarded"


def _where_to_continue(
    resp: requests.Response, action: DownloadAction, net: Network, label: str, offset: int
) -> str | None:
    """How the answer continues the .part of `offset` bytes: "ab" (append: a matching range),
    "wb" (start over: a full answer), or None (416: the .part is already complete)."""
    part = part_path(action.dest)
    if content_encoded(resp) and resp.status_code == 206:
        part.unlink(missing_ok=True)  # compressed bytes cannot continue decoded ones
        raise StepError(ErrorCategory.NETWORK, f"{action.url}: compressed answer to a range", True)
    if offset and resp.status_code == 416:
        # Nothing left to send: the .part is already complete (its digest decides).
        net.log.write(f"{label}: {part.name} already complete ({offset} bytes)")
        return None
    content_range = _content_range_start(resp.headers.get("Content-Range", ""))
    if resp.status_code == 206 and content_range == offset:
        net.log.write(f"{label}: resuming at byte {offset}")
        return "ab"
    if resp.status_code == 206:
        part.unlink(missing_ok=True)  # an answer for another range: start over, cleanly
        raise StepError(ErrorCategory.NETWORK, f"{action.url}: unexpected range", True)
    if resp.status_code == 200:
        if offset:
            net.log.write(f"{label}: server ignored the range; starting again")
        return "wb"
    raise http_error(resp, action.url)


def _fetch_once(
    action: DownloadAction,
    net: Network,
    label: str,
    deadline: float | None = None,
    *,
    resume: bool = True,
) -> Fetched:
    """One attempt: continue `<dest>.part` from where it stops (only if `resume` and the
    `.part` has a validator), return its digest."""
    part = part_path(action.dest)
    try:
        part.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os_error(exc, f"cannot create {part.parent}") from exc
    validator = _read_validator(part) if resume else None
    hasher, offset = _hash_existing(part) if validator else (hashlib.sha256(), 0)
    if not offset and part.exists():
        why = "no sha256 to verify a resume" if not resume else "no validator to resume with"
        net.log.write(f"{label}: {part.name} not resumed ({why}); starting again")
    headers = {"Range": f"bytes={offset}-", "If-Range": str(validator)} if offset else {}
    resp = https_get(net, action.url, headers)
    try:
        mode = _where_to_continue(resp, action, net, label, offset)
        if mode is None:
            return Fetched(part, hasher.hexdigest(), offset)
        if mode == "wb":
            hasher, offset = hashlib.sha256(), 0
            _save_validator(part, resp)
        encoded = content_encoded(resp)
        length = resp.headers.get("Content-Length")
        sent = int(length) if length and length.isdigit() else None  # bytes on the wire
        total = None if encoded or sent is None else offset + sent
        max_size = action.max_size or DEFAULT_MAX_SIZE
        if total is not None and total > max_size:  # said up front: refused unread
            discard_part(part)
            raise StepError(ErrorCategory.CHECKSUM, _too_large(action.url, max_size))
        blocks = BlockHasher(hasher)
        try:
            done = _stream(
                resp, part, mode, blocks, offset, total, net, label, action.url, deadline, max_size
            )
            if (total is not None and done != total) or (
                encoded and sent is not None and resp.raw.tell() != sent
            ):
                raise StepError(ErrorCategory.NETWORK, f"{action.url}: connection dropped", True)
        except BaseException as exc:
            too_large = isinstance(exc, StepError) and exc.category is ErrorCategory.CHECKSUM
            if encoded or too_large:
                discard_part(part)  # decoded bytes: no offset to resume from; or unwanted
            raise
        finally:
            blocks.close()
        return Fetched(part, blocks.hexdigest(), done)
    except requests.RequestException as exc:
        raise request_error(exc, action.url) from exc
    finally:
        resp.close()


def fetch(
    action: DownloadAction,
    net: Network,
    label: str,
    policy: RetryPolicy,
    counter: Attempted,
    timeout: float | None = None,
) -> Fetched:
    """Fetch and verify into `<dest>.part` (with retries); the destination is untouched.
    `timeout` (the step's) bounds the whole download, retries included."""
    _require_https(action.url, "URL")
    deadline = None if timeout is None else time.monotonic() + timeout

    def on_retry(attempt: int, err: StepError, delay: float) -> None:
        net.log.write(f"{label}: attempt {attempt} failed ({err}); retrying in {delay:.1f} s")

    expected = with_retries(policy, lambda: expected_digest(action, net), on_retry, Attempted(0))
    part = part_path(action.dest)
    verified = expected is not None  # only a verified download may resume (see the top)

    def attempt() -> Fetched:
        return _fetch_once(action, net, label, deadline, resume=verified)

    resumed = part.exists()
    got = with_retries(policy, attempt, on_retry, counter)
    if expected is not None and got.sha256 != expected and resumed:
        # The .part came from an earlier run; the file may have changed since. One fresh try.
        net.log.write(f"{label}: resumed file does not match; downloading it again")
        discard_part(part)
        got = with_retries(policy, attempt, on_retry, counter)
    if expected is not None and got.sha256 != expected:
        discard_part(part)
        raise StepError(
            ErrorCategory.CHECKSUM,
            f"{action.url}: sha256 {got.sha256[:12]}... does not match the expected "
            f"{expected[:12]}...; the file was discarded",
        )
    if expected is None and action.min_size is not None and got.size < action.min_size:
        discard_part(part)
        raise StepError(
            ErrorCategory.CHECKSUM,
            f"{action.url}: only {got.size} bytes, expected at least {action.min_size}",
        )
    net.log.write(
        f"{label}: {got.size} bytes, sha256 {got.sha256}" + ("" if expected else " (unverified)")
    )
    return got


def install(fetched: Fetched, action: DownloadAction) -> None:
    """Atomic rename of the verified .part into place."""
    try:
        if action.mode is not None:
            os.chmod(fetched.part, action.mode)
        os.replace(fetched.part, action.dest)
    except OSError as exc:
        raise from_os_error(exc, f"cannot move the download to {action.dest}") from exc
    _validator_path(fetched.part).unlink(missing_ok=True)
