"""A real HTTP(S) file server on 127.0.0.1 for download tests and benchmarks.

Each served path has content and a script of behaviours, one per request, the last one
repeating: "ok", "drop:N" (send N body bytes, then close the connection), "reset:N" (send N
body bytes, then reset it: a TCP RST), "chunked" (the body in chunked transfer encoding, no
Content-Length), "status:503",
"status:429:RETRY_AFTER", "hang" (send headers and a little of the body, then nothing),
"ignore_range" (answer 200 with the whole file even when asked for a range), "trickle:N"
(the body one byte at a time, N bytes a second). A rate limit
(bytes/s) throttles a path. Range requests are honoured and every body byte sent is counted,
so a test can prove a resume fetched only the missing bytes. Each file has an ETag (`etag`,
None for a server that sends no validator), and `If-Range` is honoured as RFC 9110 13.1.5
says: a validator that is not the current one gets the whole file (200). TLS certificates come from
`trustme`; point `requests` at `server.ca_path`.

Also runnable for benchmarks (the server then lives in its own process):
    python -m tests.helpers.download_server --file F --path /f.bin [--rate BYTES_PER_S]
prints `PORT CA_PATH` on its first line and serves until killed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import socket
import ssl
import struct
import sys
import tempfile
import termios
import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

WRITE_CHUNK = 256 * 1024
HANG_SECONDS = 30.0


@dataclass
class Served:
    content: bytes | Path
    script: list[str] = field(default_factory=lambda: ["ok"])
    rate: float | None = None  # bytes per second
    redirect: str | None = None  # answer 302 to this Location instead
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = '"v1"'  # change it with the content, as a real server's changes

    def size(self) -> int:
        return self.content.stat().st_size if isinstance(self.content, Path) else len(self.content)

    def read(self, start: int, end: int) -> Any:
        if isinstance(self.content, Path):
            with self.content.open("rb") as f:
                f.seek(start)
                # One buffer read into again and again, handed out as views: the server shares
                # the benchmark machine's cores with the client, so it copies no more than it must.
                buffer = memoryview(bytearray(WRITE_CHUNK * 4))
                remaining = end - start
                while remaining > 0:
                    count = f.readinto(buffer[: min(len(buffer), remaining)])
                    if not count:
                        return
                    remaining -= count
                    yield buffer[:count]
        else:
            view = memoryview(self.content)
            for pos in range(start, end, WRITE_CHUNK * 4):
                yield view[pos : min(end, pos + WRITE_CHUNK * 4)]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        path = self.path.split("?")[0]
        served = owner.files.get(path)
        with owner.lock:
            owner.requests[path].append(dict(self.headers.items()))
            index = len(owner.requests[path]) - 1
        if served is None:
            self._simple(404, b"not found")
            return
        if served.redirect:
            self.send_response(302)
            self.send_header("Location", served.redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        behaviour = served.script[min(index, len(served.script) - 1)]
        kind, _, arg = behaviour.partition(":")
        if kind == "status":
            code, _, retry_after = arg.partition(":")
            extra = {"Retry-After": retry_after} if retry_after else {}
            self._simple(int(code), b"try later", extra)
            return
        size = served.size()
        start, end, status = 0, size, 200
        wanted = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if_range = self.headers.get("If-Range")
        if if_range is not None and (served.etag is None or if_range != served.etag):
            wanted = None  # not the file the client has a part of: send all of it
        if wanted and kind != "ignore_range":
            start = int(wanted.group(1))
            if start >= size:
                self._simple(416, b"", {"Content-Range": f"bytes */{size}"})
                return
            end = min(size, int(wanted.group(2)) + 1) if wanted.group(2) else size
            status = 206
        self.send_response(status)
        if kind == "chunked":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        if served.etag is not None:
            self.send_header("ETag", served.etag)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        for key, value in served.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if kind == "chunked":
            self._send_chunked(path, served, start, end)
            return
        if kind == "trickle":
            self._trickle(path, served, start, end, float(arg))
            return
        limit = int(arg) if kind in ("drop", "reset") else None
        if kind == "hang":
            limit = min(1024, end - start)
        self._send_body(path, served, start, end, limit)
        if kind == "hang":
            owner.stopping.wait(HANG_SECONDS)
        if limit is not None:
            self._cut(reset=kind == "reset")

    def _send_body(
        self, path: str, served: Served, start: int, end: int, limit: int | None
    ) -> None:
        owner = self.server.owner
        sent = 0
        began = time.monotonic()
        for data in served.read(start, end):
            block = data if limit is None else data[: max(0, limit - sent)]
            for pos in range(0, len(block), WRITE_CHUNK):
                piece = block[pos : pos + WRITE_CHUNK]
                try:
                    self.wfile.write(piece)
                except OSError:
                    return
                sent += len(piece)
                with owner.lock:
                    owner.bytes_served[path] += len(piece)
                if served.rate:
                    ahead = sent / served.rate - (time.monotonic() - began)
                    if ahead > 0:
                        time.sleep(ahead)
            if limit is not None and sent >= limit:
                return

    def _trickle(self, path: str, served: Served, start: int, end: int, rate: float) -> None:
        owner = self.server.owner
        for data in served.read(start, end):
            for position in range(len(data)):
                if owner.stopping.wait(1.0 / rate):
                    return
                try:
                    self.wfile.write(bytes(data[position : position + 1]))
                    self.wfile.flush()
                except OSError:
                    return
                with owner.lock:
                    owner.bytes_served[path] += 1

    def _send_chunked(self, path: str, served: Served, start: int, end: int) -> None:
        for data in served.read(start, end):
            self.wfile.write(b"%x\r\n" % len(data) + bytes(data) + b"\r\n")
            with self.server.owner.lock:
                self.server.owner.bytes_served[path] += len(data)
        self.wfile.write(b"0\r\n\r\n")

    def _cut(self, reset: bool) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            if reset:  # linger 0: close() sends an RST instead of a FIN
                # An RST throws away what is still queued to send; wait until the client has
                # it all, so "served" means delivered and the resume can be counted exactly.
                _wait_until_sent(self.connection)
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                _RESET_ON_CLOSE.add(self.connection)
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _simple(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _wait_until_sent(sock: socket.socket, limit: float = 5.0) -> None:
    """Wait until the kernel's send queue is empty (Linux TIOCOUTQ: bytes not yet acked)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        queued = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, struct.pack("i", 0))
        if struct.unpack("i", queued)[0] == 0:
            return
        time.sleep(0.005)


