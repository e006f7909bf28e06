"""The HTTP side of the collector: a threaded HTTP/1.1 server (keep-alive, one thread per
connection) in front of `protocol.handle` and the group-commit writer.

Standard library only, so `dtu-install collector` works without the `analytics` extra. What
makes it fast enough (bench/bench_collector.py) is not the server but the group commit
(writer.py) and, for bulk bodies, parsing in worker processes (`BulkParser`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from installer.analytics.event import InvalidHit
from installer.analytics.store import EventStore
from installer.collector import limits
from installer.collector.pool import spawn_pool
from installer.collector.protocol import BulkRows, Response, bulk_rows, handle, text
from installer.collector.writer import GroupCommitWriter
from installer.errors import DtuInstallError, ExitCode

# Statuses that http.server itself sends for a request it cannot parse. A malformed request
# is the sender's fault, so they become 4xx (SPEC 5: never a 5xx for bad input).
_PARSER_STATUS_TO_CLIENT_ERROR = {
    HTTPStatus.NOT_IMPLEMENTED: HTTPStatus.METHOD_NOT_ALLOWED,  # an unknown method
    HTTPStatus.HTTP_VERSION_NOT_SUPPORTED: HTTPStatus.BAD_REQUEST,  # `HTTP/2.0` request line
}
_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a sender reuses one connection
    server_version = "dtu-install-collector"
    sys_version = ""
    timeout = limits.IDLE_TIMEOUT_SECONDS
    disable_nagle_algorithm = True  # small answers must not wait for the client's ACK
    wbufsize = 64 * 1024  # headers and body leave in one write (flushed per request)
    server: CollectorServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per request would cost more than storing the hit."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        code = _PARSER_STATUS_TO_CLIENT_ERROR.get(HTTPStatus(code), code)
        self.close_connection = True
        if self.request_version == "HTTP/0.9":
            # http.server assumes HTTP/0.9 (no status line) until it has parsed a version;
            # a garbled request line deserves a status line and a reason all the same.
            self.request_version = "HTTP/1.0"
        self._send(text(code, message or HTTPStatus(code).phrase))

    def do_GET(self) -> None:
        self._serve()

    # Every method reaches `handle`, which answers 405 for all but GET and POST.
    do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET  # noqa: N815 - http.server's names

    def _serve(self) -> None:
        if len(self.path) > limits.MAX_QUERY_BYTES + 1024:
            self.close_connection = True
            self._send(text(HTTPStatus.REQUEST_URI_TOO_LONG, "request URL is too long"))
            return
        body = self._read_body()
        if body is None:
            return
        try:
            response = handle(
                self.command,
                self.path,
                body,
                received_at=int(time.time()),
                submit=self.server.writer.submit,
                bulk_parser=self.server.bulk_parser,
            )
        except Exception as exc:  # a bug must still answer, not drop the connection
            print(f"collector: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            self.close_connection = True
            response = text(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
        self._send(response)

    def _read_body(self) -> bytes | None:
        """The body, or None after answering a request whose body cannot be read."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(text(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length, not chunks"))
            return None
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        if not declared.strip().isdigit():
            self.close_connection = True
            self._send(text(HTTPStatus.BAD_REQUEST, f"bad Content-Length {declared[:40]!r}"))
            return None
        length = int(declared)
        if length > limits.MAX_BODY_BYTES:
            self.close_connection = True  # the body is never read, so the stream is lost
            self._send(
                text(
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    f"body of {length} bytes; at most {limits.MAX_BODY_BYTES} are accepted",
                )
            )
            return None
        body = self.rfile.read(length)
        if len(body) < length:  # the sender went away mid-body: nobody to answer
            self.close_connection = True
            return None
        return body

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)


class BulkParser:
    """Parses big bulk bodies in worker processes, small ones in the request's thread.

    Parsing and normalising is pure Python and holds the GIL: in one process it would cap
    the collector at one core, however many connections there are. Rows come back (small
    tuples) and the one writer thread stores them. A broken pool degrades to parsing here.
    """

    def __init__(self, workers: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self._pool = spawn_pool(workers)

    def __call__(self, body: bytes, received_at: int) -> BulkRows:
        if self._pool is None or len(body) < limits.POOL_MIN_BODY_BYTES:
            return bulk_rows(body, received_at)
        try:
            return self._pool.submit(bulk_rows, body, received_at).result()
        except InvalidHit:
            raise
        except (BrokenProcessPool, RuntimeError):  # a worker died, or shutting down
            return bulk_rows(body, received_at)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class CollectorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], writer: GroupCommitWriter, bulk_parser: BulkParser
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.writer = writer
        self.bulk_parser = bulk_parser
        self.open_connections = 0
        self._count_lock = threading.Lock()
        writer.senders = lambda: self.open_connections
        self._slots = threading.BoundedSemaphore(limits.MAX_CONNECTIONS)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            # Too many connections: refuse this one now instead of growing threads forever.
            with contextlib.suppress(OSError):
                request.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            self.open_connections += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count_lock:
                self.open_connections -= 1
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return  # a client that hangs up or resets is its own business
        print(f"collector: connection error: {type(exc).__name__}: {exc}", file=sys.stderr)


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_collector(
    db: Path,
    host: str,
    port: int,
    *,
    announce: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
    workers: int | None = None,
) -> int:
    """Serve until SIGTERM or Ctrl-C; returns the exit code. `workers`: processes that
    parse big bulk bodies (default: one per CPU up to `limits.MAX_PARSE_WORKERS`; 0: none)."""
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(limits.MAX_PARSE_WORKERS, cpus) if cpus > 1 else 0
    if not is_loopback(host):
        warn(
            f"warning: the collector listens on {host}, reachable from other machines, and "
            "has no authentication: anyone who can reach it can add events"
        )
    store = EventStore(db)
    writer = GroupCommitWriter(store)
    try:
        server = CollectorServer((host, port), writer, BulkParser(workers))
    except OSError as exc:
        writer.close()
        store.close()
        raise DtuInstallError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_host, bound_port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    terminated: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        terminated.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    code = ExitCode.OK
    try:
        # Announced only now: whoever waits for this line may send SIGTERM right after it.
        announce(f"collector listening on http://{shown}:{bound_port}/ (events in {db})")
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        # SIGTERM is how a service manager stops a service: a normal end, not an interruption.
        code = ExitCode.OK if terminated else ExitCode.INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        server.bulk_parser.close()
        writer.close()  # commits hits already queued: their senders are still waiting
        store.close()
    return code
