"""The telemetry `OutcomeSink`: one hit per outcome, sent in the background.

`record` builds the hit and hands it to the worker (microseconds, never raises). `close`
waits for the worker at most `flush_seconds` in total, whatever the network does, then
spools what is left for the next run and notes the run's hits for `telemetry show`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

from installer.common.atomic_write import write_atomically
from installer.events.outcome import StepOutcome
from installer.regular_file import read_regular
from installer.telemetry.config import TelemetryConfig
from installer.telemetry.delivery import Worker
from installer.telemetry.hits import RunContext, encode, hit_params
from installer.telemetry.spool import Spool

log = logging.getLogger(__name__)

LAST_RUN_FILE = "telemetry-last-run.json"
MAX_RECORD_BYTES = 1 << 20  # a last-run record is a few hundred bytes; more is damage
# Of the flush budget, this much is kept for writing the spool (a lock wait, a small file).
SPOOL_RESERVE_SECONDS = 0.25


class NullSink:
    """Telemetry off: takes outcomes and does nothing (no request, no file)."""

    run_id: str | None = None  # nothing is sent, so support could not find this run

    def record(self, outcome: StepOutcome) -> None:
        pass

    def close(self) -> None:
        pass


class TelemetrySink:
    def __init__(
        self,
        ctx: RunContext,
        config: TelemetryConfig,
        worker: Worker,
        spool: Spool,
        *,
        clock: Callable[[], float] = time.time,
        log_handler: logging.Handler | None = None,
    ) -> None:
        self.ctx = ctx
        self.config = config
        self.worker = worker
        self.spool = spool
        self.clock = clock
        self.hits: list[str] = []  # this run's own hits, in order
        self.closed = False
        self.log_handler = log_handler

    @property
    def run_id(self) -> str:
        """Dimension 6 of this run's events: what the support id is cut from."""
        return self.ctx.run_id

    def record(self, outcome: StepOutcome) -> None:
        try:
            if self.closed:
                return
            params = hit_params(outcome, self.ctx, now=self.clock())
            if params is None:
                return
            hit = encode(params)
            self.hits.append(hit)
            self.worker.submit(hit)
        except Exception:
            log.exception("telemetry: outcome of %r not recorded", getattr(outcome, "step", "?"))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        start = time.monotonic()
        budget = self.config.flush_seconds
        try:
            self.worker.stop()
            try:
                self.worker.done.wait(max(0.0, budget - SPOOL_RESERVE_SECONDS))
            except KeyboardInterrupt:  # a second Ctrl-C: stop waiting, still spool
                log.info("telemetry flush interrupted")
            left = self.worker.unsent()
            spooled = False
            if left:
                remaining = max(0.05, budget - (time.monotonic() - start))
                spooled = self.spool.put(left, now=self.clock(), lock_timeout=remaining)
            self._note_last_run(set(left) if spooled else set())
            log.info(
                "telemetry: %d hits delivered, %d spooled%s, %d rejected, in %.3f s",
                len(self.worker.ledger.delivered),
                len(left) if spooled else 0,
                "" if spooled or not left else f" ({len(left)} lost)",
                len(self.worker.ledger.rejected),
                time.monotonic() - start,
            )
        except Exception:
            log.exception("telemetry: close failed")
        finally:
            self._detach_log()

    def _detach_log(self) -> None:
        if self.log_handler is None:
            return
        logging.getLogger("installer.telemetry").removeHandler(self.log_handler)
        self.log_handler.close()
        self.log_handler = None

    def _note_last_run(self, spooled: set[str]) -> None:
        """This run's hits, for `dtu-install telemetry show` (local file, never sent)."""
        delivered = set(self.worker.ledger.delivered)
        rows = [
            {
                "hit": hit,
                "status": "delivered"
                if hit in delivered
                else "spooled"
                if hit in spooled
                else "not delivered",
            }
            for hit in self.hits
        ]
        record = {"endpoint": self.config.endpoint, "run_id": self.ctx.run_id, "hits": rows}
        try:
            write_atomically(
                self.spool.directory / LAST_RUN_FILE, json.dumps(record, indent=1) + "\n"
            )
        except OSError as exc:
            log.info("telemetry: last-run record not written: %s", exc)


def read_last_run(directory: Path) -> dict[str, object] | None:
    try:
        data = json.loads(read_regular(directory / LAST_RUN_FILE, MAX_RECORD_BYTES))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
