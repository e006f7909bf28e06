"""Sending hits: bulk POSTs from one background thread, never on the install's path.

The worker sends what the queue holds, at most `max_hits_per_request` hits per request. After
a failure that may pass (refused, DNS, timeout, 429, 5xx) it stops trying for the rest of
the run: what it holds goes to the spool when the sink closes, and the next run tries again.
A hit the server rejects for good (another 4xx) is dropped and counted: resending it would
never succeed. Any other answer (a 3xx: a moved or misconfigured endpoint, whose redirect a
POST cannot follow) keeps the hits for a later run. Nothing here raises out of the thread,
and nothing prints.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from installer.common.retry import TELEMETRY

log = logging.getLogger(__name__)

USER_AGENT = "dtu-install-telemetry"


class Verdict:
    DELIVERED = "delivered"
    RETRY_LATER = "retry_later"  # keep the hits for the spool
    REJECTED = "rejected"  # drop them: the server will never take them


def _opener() -> Any:
    """urllib without redirects: a redirected POST would become a GET that drops the hits
    and still looks delivered. A redirect is answered as the 3xx it is (kept, logged)."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect())


def post_bulk(endpoint: str, hits: list[str], timeout: float) -> str:
    """One bulk request (`{"requests": ["?...", ...]}`); returns a `Verdict` value."""
    import urllib.error
    import urllib.request

    body = json.dumps({"requests": hits}).encode("ascii")
    request = urllib.request.Request(
        endpoint,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with _opener().open(request, timeout=timeout) as response:
            # Any 2xx means accepted; the body (a GIF, JSON, or nothing) does not matter.
            response.read(64 * 1024)
            return Verdict.DELIVERED
    except urllib.error.HTTPError as exc:
        status = exc.code
        exc.close()
        # Only a 4xx is final (docs/telemetry.md): a 3xx was dropped too, so an endpoint
        # moved behind a redirect lost every hit sent to it (issue 14 item 18).
        if 400 <= status < 500 and not TELEMETRY.retries(status):
            log.info("telemetry: server rejected %d hits with %d; dropped", len(hits), status)
            return Verdict.REJECTED
        log.info("telemetry: server answered %d; keeping %d hits", status, len(hits))
        return Verdict.RETRY_LATER
    except Exception as exc:  # refused, DNS, timeout, TLS, a garbled answer: try next run
        log.info("telemetry: could not deliver %d hits: %s", len(hits), exc)
        return Verdict.RETRY_LATER


Sender = Callable[[str, list[str], float], str]


@dataclass
class Ledger:
    """What became of each hit; guarded by the worker's lock."""

    delivered: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # for the spool
    rejected: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)


class Worker:
    """A daemon thread that drains the queue into bulk requests until stopped.

    The queue, the hits in flight and the ledger share one lock, so that `unsent()` sees
    every hit exactly once, whatever the thread is doing at that moment.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        batch: int,
        timeout: float,
        send: Sender = post_bulk,
    ) -> None:
        self.endpoint = endpoint
        self.batch = batch
        self.timeout = timeout
        self.send = send
        self.pending: collections.deque[str] = collections.deque()
        self.cond = threading.Condition()
        self.ledger = Ledger()
        self.stopping = False
        self.closed = False  # `unsent()` has taken everything: results no longer matter
        self.healthy = True  # False after a failure that may pass: stop trying this run
        self.done = threading.Event()
        # A daemon thread: a hung request never keeps the process alive after `close`.
        self.thread = threading.Thread(target=self._run, name="dtu-telemetry", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, hit: str) -> None:
        with self.cond:
            self.pending.append(hit)
            self.cond.notify()

    def submit_many(self, hits: list[str]) -> None:
        """Queue several hits at once, so that they leave in as few requests as possible."""
        with self.cond:
            self.pending.extend(hits)
            self.cond.notify()

    def stop(self) -> None:
        """Send what is queued, then end (the caller bounds how long it waits)."""
        with self.cond:
            self.stopping = True
            self.cond.notify()

    def _next_batch(self) -> list[str] | None:
        with self.cond:
            while not self.pending and not self.stopping:
                self.cond.wait()
            if not self.pending or self.closed:
                return None
            hits = [self.pending.popleft() for _ in range(min(self.batch, len(self.pending)))]
            if self.healthy:
                self.ledger.in_flight = hits
                return hits
            self.ledger.kept.extend(hits)
            return []

    def _run(self) -> None:
        try:
            while True:
                hits = self._next_batch()
                if hits is None:
                    return
                if not hits:
                    continue
                verdict = self.send(self.endpoint, hits, self.timeout)
                with self.cond:
                    self.ledger.in_flight = []
                    if self.closed:
                        return
                    if verdict == Verdict.DELIVERED:
                        self.ledger.delivered.extend(hits)
                    elif verdict == Verdict.REJECTED:
                        self.ledger.rejected.extend(hits)
                    else:
                        self.ledger.kept.extend(hits)
                        self.healthy = False
        except Exception:  # never let a thread print a traceback into the install's output
            log.exception("telemetry worker stopped")
        finally:
            self.done.set()

    def unsent(self) -> list[str]:
        """Every hit not delivered or rejected: kept, in flight, and still queued.

        Called once the wait for the worker is over. A hit in flight may still arrive at the
        server; spooling it too means it may be sent twice, which the built-in collector
        deduplicates (an event's identity is its parameters) and which beats losing it.
        """
        with self.cond:
            self.closed = True
            left = [*self.ledger.kept, *self.ledger.in_flight, *self.pending]
            self.ledger.kept.clear()
            self.pending.clear()
            self.cond.notify()
            return left
