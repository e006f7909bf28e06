"""Fetching the downloads of later steps ahead, while earlier steps run.

A few daemon worker threads take download steps in plan order. A worker first runs the
step's checks (nothing is fetched for a step that is already done), then fetches and
verifies into `<dest>.part`. The rename into place happens only when the engine reaches the
step, so the destination never changes ahead of its turn. Daemon threads, not a
ThreadPoolExecutor: after Ctrl-C the program must exit at once, not wait on a socket read.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from installer.steps.context import RunContext
from installer.steps.download import Fetched, fetch
from installer.steps.download_action import DownloadAction
from installer.steps.model import PlannedStep
from installer.steps.retry import Attempted

POLL = 0.1  # seconds between looks at a job while waiting (keeps Ctrl-C responsive)
STOP_GRACE = 1.0  # seconds to let workers notice the cancel flag after an interrupt


@dataclass
class Job:
    step: PlannedStep
    counter: Attempted = field(default_factory=lambda: Attempted(0))
    started: bool = False
    already_done: bool = False  # its checks passed in the worker: nothing fetched
    result: Fetched | None = None
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)


class Prefetcher:
    def __init__(
        self,
        ctx: RunContext,
        steps: list[PlannedStep],
        workers: int,
        already_done: Callable[[PlannedStep], bool],
    ) -> None:
        """`already_done(step)`: the step's checks pass (the runner's, which knows the kinds)."""
        self._ctx = ctx
        self._already_done = already_done
        self._lock = threading.Lock()
        self._jobs = {s.name: Job(s) for s in steps if isinstance(s.action, DownloadAction)}
        self._queue: deque[Job] = deque(self._jobs.values())
        self._threads = [
            threading.Thread(target=self._work, name=f"prefetch-{i}", daemon=True)
            for i in range(min(workers, len(self._queue)))
        ]
        for thread in self._threads:
            thread.start()

    def _next(self) -> Job | None:
        with self._lock:
            while self._queue and not self._ctx.net.cancel.is_set():
                job = self._queue.popleft()
                if not job.started:
                    job.started = True
                    return job
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            step, action = job.step, job.step.action
            assert isinstance(action, DownloadAction)
            try:
                if self._already_done(step):
                    job.already_done = True
                else:
                    self._ctx.log.write(f"{step.name}: fetching ahead {action.url}")
                    job.result = fetch(
                        action, self._ctx.net, step.name, step.retries, job.counter, step.timeout
                    )
            except BaseException as exc:  # handed to the engine, which reports it
                job.error = exc
            finally:
                job.finished.set()

    def claim(self, name: str) -> Job | None:
        """The engine reached this step: its job if a worker started it (wait for it), or
        None when it is still queued (then the engine downloads it in the foreground)."""
        with self._lock:
            job = self._jobs.get(name)
            if job is None or not job.started:
                if job is not None:
                    job.started = True  # no worker may take it now
                return None
        while not job.finished.wait(POLL):
            pass
        return job

    def stop(self) -> None:
        self._ctx.net.cancel.set()
        deadline = time.monotonic() + STOP_GRACE
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
