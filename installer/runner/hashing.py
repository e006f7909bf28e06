"""sha256 on a second thread while a download streams.

hashlib releases the GIL while it hashes a buffer, so a hasher thread runs in parallel with
the thread receiving and writing the body (sha256 of 200 MB is ~0.35 s of CPU, about what
receiving it costs). bench/bench_download.py measures this against hashing on the receiving
thread, side by side (`inline_hash_*` in bench/results/bench_download.json).
Chunks are handed over in batches (one queue operation per ~1 MiB, not per TLS record),
and the queue is bounded, so memory stays small when hashing falls behind.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

BATCH_BYTES = 1 << 20  # hand chunks over about once per MiB
QUEUE_DEPTH = 8  # batches waiting at most: ~8 MiB of memory


class BackgroundHasher:
    def __init__(self, inner: Any) -> None:
        self._inner = inner  # a hashlib object, possibly holding an existing .part's bytes
        self._queue: queue.Queue[list[bytes] | None] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._batch: list[bytes] = []
        self._pending = 0
        self._thread = threading.Thread(target=self._work, name="sha256", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (batch := self._queue.get()) is not None:
            for chunk in batch:
                self._inner.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._pending += len(chunk)
        if self._pending >= BATCH_BYTES:
            self._queue.put(self._batch)
            self._batch, self._pending = [], 0

    def close(self) -> None:
        """Hash what is left and stop the thread (idempotent)."""
        if self._thread.is_alive():
            self._queue.put(self._batch)
            self._batch, self._pending = [], 0
            self._queue.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return str(self._inner.hexdigest())
