"""What the collector accepts, as one table (SPEC 5: request size and hits are bounded).

The telemetry client sends at most 95 hits per bulk request (SPEC 4) of well under 1 KiB
each, so these limits leave a wide margin for other Matomo-compatible senders while a
single request can never make the collector read or hold an unbounded amount. The bounds of
the hits themselves (query length, entries per bulk) belong to the wire form, which the import
shares: installer/events/hits.py.
"""

from __future__ import annotations

MAX_BODY_BYTES = 1024 * 1024  # a bulk body; larger -> 413 before it is read
MAX_HEADER_BYTES = 64 * 1024  # a request line (more -> 414) or header line (more -> 431)
IDLE_TIMEOUT_SECONDS = 30.0  # a keep-alive connection that says nothing is closed
MAX_CONNECTIONS = 512  # concurrent connections; more are refused with 503
POOL_MIN_BODY_BYTES = 8 * 1024  # bulk bodies this big are parsed in worker processes
MAX_PARSE_WORKERS = 4  # processes parsing bulk bodies
# Parse workers beyond one per CPU: each also waits while its body arrives and its rows are
# taken, so one more keeps the CPUs parsing (2 CPUs, side by side: 3 workers gave 8% more
# bulk hits/s than 2, in 6 of 6 pairs).
EXTRA_PARSE_WORKERS = 1
