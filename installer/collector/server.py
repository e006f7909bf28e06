"""The HTTP side of the collector: an asyncio HTTP/1.1 server (keep-alive, one event loop
thread) in front of `protocol.handle` and the group-commit writer.

Standard library only, so `dtu-install collector` works without the `analytics` extra. A
request is parsed (http11.py) and handled on the loop; the hits it carries go to the writer
thread, and the answer is written once the writer reports their batch committed (a future
resolved with `call_soon_threadsafe`): no thread per connection, no blocking. Big bulk bodies
are parsed in worker processes (`BulkParser`), as pure-Python parsing holds the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from pathlib import Path

from installer.collector import limits
from installer.collector.http11 import HttpError, Request, parse_head, serialise, too_large_head
from installer.collector.parse_workers import ParseWorkers
from installer.collector.protocol import (
    ENDPOINTS,
    ParseBulk,
    Response,
    Row,
    handle,
    text,
)
from installer.collector.writer import GroupCommitWriter, StoreUnavailable
from installer.errors import DtuInstallError, ExitCode, UsageError
from installer.events.hits import MAX_QUERY_BYTES
from installer.store.event_store import EventStore

_LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})
_HEAD_END = b"\r\n\r\n"
# The stream's read limit: a whole request head must fit (the request line and each header
# line are bounded again, separately, by http11.py).
_HEAD_READ_LIMIT = 2 * limits.MAX_HEADER_BYTES + 4
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n"
    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
)
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_IDLE_SWEEP_SECONDS = 1.0
# Answers after which the connection is closed, as http.server did.
_CLOSING_STATUSES = frozenset({HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.REQUEST_URI_TOO_LONG})
_CUT_HEAD = "the request ended before the blank line that ends its header"
_BARE_LF = "request lines must end with CRLF (\\r\\n), not a bare LF (\\n)"
_FIELDS_TOO_LARGE = "request header is too large"
_SHUTDOWN_GRACE_SECONDS = 5.0  # answers to requests already committed get this long to leave


class BulkParser:
    """Parses big bulk bodies in worker processes (`parse_workers`), small ones on the loop.

    Parsing and normalising is pure Python and holds the GIL: in one process it would cap
    the collector at one core, however many connections there are. Rows come back (small
    tuples) and the one writer thread stores them. Without live workers, bodies are parsed
    here.
    """

    def __init__(self, workers: int) -> None:
        self._workers = ParseWorkers(workers)

    async def prepare(self, body: bytes, received_at: int) -> ParseBulk | None:
        """For a big body, its parse (run in a worker) as a `bulk_parser` for `handle`;
        None: let `handle` parse it here."""
        if len(body) < limits.POOL_MIN_BODY_BYTES:
            return None
        parsed = await self._workers.parse(body, received_at)
        if parsed is None:
            return None
        return lambda _body, _received_at: parsed()

    def close(self) -> None:
        self._workers.close()


class _Connection:
    __slots__ = ("reading_since", "writer")

    def __init__(self, writer: asyncio.StreamWriter, now: float) -> None:
        self.writer = writer
        self.reading_since: float | None = now  # None while a request is being answered


class CollectorServer:
    """Accepts connections on `sock` and serves each with one coroutine."""

    def __init__(self, writer: GroupCommitWriter, bulk_parser: BulkParser) -> None:
        self.writer = writer
        self.bulk_parser = bulk_parser
        self.connections: dict[asyncio.Task[None], _Connection] = {}
        writer.senders = lambda: len(self.connections)

    async def serve(self, sock: socket.socket, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self._accept, sock=sock, limit=_HEAD_READ_LIMIT)
        sweeper = asyncio.ensure_future(self._sweep_idle())
        try:
            await stop.wait()
        finally:
            server.close()
            sweeper.cancel()
            await self._drain()

    async def _drain(self) -> None:
        """Commit what is queued (its senders still get their answers), then close."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.writer.close)
        tasks = list(self.connections)
        if tasks:
            await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE_SECONDS / 5)
        for task, connection in list(self.connections.items()):
            connection.writer.transport.abort()
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_SHUTDOWN_GRACE_SECONDS)

    async def _sweep_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(_IDLE_SWEEP_SECONDS)
            oldest = loop.time() - limits.IDLE_TIMEOUT_SECONDS
            for connection in list(self.connections.values()):
                since = connection.reading_since
                if since is not None and since < oldest:
                    connection.writer.transport.abort()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self.connections) >= limits.MAX_CONNECTIONS:
            # Too many connections: refuse this one now instead of holding it open.
            writer.write(_BUSY)
            writer.close()
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:  # small answers must not wait for the client's ACK
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = _Connection(writer, asyncio.get_running_loop().time())
        task = asyncio.ensure_future(self._serve_connection(reader, connection))
        self.connections[task] = connection
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        connection = self.connections.pop(task, None)
        if connection is not None:
            connection.writer.transport.abort()  # no-op if already closed
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, OSError):  # a client that hangs up is its own business
                print(f"collector: connection error: {type(exc).__name__}: {exc}", file=sys.stderr)

    async def _serve_connection(
        self, reader: asyncio.StreamReader, connection: _Connection
    ) -> None:
        loop = asyncio.get_running_loop()
        writer = connection.writer
        while True:
            connection.reading_since = loop.time()
            request = await self._read_request(reader, writer)
            if request is None:
                return
            connection.reading_since = None
            head, body = request
            response = await self._answer(head, body)
            # Stopping: the writer takes nothing more, so every later request on this
            # connection would get 503 too. Closing after the answer tells the client at
            # once (it reconnects, and finds the port closed) instead of letting it send
            # for the rest of the shutdown grace and then be reset.
            close = (
                not head.keep_alive or response.status in _CLOSING_STATUSES or self.writer.closing
            )
            writer.write(serialise(response, close=close, head_only=head.method == "HEAD"))
            if close:
                await writer.drain()
                writer.close()
                return
            if writer.transport.get_write_buffer_size() > limits.MAX_BODY_BYTES:
                await writer.drain()  # a client that sends but does not read

    async def _read_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[Request, bytes] | None:
        """The next request and its body; None (after answering, if there is anyone to
        answer) when the connection ends here."""
        try:
            raw = await _read_head(reader)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():  # it stopped sending mid-head, but may still listen
                await self._refuse(writer, HttpError(HTTPStatus.BAD_REQUEST, _CUT_HEAD))
            return None  # the sender closed (between requests, or mid-head)
        except _HeadTooLarge as exc:
            buffered = await reader.read(limits.MAX_HEADER_BYTES + 2)
            if exc.in_fields:
                error = HttpError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, _FIELDS_TOO_LARGE)
            else:
                error = too_large_head(buffered)
            await self._refuse(writer, error)
            return None
        except HttpError as exc:
            await self._refuse(writer, exc)
            return None
        try:
            request = parse_head(raw)
            length = _body_length(request)
        except HttpError as exc:
            await self._refuse(writer, exc)
            return None
        if not length:
            return request, b""
        if request.headers.get("expect", "").lower() == "100-continue":
            writer.write(_CONTINUE)
        try:
            body = await reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            # A Content-Length bigger than the body, then a half-close (shutdown(SHUT_WR)):
            # the sender can still read why nothing was stored. (Gone altogether, it reads
            # nothing, and the write fails quietly.)
            cut = f"the body ended after {len(exc.partial)} of its {length} bytes"
            await self._refuse(writer, HttpError(HTTPStatus.BAD_REQUEST, cut))
            return None
        return request, body

    async def _refuse(self, writer: asyncio.StreamWriter, exc: HttpError) -> None:
        writer.write(serialise(text(exc.status, exc.message), close=True, head_only=False))
        with contextlib.suppress(OSError):
            await writer.drain()
        writer.close()

    async def _answer(self, request: Request, body: bytes) -> Response:
        received_at = int(time.time())
        path = request.target.partition("?")[0]
        if len(request.target) > MAX_QUERY_BYTES + 1024:
            return text(HTTPStatus.REQUEST_URI_TOO_LONG, "request URL is too long")
        bulk_parser: ParseBulk | None = None
        if request.method == "POST" and path in ENDPOINTS and body.lstrip()[:1] in (b"{", b"["):
            bulk_parser = await self.bulk_parser.prepare(body, received_at)
        batches: list[Sequence[Row]] = []

        def collect(rows: Sequence[Row]) -> int:
            batches.append(rows)  # committed below, before the answer leaves
            return len(rows)

        try:
            response = handle(
                request.method,
                request.target,
                body,
                received_at=received_at,
                submit=collect,
                bulk_parser=bulk_parser,
            )
        except Exception as exc:  # a bug must still answer, not drop the connection
            print(f"collector: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
            return text(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
        for rows in batches:
            error = await self._commit(rows)
            if error is not None:
                # Not the sender's fault and not acknowledged: it keeps the hits and retries.
                return text(HTTPStatus.SERVICE_UNAVAILABLE, error, **{"Retry-After": "5"})
        return response

    async def _commit(self, rows: Sequence[Row]) -> str | None:
        """None once `rows` are committed, else why not."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[str | None] = loop.create_future()

        def settle(error: str | None) -> None:
            if not done.done():
                done.set_result(error)

        def on_done(error: str | None) -> None:  # in the writer thread
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to tell
                loop.call_soon_threadsafe(settle, error)

        try:
            self.writer.enqueue(rows, on_done)
        except StoreUnavailable as exc:
            return str(exc)
        return await done


class _HeadTooLarge(Exception):
    def __init__(self, in_fields: bool) -> None:
        super().__init__()
        self.in_fields = in_fields  # past the request line: the header fields are too large


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """The request head, up to and including the blank line that ends it.

    The request line is read first, on its own: a sender that ends its lines with a bare LF
    (`printf 'GET /... HTTP/1.1\\n\\n' | nc`) never sends the CRLF CRLF that ends a head, and
    waited out the 30 s idle limit for its answer (issue 14 item 13); now it gets 400 at once.
    Then two bytes tell a head without header fields (CRLF) from one with some, whose end
    one search finds (three reads instead of one a line: the head of a hit has eight lines).
    `IncompleteReadError.partial` holds everything read when the sender stops mid-head."""
    try:
        first = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise _HeadTooLarge(in_fields=False) from None
    if not first.endswith(b"\r\n"):
        raise HttpError(HTTPStatus.BAD_REQUEST, _BARE_LF)
    try:
        two = await reader.readexactly(2)
    except asyncio.IncompleteReadError as exc:
        raise asyncio.IncompleteReadError(first + exc.partial, None) from None
    if two == b"\r\n":
        return first + two
    try:
        return first + two + await reader.readuntil(_HEAD_END)
    except asyncio.IncompleteReadError as exc:
        raise asyncio.IncompleteReadError(first + two + exc.partial, None) from None
    except asyncio.LimitOverrunError:
        raise _HeadTooLarge(in_fields=True) from None


def _body_length(request: Request) -> int:
    """The declared body length; HttpError for framing the collector does not take."""
    if request.headers.get("transfer-encoding"):
        raise HttpError(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length, not chunks")
    declared = request.headers.get("content-length")
    if declared is None:
        return 0
    # isascii too: `str.isdigit` also takes the latin-1 superscripts (`\xb2` is "²"), which
    # `int` refuses; that raised out of the connection and dropped it without an answer.
    if not (declared.isascii() and declared.isdigit()):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"bad Content-Length {declared[:40]!r}")
    length = int(declared)
    if length > limits.MAX_BODY_BYTES:
        raise HttpError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"body of {length} bytes; at most {limits.MAX_BODY_BYTES} are accepted",
        )
    return length


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
    parse big bulk bodies (default: one per CPU and `limits.EXTRA_PARSE_WORKERS` more, up to
    `limits.MAX_PARSE_WORKERS`; none on one CPU; 0: none)."""
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(limits.MAX_PARSE_WORKERS, cpus + limits.EXTRA_PARSE_WORKERS)
        workers = workers if cpus > 1 else 0
    if not host.strip():
        # An empty host binds every interface, and the warning below read "listens on ,"
        # (issue 14 item 19): an empty --host is a mistake, said as such.
        raise UsageError(
            "--host is empty; give an address: 127.0.0.1 (this machine only, the default) "
            "or 0.0.0.0 (every interface)"
        )
    if not is_loopback(host):
        warn(
            f"warning: the collector listens on {host}, reachable from other machines, and "
            "has no authentication: anyone who can reach it can add events"
        )
    store = EventStore(db)
    writer = GroupCommitWriter(store)
    try:
        sock = _listen(host, port)
    except OSError as exc:
        writer.close()
        store.close()
        raise DtuInstallError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    bound_host, bound_port = str(sock.getsockname()[0]), int(sock.getsockname()[1])
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    signals: list[int] = []
    bulk_parser = BulkParser(workers)
    server = CollectorServer(writer, bulk_parser)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        def on_signal(signum: int) -> None:
            signals.append(signum)
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            _on_signal(loop, signum, on_signal)
        # Announced only now: whoever waits for this line may send SIGTERM right after it.
        announce(f"collector listening on http://{shown}:{bound_port}/ (events in {db})")
        await server.serve(sock, stop)

    try:
        asyncio.run(main())
    finally:
        sock.close()
        bulk_parser.close()
        writer.close()  # a no-op after a clean stop; after a crash, commits what is queued
        store.close()
    # SIGTERM is how a service manager stops a service: a normal end, not an interruption.
    return ExitCode.INTERRUPTED if signal.SIGINT in signals else ExitCode.OK


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket as http.server made it (one address family, address reuse)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _on_signal(
    loop: asyncio.AbstractEventLoop, signum: int, handler: Callable[[int], None]
) -> None:
    try:
        loop.add_signal_handler(signum, handler, signum)
    except NotImplementedError:  # Windows: a plain handler, handing over to the loop
        signal.signal(signum, lambda number, _frame: loop.call_soon_threadsafe(handler, number))
