"""What an HTTP failure means for a download step: its category, and whether asking again
can help. One place for the answers, used while connecting and while reading the body."""

from __future__ import annotations

import socket

import requests
import urllib3

from installer.common.retry import DOWNLOADS, retry_after_seconds
from installer.events.outcome import ErrorCategory
from installer.steps.failure import StepError, category_for_http_status


def request_error(exc: requests.RequestException, url: str) -> StepError:
    if isinstance(exc, requests.exceptions.SSLError):
        # A certificate problem does not go away by asking again.
        return StepError(ErrorCategory.NETWORK, f"secure connection to {url} failed: {exc}")
    text = str(exc)
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return _stopped_answering(url)
    return StepError(
        ErrorCategory.NETWORK, f"{url}: connection failed ({type(exc).__name__})", True
    )


def _stopped_answering(url: str) -> StepError:
    return StepError(ErrorCategory.TIMEOUT, f"{url}: the server stopped answering", True)


def _dropped(url: str, exc: Exception) -> StepError:
    return StepError(
        ErrorCategory.NETWORK, f"{url}: connection dropped ({type(exc).__name__})", True
    )


def urllib3_error(exc: urllib3.exceptions.HTTPError, url: str) -> StepError:
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return _stopped_answering(url)
    return _dropped(url, exc)


def http_error(resp: requests.Response, url: str) -> StepError:
    status = resp.status_code
    return StepError(
        category_for_http_status(status),
        f"{url}: HTTP {status} {resp.reason or ''}".rstrip(),
        retryable=DOWNLOADS.retries(status),
        retry_after=retry_after_seconds(resp.headers.get("Retry-After")),
        http_status=status,
    )


def read_error(exc: OSError, url: str) -> StepError:
    """A socket error while reading a body straight from the connection."""
    if isinstance(exc, (socket.timeout, TimeoutError)):  # distinct classes before 3.10
        return _stopped_answering(url)
    return _dropped(url, exc)
