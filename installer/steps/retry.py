"""Retrying a step's transient failures: exponential backoff with jitter, honouring
Retry-After up to the DOWNLOADS policy's limit (installer/common/retry.py).

`sleep` and `random` are module attributes so tests patch them (pipx does the same); the
policy itself is the step's `RetryPolicy` plus the named limits here.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from installer.common.retry import DOWNLOADS, exponential_backoff
from installer.steps.failure import StepError
from installer.steps.model import RetryPolicy

T = TypeVar("T")

# A server's Retry-After is honoured up to this many seconds; beyond it we would rather
# fail with a clear message than sit silently for minutes.
MAX_RETRY_AFTER = DOWNLOADS.max_retry_after
# Jitter: the delay is scaled by a factor in [JITTER_LOW, 1.0] so many students retrying
# after the same outage do not hit the server in lock-step.
JITTER_LOW = 0.5

sleep: Callable[[float], None] = time.sleep
uniform: Callable[[float, float], float] = random.uniform


def backoff_delay(policy: RetryPolicy, failed_attempts: int, retry_after: float | None) -> float:
    """Seconds to wait after `failed_attempts` (>= 1) failures."""
    base = exponential_backoff(policy.backoff, policy.max_backoff, failed_attempts)
    delay: float = base * uniform(JITTER_LOW, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


@dataclass
class Attempted:
    attempts: int


def with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], T],
    on_retry: Callable[[int, StepError, float], None] | None = None,
    counter: Attempted | None = None,
) -> T:
    """Call `attempt` until it succeeds, raises a non-retryable `StepError`, or the policy's
    attempts are used up (then the last error is raised). `counter.attempts` is kept current
    so the caller can report attempts even when an error escapes."""
    count = counter if counter is not None else Attempted(0)
    limit = max(1, policy.attempts)
    while True:
        count.attempts += 1
        try:
            return attempt()
        except StepError as err:
            if not err.retryable or count.attempts >= limit:
                raise
            if err.retry_after is not None and err.retry_after > MAX_RETRY_AFTER:
                raise StepError(
                    err.category,
                    f"{err.reason} (the server asked to wait {err.retry_after:.0f} s; "
                    "try again later)",
                ) from err
            delay = backoff_delay(policy, count.attempts, err.retry_after)
            if on_retry is not None:
                on_retry(count.attempts, err, delay)
            sleep(delay)
