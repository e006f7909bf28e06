"""Worker processes that parse and normalise big bulk bodies for the collector's event loop.

Parsing is pure Python and holds the GIL, so in the collector's own process it would cap
bulk collection at one core. Each worker is a spawned process started as every worker is
(`pool.py`: spawn, SIGINT blocked then ignored) and joined to the loop by a
socket pair: the loop writes `length, received_at, body` and reads back one pickled answer.
No thread in the collector's process takes part (a `ProcessPoolExecutor` runs two, which
compete with the loop and the writer for the GIL), and the body crosses as plain bytes.

A worker ends when its socket ends: when the collector closes it, and when the collector is
killed (the kernel closes the collector's end), so no worker outlives it. A worker that dies
is not replaced: its bodies are parsed on the loop instead, as with no workers at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import socket
import struct
from collections.abc import Callable
from multiprocessing.process import BaseProcess

from installer.collector.pool import spawn_context, started_without_sigint, worker_ignores_sigint
from installer.collector.protocol import BulkRows, bulk_rows
from installer.events.normalise import InvalidHit

_REQUEST = struct.Struct("!Iq")  # body length, receipt time (unix seconds)
_ANSWER = struct.Struct("!I")  # length of the pickled answer
_JOIN_SECONDS = 5.0  # a worker gets this long to end after its socket closes
# CPUs the workers keep off (Linux): the event loop and the writer thread, the collector's
# bottleneck under bulk load, then find a CPU free when they wake instead of waiting behind a
# worker's time slice. Measured side by side on 2 CPUs: the writer waits for a CPU 14-17%
# of the time instead of 23-26%, and bulk collection is about 6% faster.
RESERVED_CPUS = 1
# Answers (pickled): ("rows", rows, errors, entries) | ("invalid", reason) | ("error", text)
_Answer = tuple[object, ...]


class _Worker:
    """The loop's end of one worker: its process and stream."""

    def __init__(self, process: BaseProcess, sock: socket.socket) -> None:
        self.process = process
        self.sock = sock
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def parse(self, body: bytes, received_at: int) -> _Answer:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock)
        # One buffer, one send: each system call here lets the writer thread take the GIL,
        # and the loop waits to get it back.
        self.writer.write(_REQUEST.pack(len(body), received_at) + body)
        await self.writer.drain()
        (length,) = _ANSWER.unpack(await self.reader.readexactly(_ANSWER.size))
        answer = pickle.loads(await self.reader.readexactly(length))
        if not isinstance(answer, tuple):
            raise EOFError("a worker answered something else than a tuple")
        return answer

    def close(self) -> None:
        if self.writer is not None:
            # After the collector's loop has ended there is no loop to tell; the socket
            # itself is closed below all the same.
            with contextlib.suppress(RuntimeError):
                self.writer.transport.abort()
        self.sock.close()


class ParseWorkers:
    """`workers` processes, started on first use; `parse` hands a body to an idle one."""

    def __init__(self, workers: int) -> None:
        self._wanted = workers
        self._started = False
        self._workers: list[_Worker] = []
        # Tokens: each live worker while idle, and None for each one that has died (a
        # waiter that draws None parses on the loop; nobody waits for a dead worker).
        self._idle: asyncio.Queue[_Worker | None] | None = None

    async def parse(self, body: bytes, received_at: int) -> Callable[[], BulkRows] | None:
        """A callable that gives the body's rows (or raises its `InvalidHit`), or None when
        no worker could parse it (none configured, all dead, shutting down)."""
        if self._wanted <= 0:
            return None
        if not self._started:
            self._start()
        assert self._idle is not None
        worker = await self._idle.get()
        if worker is None:
            self._idle.put_nowait(None)
            return None
        try:
            answer = await worker.parse(body, received_at)
        except BaseException as exc:  # died, or cancelled mid-answer: unusable either way
            worker.close()
            self._idle.put_nowait(None)
            if not isinstance(exc, Exception):  # cancelled (shutting down): pass it on
                raise
            return None
        self._idle.put_nowait(worker)
        return _result(answer)

    def _start(self) -> None:
        self._started = True
        self._idle = asyncio.Queue()
        context = spawn_context()
        cpus = _worker_cpus()
        for _ in range(self._wanted):
            ours, theirs = socket.socketpair()
            process = context.Process(target=serve, args=(theirs,), name="collector-parser")
            process.daemon = True
            try:
                # Ctrl-C reaches the whole process group; a worker spends its first few
                # hundred milliseconds importing, before `serve` can ignore SIGINT: a Ctrl-C
                # then (right after the first big body) killed it with a traceback.
                started_without_sigint(process.start)
            except OSError:  # cannot start a process: parse on the loop instead
                ours.close()
                self._idle.put_nowait(None)
                continue
            finally:
                theirs.close()
            if cpus is not None and process.pid is not None:
                with contextlib.suppress(OSError):  # CPUs gone meanwhile: run anywhere
                    os.sched_setaffinity(process.pid, cpus)
            worker = _Worker(process, ours)
            self._workers.append(worker)
            self._idle.put_nowait(worker)

    def close(self) -> None:
        """Ends the workers (their sockets close; they exit) and waits for them."""
        for worker in self._workers:
            worker.close()
        for worker in self._workers:
            worker.process.join(_JOIN_SECONDS)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
        self._workers = []


def _result(answer: _Answer) -> Callable[[], BulkRows] | None:
    kind = answer[0]
    if kind == "rows":
        _, rows, errors, entries = answer
        parsed = BulkRows(rows, errors, entries)  # type: ignore[arg-type]  # _Answer holds objects; `_answer` took these from a BulkRows
        return lambda: parsed
    if kind == "invalid":
        reason = str(answer[1])

        def invalid() -> BulkRows:
            raise InvalidHit(reason)

        return invalid
    return None  # the worker hit a bug: parse on the loop, where `handle` reports it


def _worker_cpus() -> set[int] | None:
    """The CPUs workers may run on; None: anywhere (too few CPUs, or no affinity API)."""
    get_affinity = getattr(os, "sched_getaffinity", None)  # Linux only
    if get_affinity is None:
        return None
    cpus = sorted(get_affinity(0))
    if len(cpus) <= RESERVED_CPUS:
        return None
    return set(cpus[: len(cpus) - RESERVED_CPUS])


def serve(sock: socket.socket) -> None:
    """A worker's life: answer bodies until the socket ends."""
    # Ctrl-C reaches the whole process group; the collector ends its workers itself.
    worker_ignores_sigint()
    with sock, sock.makefile("rb") as stream:
        while True:
            head = stream.read(_REQUEST.size)
            if len(head) < _REQUEST.size:
                return  # the collector closed the socket, or is gone
            length, received_at = _REQUEST.unpack(head)
            body = stream.read(length)
            if len(body) < length:
                return
            answer = pickle.dumps(_answer(body, received_at), pickle.HIGHEST_PROTOCOL)
            try:
                sock.sendall(_ANSWER.pack(len(answer)) + answer)
            except (BrokenPipeError, ConnectionResetError):
                # The collector closed the socket while this body was being parsed (it is
                # stopping, or gave up on the request): nobody is left to answer. Not an
                # error; a traceback here landed on the collector's stderr on SIGTERM.
                return


def _answer(body: bytes, received_at: int) -> _Answer:
    try:
        parsed = bulk_rows(body, received_at)
    except InvalidHit as exc:
        return ("invalid", str(exc))
    except Exception as exc:  # a bug: the loop parses again and answers 500 with it
        return ("error", f"{type(exc).__name__}: {exc}")
    return ("rows", parsed.rows, parsed.errors, parsed.entries)
