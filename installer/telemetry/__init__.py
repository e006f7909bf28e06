"""Built-in telemetry: one Piwik PRO event per step, never slowing or breaking an install.

The runner calls `open_sink(facts, interactive=..., test_mode=...)` after planning, passes
the sink every `StepOutcome`, and calls `close()` at the end (also after Ctrl-C). Nothing
here raises, prints a traceback, or changes the exit code; problems go to the log only.
See docs/telemetry.md for what is sent and how to opt out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

from installer.events.outcome import OutcomeSink
from installer.platform.facts import Facts
from installer.telemetry.config import TelemetryConfig, environment_of, load_config
from installer.telemetry.consent import Asker, decide
from installer.telemetry.delivery import Sender, Worker, post_bulk
from installer.telemetry.hits import new_run_context
from installer.telemetry.sink import NullSink, TelemetrySink
from installer.telemetry.spool import Spool

log = logging.getLogger(__name__)
# Our messages are for the run's log file only: without a handler of its own, Python would
# print warnings to stderr ("last resort" handler), into the install's output.
logging.getLogger("installer.telemetry").addHandler(logging.NullHandler())

# Taking the spool at start-up waits at most this long for another run's lock.
SPOOL_TAKE_TIMEOUT = 0.2
# Telemetry's own log (deliveries, spool drops), beside the run logs; rotated when large.
LOG_NAME = "telemetry.log"
LOG_MAX_BYTES = 256 * 1024


class _QuietLogFile(logging.FileHandler):
    """`telemetry.log`, where a failed write (a full disk) is dropped. logging's default
    prints "--- Logging error ---" and a traceback to stderr, into the install's output."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass

    def close(self) -> None:
        with contextlib.suppress(OSError):  # its last buffered write can fail the same way
            super().close()


class _OneLineFormatter(logging.Formatter):
    """Each message on one line, control characters escaped: a server's own bytes (an error
    text with NUL, CR or LF, a status line that is not HTTP) landed raw in `telemetry.log`,
    where a CR or LF forges a line of its own (issue 14 item 18)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        if not record.message.isprintable():
            record.message = "".join(
                char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
                for char in record.message
            )
        return super().formatMessage(record)


def _open_log(directory: Path) -> logging.Handler | None:
    """Send this package's messages to `telemetry.log` in the log dir (never to the screen).

    The sink removes the handler when it closes, so each run writes to its own log dir.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / LOG_NAME
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            os.replace(path, path.with_name(LOG_NAME + ".1"))
        # Opened now, not at the first message (`delay`): a file that cannot be opened (a
        # directory in its place, a file left by a `sudo` run) raised out of `log.info`
        # there, through `open_sink`'s own error handling, and ended the install.
        handler = _QuietLogFile(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(_OneLineFormatter("%(asctime)s %(levelname)s %(message)s"))
    package = logging.getLogger("installer.telemetry")
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    return handler


def open_sink(
    facts: Facts,
    *,
    interactive: bool,
    test_mode: bool,
    environ: Mapping[str, str] | None = None,
    config: TelemetryConfig | None = None,
    ask: Asker | None = None,
    data_dir: Path | None = None,
    send: Sender = post_bulk,
) -> OutcomeSink:
    """The sink for this run: a sending one if consent allows, else one that does nothing.

    The keyword arguments after `test_mode` are seams for tests and the benchmark.
    """
    handler: logging.Handler | None = None
    try:
        env = os.environ if environ is None else environ
        cfg = config or load_config(env)
        decision = decide(env, cfg, interactive=interactive, ci=facts.ci, ask=ask)
        if not decision.send:
            return NullSink()
        from installer import paths
        from installer.build_info import commit_sha

        handler = _open_log(paths.log_dir())
        log.info("telemetry %s; endpoint %s", decision.reason, cfg.endpoint)
        environment = environment_of(env, test_mode=test_mode, ci=facts.ci)
        ctx = new_run_context(facts, cfg, environment, commit_sha())
        spool = Spool(
            data_dir or paths.data_dir(),
            max_bytes=cfg.spool_max_bytes,
            max_age=cfg.spool_max_age,
        )
        worker = Worker(
            cfg.endpoint, batch=cfg.max_hits_per_request, timeout=cfg.request_timeout, send=send
        )
        worker.start()  # before taking the spool: a thread that cannot start loses nothing
        sink = TelemetrySink(ctx, cfg, worker, spool, log_handler=handler)
        # Hits an earlier run could not deliver go first; they carry their own cdt. From here
        # on they belong to this run: delivered, or spooled again when it closes.
        worker.submit_many(spool.take(now=time.time(), lock_timeout=SPOOL_TAKE_TIMEOUT).hits)
        return sink
    except KeyboardInterrupt:
        raise  # Ctrl-C at the consent question: the user wants to stop the install
    except Exception:
        log.exception("telemetry disabled for this run")
        if handler is not None:
            logging.getLogger("installer.telemetry").removeHandler(handler)
            handler.close()
        return NullSink()
