"""sha256 of a download on a second thread, over a small pool of reusable blocks.

The receiving thread fills a block straight from the socket, writes it to the `.part`, and
hands it here; a hasher thread hashes it (hashlib releases the GIL for big buffers) and
puts the block back in the pool. So the receive loop never allocates per TLS record, the
hash runs beside the receiving when a core is free, and memory stays at
`POOL_BLOCKS * block size` however far hashing falls behind (the receiver then waits for a
free block). bench/bench_download.py measures this against hashing on the receiving thread,
side by side (`inline_hash_*` in bench/results/bench_download.json).

Also `file_sha256`: a whole file's sha256 and size, for what `bundle` writes and verifies.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import Any

BLOCK_BYTES = 1 << 20  # one write and one hash call per MiB, not per 16 KiB TLS record
POOL_BLOCKS = 4  # blocks in use at once: 4 MiB of memory at most


def file_sha256(path: Path) -> tuple[str, int]:
    """The sha256 (hex) and size in bytes of the file at `path`, read a block at a time."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        for block in iter(lambda: f.read(BLOCK_BYTES), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


class BlockHasher:
    """Hashes whole blocks in order on a background thread; blocks come back to the pool."""

    def __init__(self, inner: Any, block_bytes: int = BLOCK_BYTES) -> None:
        self._inner = inner  # a hashlib object, possibly holding an existing .part's bytes
        self._free: queue.SimpleQueue[memoryview] = queue.SimpleQueue()
        for _ in range(POOL_BLOCKS):
            self._free.put(memoryview(bytearray(block_bytes)))
        self._filled: queue.SimpleQueue[tuple[memoryview, int] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._work, name="sha256", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (item := self._filled.get()) is not None:
            block, size = item
            self._inner.update(block[:size])
            self._free.put(block)

    def block(self) -> memoryview:
        """A free block to fill; waits while every block is still being hashed."""
        return self._free.get()

    def submit(self, block: memoryview, size: int) -> None:
        """Hash `block[:size]` (in order with earlier blocks); the block is not to be touched
        again by the caller."""
        self._filled.put((block, size))

    def close(self) -> None:
        """Hash what was submitted and stop the thread (idempotent)."""
        if self._thread.is_alive():
            self._filled.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return str(self._inner.hexdigest())
