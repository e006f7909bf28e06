"""Worker processes for parsing: the one way the program starts them, and the pool that
large imports use (`spawn_pool`). The collector's event loop hands its bodies to the same
kind of worker through `parse_workers.py`, a socket per worker instead of an executor: a
`ProcessPoolExecutor` runs two threads in the parent, which compete with the loop and the
writer thread for the GIL (measured there), and imports do not care.

Always started with `spawn`: the parent already runs threads (the collector's server and
writer, rich's progress refresh), which `fork` must not copy; and macOS spawns anyway, so
every platform runs the same way.

Ctrl-C is the parent's business: the terminal sends SIGINT to every process of the
foreground group, and each worker printed its own KeyboardInterrupt traceback (issue 14
item 12), some while still importing. Workers are started with SIGINT blocked (a blocked
mask survives fork and exec, unlike a Python handler; `started_without_sigint`) and then
ignore it (`worker_ignores_sigint`); the parent stops them when it stops. Each import worker
also ends itself when its parent is gone: a parent killed with SIGKILL runs no shutdown
code, and a worker waiting for work would otherwise wait forever (the collector's workers
see their socket close instead).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import resource_tracker
from multiprocessing.context import SpawnContext
from typing import Any, TypeVar

T = TypeVar("T")
PARENT_CHECK_SECONDS = 0.5


def spawn_context() -> SpawnContext:
    return multiprocessing.get_context("spawn")


def started_without_sigint(start: Callable[[], T]) -> T:
    """Calls `start` (which starts worker processes) with SIGINT blocked in this thread, so
    that the workers are born with it blocked; a Ctrl-C meanwhile waits until it returns.

    The first start of a spawned process also starts multiprocessing's resource tracker,
    which unblocks SIGINT in this thread after it (it blocks it for its own start): started
    beforehand, it is only checked."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no process groups to fear
        return start()
    resource_tracker.ensure_running()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def worker_ignores_sigint() -> None:
    """First thing in a worker: ignore SIGINT (a pending one is dropped), then unblock it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _start_worker(
    parent: int, initializer: Callable[..., None] | None, args: tuple[Any, ...]
) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    worker_ignores_sigint()
    if initializer is not None:
        initializer(*args)


class _Pool(ProcessPoolExecutor):
    """A pool whose workers are born with SIGINT blocked: they are started on demand, inside
    `submit`, so each `submit` from the main thread runs `started_without_sigint`."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if threading.current_thread() is not threading.main_thread():
            return super().submit(fn, *args, **kwargs)
        return started_without_sigint(lambda: super(_Pool, self).submit(fn, *args, **kwargs))


def spawn_pool(
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    return _Pool(
        max_workers=workers,
        mp_context=spawn_context(),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