# Connections to close without the usual shutdown(SHUT_WR): that would send a FIN first, and
# the client would see a clean end of stream instead of the reset.
_RESET_ON_CLOSE: weakref.WeakSet[socket.socket] = weakref.WeakSet()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: DownloadServer

    def shutdown_request(self, request: Any) -> None:
        if request in _RESET_ON_CLOSE:
            self.close_request(request)
        else:
            super().shutdown_request(request)


class DownloadServer:
    """Start with `with DownloadServer() as srv:`; `srv.url(path)` is its HTTPS address."""

    def __init__(self, tls: bool = True) -> None:
        self.files: dict[str, Served] = {}
        self.requests: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
        self.bytes_served: defaultdict[str, int] = defaultdict(int)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._dir = tempfile.TemporaryDirectory(prefix="dlserver-")
        self.ca_path = ""
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.tls = tls
        if tls:
            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(context)
            self.ca_path = os.path.join(self._dir.name, "ca.pem")
            ca.cert_pem.write_to_path(self.ca_path)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> DownloadServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._dir.cleanup()

    def url(self, path: str) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def add(
        self,
        path: str,
        content: bytes | Path,
        script: list[str] | None = None,
        rate: float | None = None,
        headers: dict[str, str] | None = None,
        etag: str | None = '"v1"',
    ) -> str:
        self.files[path] = Served(content, script or ["ok"], rate, None, headers or {}, etag)
        return self.url(path)

    def add_redirect(self, path: str, location: str) -> str:
        self.files[path] = Served(b"", redirect=location)
        return self.url(path)

    def hits(self, path: str) -> int:
        return len(self.requests[path])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, action="append", required=True)
    parser.add_argument("--path", action="append", required=True)
    parser.add_argument("--rate", type=float, default=None)
    args = parser.parse_args()
    server = DownloadServer()
    for path, file in zip(args.path, args.file):
        server.add(path, file, rate=args.rate)
    with server:
        print(server.port, server.ca_path, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.stopping.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()
