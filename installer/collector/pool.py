"""Worker processes for parsing (collector bulk bodies, large imports).

Always started with `spawn`: the parent already runs threads (the collector's server and
writer, rich's progress refresh), which `fork` must not copy; and macOS spawns anyway, so
every platform runs the same way. Each worker ends itself when its parent is gone: a parent
killed with SIGKILL runs no shutdown code, and a worker waiting for work would otherwise
wait forever.

Ctrl-C is the parent's business: the terminal sends SIGINT to every process of the
foreground group, and each worker printed its own KeyboardInterrupt traceback (issue 14
item 12), some while still importing. Workers are started with SIGINT blocked (a blocked
mask survives fork and exec, unlike a Python handler) and then ignore it; the parent stops
them when it stops.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

PARENT_CHECK_SECONDS = 0.5


def _start_worker(
    parent: int, initializer: Callable[..., None] | None, args: tuple[Any, ...]
) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if initializer is not None:
        initializer(*args)


class _Pool(ProcessPoolExecutor):
    """A pool whose workers are born with SIGINT blocked: they are started on demand, inside
    `submit`, so SIGINT is blocked in the parent for the length of each `submit` (a Ctrl-C
    then arrives once it returns)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
            threading.main_thread()
        ):
            return super().submit(fn, *args, **kwargs)
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def spawn_pool(
    workers: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> ProcessPoolExecutor:
    return _Pool(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
