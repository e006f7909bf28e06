"""Asking an HTTP server again: which answers are worth another try, how long a server's
`Retry-After` asks us to wait, and exponential backoff. One module for the four clients
that talk to servers (downloads, telemetry, the Piwik PRO pull, notifications).

Their rules differ where their situations do, so each has a named `HttpRetryPolicy` here
rather than one forced rule:
- downloads (runner) retry within the step and honour `Retry-After` up to 2 minutes (a
  student waits at the terminal; longer: "try again later");
- telemetry never waits: hits that may be taken later go to the spool for the next run,
  other 4xx are dropped, and a 3xx is kept (see `telemetry/delivery.py`);
- the Piwik PRO pull (a scheduled job) waits up to 5 minutes, and asks again after a 429 or
  a 5xx only (as it always has; a 408/425 ends the pull with the server's message);
- notifications retry every failure at the next run and take `Retry-After` from the two
  answers that carry one (429, 503), capped at 6 hours so a silly value cannot park a
  critical alert for days.
"""

from __future__ import annotations

import calendar
import email.utils
import time
from dataclasses import dataclass

# HTTP statuses that mean "not now" rather than "never" (SPEC 3's transient list; pipx's
# RETRYABLE_HTTP_STATUS is the same kind of table).
TRANSIENT_HTTP_STATUSES: frozenset[int] = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpRetryPolicy:
    """How one client treats a failing answer: which statuses to ask again after, and the
    longest `Retry-After` it honours."""

    name: str
    retryable_statuses: frozenset[int]
    max_retry_after: float  # seconds

    def retries(self, status: int) -> bool:
        return status in self.retryable_statuses


DOWNLOADS = HttpRetryPolicy("downloads", TRANSIENT_HTTP_STATUSES, max_retry_after=120.0)
TELEMETRY = HttpRetryPolicy("telemetry", TRANSIENT_HTTP_STATUSES, max_retry_after=0.0)
PIWIK_PULL = HttpRetryPolicy(
    "piwik_pull", frozenset({429, 500, 502, 503, 504}), max_retry_after=300.0
)
NOTIFICATIONS = HttpRetryPolicy("notifications", frozenset({429, 503}), max_retry_after=6 * 3600.0)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A `Retry-After` header as seconds from `now`: delta seconds or an HTTP date (RFC 9110
    section 10.2.3); None if absent or unreadable. A date in the past is 0."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    parsed = email.utils.parsedate_tz(text)
    if parsed is None:
        return None
    moment = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
    return max(0.0, moment - (time.time() if now is None else now))


def exponential_backoff(first: float, cap: float, failed_attempts: int) -> float:
    """`first` seconds after the first failure, doubling after each further one, at most
    `cap` (`failed_attempts` >= 1)."""
    doubled: float = first * 2.0 ** (failed_attempts - 1)
    return min(cap, doubled)
