"""A small, strict HTTP/1.1 request-head parser for the collector's asyncio server.

Only what tracking senders use: a request line, bounded header fields, bodies framed by
Content-Length. Anything else is refused with a 4xx and a reason (SPEC 5: malformed input is
the sender's fault, never a 5xx). The limits match what `http.server` enforced before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

from installer.collector.limits import MAX_HEADER_BYTES
from installer.collector.protocol import Response

MAX_LINE_BYTES = MAX_HEADER_BYTES  # a request line or one header line; more -> 414 / 431
MAX_HEADERS = 100  # header fields in one request; more -> 431
_FRAMING_FIELDS = frozenset({"content-length", "transfer-encoding"})  # repeats must agree
SERVER_NAME = "dtu-install-collector"
_SUPPORTED_MAJOR = 1  # HTTP/1.0 and HTTP/1.1; HTTP/2+ speaks another wire format
_TOKEN_BYTES = frozenset(
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


class HttpError(Exception):
    """A request that cannot be served: answer `status` with `message`, then close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    target: str
    keep_alive: bool
    headers: dict[str, str]  # names in lower case; a repeated field keeps its first value


def too_large_head(buffered: bytes) -> HttpError:
    """The error for a head that did not end within the read limit: 414 if even the request
    line did not end, else 431."""
    if b"\n" not in buffered[: MAX_LINE_BYTES + 2]:
        return HttpError(HTTPStatus.REQUEST_URI_TOO_LONG, "request line is too long")
    return HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request header is too large")


def parse_head(head: bytes) -> Request:
    """`head`: the bytes up to and including the blank line that ends the header."""
    lines = head.split(b"\r\n")
    while lines and not lines[0]:  # RFC 9112 2.2: ignore empty lines before a request
        lines.pop(0)
    if not lines:
        raise HttpError(HTTPStatus.BAD_REQUEST, "empty request")
    request_line = lines[0]
    if len(request_line) > MAX_LINE_BYTES:
        raise HttpError(HTTPStatus.REQUEST_URI_TOO_LONG, "request line is too long")
    words = request_line.split(b" ")
    if len(words) != 3 or not words[0] or not words[1]:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"bad request line {request_line[:80]!r}")
    method, target, version = words
    if not _TOKEN_BYTES.issuperset(method):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"bad method {method[:20]!r}")
    minor = _minor_version(version)
    headers = _header_fields(lines[1:])
    connection = headers.get("connection", "").lower()
    # HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 only when asked to.
    keep_alive = "close" not in connection if minor >= 1 else "keep-alive" in connection
    try:
        # UTF-8, as a form body, an escaped value and an imported line are read: as latin-1,
        # a raw `é` in the URL was stored as `Ã©` (another identity than the same hit
        # imported) and raw bytes that are not UTF-8 at all were stored as if they were.
        text = target.decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(
            HTTPStatus.BAD_REQUEST, "the request URL is not valid UTF-8 (percent-encode it)"
        ) from None
    return Request(method.decode("ascii"), text, keep_alive, headers)


def _minor_version(version: bytes) -> int:
    prefix, _, number = version.partition(b"/")
    major, dot, minor = number.partition(b".")
    if prefix != b"HTTP" or not dot or not major.isdigit() or not minor.isdigit():
        raise HttpError(HTTPStatus.BAD_REQUEST, f"bad HTTP version {version[:20]!r}")
    if int(major) != _SUPPORTED_MAJOR:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"HTTP version {version[:20]!r} is not supported")
    return int(minor)


def _header_fields(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    count = 0
    for line in lines:
        if not line:
            continue  # the blank line (and the empty piece after it) ending the head
        if len(line) > MAX_LINE_BYTES:
            raise HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header line is too long")
        count += 1
        if count > MAX_HEADERS:
            raise HttpError(
                HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                f"more than {MAX_HEADERS} header fields",
            )
        name, colon, value = line.partition(b":")
        if not colon or not name or not _TOKEN_BYTES.issuperset(name):
            raise HttpError(HTTPStatus.BAD_REQUEST, f"bad header line {line[:80]!r}")
        key, text = name.decode("ascii").lower(), value.strip().decode("latin-1")
        kept = headers.setdefault(key, text)
        if kept is not text and key in _FRAMING_FIELDS and kept != text:
            # RFC 9112 6.3: differing lengths leave the body's end unknown. Taking the first
            # would read the rest as the next request, where a proxy in front may have taken
            # the other (request smuggling).
            raise HttpError(HTTPStatus.BAD_REQUEST, f"two different {key} fields")
    return headers


class _Date:
    """The Date header's value, formatted at most once a second."""

    second = -1
    value = ""

    @classmethod
    def now(cls) -> str:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.value = second, formatdate(second, usegmt=True)
        return cls.value


def serialise(response: Response, *, close: bool, head_only: bool) -> bytes:
    """The whole response (status line, header, body) as one buffer: one write."""
    status = HTTPStatus(response.status)
    parts = [
        f"HTTP/1.1 {status.value} {status.phrase}\r\nServer: {SERVER_NAME}\r\n"
        f"Date: {_Date.now()}\r\nContent-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
    ]
    for name, value in response.headers.items():
        parts.append(f"{name}: {value}\r\n")
    if close:
        parts.append("Connection: close\r\n")
    parts.append("\r\n")
    head = "".join(parts).encode("latin-1")
    return head if head_only or not response.body else head + response.body
