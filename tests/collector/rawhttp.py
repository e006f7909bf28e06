"""Raw HTTP over a socket: requests that no well-behaved client library would send."""

from __future__ import annotations

import contextlib
import socket
from urllib.parse import urlsplit


def send_raw(url: str, data: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    """Sends `data` as is; returns (status, body) of the first response."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        # The server may answer and close before it has read everything.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    if not head:
        raise AssertionError(f"no response to {data[:80]!r}")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, body[:length]


def request(method: str, target: str, body: bytes = b"", headers: str = "") -> bytes:
    """A well-formed HTTP/1.1 request with `Connection: close` and the body's length."""
    return (
        f"{method} {target} HTTP/1.1\r\nHost: collector\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n{headers}\r\n"
    ).encode("latin-1") + body
