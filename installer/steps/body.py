"""Reading a download's body into our own blocks, `readinto1` style.

A TLS record holds at most 16 KiB, so a 200 MB download is ~12,800 reads; what each read
costs in Python decides how close we get to `curl -o` (bench/bench_download.py). For a plain
body of known length (what a download server sends when asked for `identity`), the reader
takes the bytes from http.client's socket buffer straight into the caller's block: no
allocation and no urllib3 layers per record. Anything else (chunked, content-encoded,
unknown length) goes through urllib3, which knows those framings.

Either way a read returns what one record gave, never waiting to fill the whole block: a
dropped connection then loses nothing already received, and a resume asks only for the
bytes that are truly missing.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable

import requests
import urllib3

from installer.steps.http_errors import read_error, request_error, urllib3_error

# Fills the start of the view; returns how many bytes, 0 at the end of the body.
BodyReader = Callable[[memoryview], int]

PLAIN_ENCODINGS = frozenset({"", "identity"})
# urllib3's read1(n) allocates n bytes before reading one record: 1 MiB asks cost an
# mmap/munmap per record; 64 KiB stays under malloc's mmap threshold.
URLLIB3_READ = 64 * 1024


def content_encoded(resp: requests.Response) -> bool:
    """The server compressed the body although we asked for `identity` (a CDN may): the
    bytes to keep are the decoded ones, and they cannot be resumed by byte offset."""
    return resp.headers.get("Content-Encoding", "").strip().lower() not in PLAIN_ENCODINGS


def body_reader(resp: requests.Response, url: str) -> BodyReader:
    direct = _direct_reader(resp, url)
    return direct if direct is not None else _urllib3_reader(resp, url)


def _direct_reader(resp: requests.Response, url: str) -> BodyReader | None:
    """Straight from the socket buffer, for an identity body of known length only."""
    inner = getattr(resp.raw, "_fp", None)  # urllib3 2.x keeps http.client's response here
    if not isinstance(inner, http.client.HTTPResponse):
        return None
    buffered = inner.fp
    if inner.chunked or inner.length is None or buffered is None or content_encoded(resp):
        return None
    readinto1 = buffered.readinto1
    remaining = inner.length

    def read(view: memoryview) -> int:
        nonlocal remaining
        if remaining <= 0:
            return 0  # never read past the body into whatever follows on the connection
        try:
            count = readinto1(view if len(view) <= remaining else view[:remaining])
        except OSError as exc:  # reset, TLS error, read timeout
            raise read_error(exc, url) from exc
        remaining -= count
        return count

    return read


def _urllib3_reader(resp: requests.Response, url: str) -> BodyReader:
    # read1, not read(amt): on a dropped connection urllib3's read(amt) discards what it had
    # buffered, and those bytes are exactly what a resume keeps.
    read1 = resp.raw.read1
    decode = content_encoded(resp)  # requests leaves urllib3's decoding off: ask for it
    pending = b""  # decoded bytes that did not fit the last view

    def read(view: memoryview) -> int:
        nonlocal pending
        if not pending:
            try:
                pending = read1(min(len(view), URLLIB3_READ), decode_content=decode)
            except requests.RequestException as exc:  # an OSError subclass: catch it first
                raise request_error(exc, url) from exc
            except urllib3.exceptions.HTTPError as exc:
                raise urllib3_error(exc, url) from exc
            except OSError as exc:
                raise read_error(exc, url) from exc
        count = min(len(pending), len(view))
        view[:count] = pending[:count]
        pending = pending[count:]
        return count

    return read
