"""The one retry policy module: named policies per client, Retry-After, backoff."""

from __future__ import annotations

import email.utils

import pytest

from installer.common import retry

NOW = 1_790_000_000.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        (email.utils.formatdate(NOW + 90, usegmt=True), 90.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: no wait
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_retry_after_is_delta_seconds_or_an_http_date(
    header: str | None, seconds: float | None
) -> None:
    assert retry.retry_after_seconds(header, now=NOW) == seconds


def test_exponential_backoff_doubles_up_to_the_cap() -> None:
    assert [retry.exponential_backoff(1.0, 16.0, n) for n in range(1, 8)] == [
        1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0,
    ]  # fmt: skip


def test_each_client_has_its_named_policy() -> None:
    # Downloads and telemetry: SPEC 3's transient list. The pull: 429 and 5xx. Webhooks:
    # the two answers that carry a Retry-After (every failure is retried next run anyway).
    assert retry.DOWNLOADS.retryable_statuses == retry.TRANSIENT_HTTP_STATUSES
    assert retry.TELEMETRY.retryable_statuses == retry.TRANSIENT_HTTP_STATUSES
    assert retry.PIWIK_PULL.retries(429) and not retry.PIWIK_PULL.retries(408)
    assert retry.NOTIFICATIONS.retries(503) and not retry.NOTIFICATIONS.retries(500)
    assert not any(p.retries(404) or p.retries(302) for p in (retry.DOWNLOADS, retry.TELEMETRY))
    assert (retry.DOWNLOADS.max_retry_after, retry.PIWIK_PULL.max_retry_after) == (120.0, 300.0)
