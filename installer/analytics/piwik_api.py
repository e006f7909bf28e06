"""A small client for the Piwik PRO Analytics API: the token and the raw events endpoint.

- `POST /auth/token` with `{"grant_type": "client_credentials", "client_id", "client_secret"}`
  -> `{"access_token", "expires_in"}` (30 min); the token is refreshed `TOKEN_MARGIN` seconds
  before it expires, and once more if the API answers 401 anyway.
- `POST /api/analytics/v1/events/` with `website_id`, `date_from`/`date_to` (days, inclusive),
  `columns` (`[{"column_id": ...}]`), `offset`/`limit` (limit at most 100000) ->
  `{"data": [[...]], "meta": {"columns": [...], "count": N}}`.
- Errors come as `{"errors": [{"status", "title", "detail", "source"}]}`; 429 carries
  `Retry-After`, which is honoured; 5xx and broken connections are retried with backoff.

Credentials are `Secret`s: they go into the token request body and nowhere else (never into
a message, a log line or an exception).
"""

from __future__ import annotations

import calendar
import email.utils
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from installer.analytics.settings import ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_URL, Secret
from installer.errors import DtuInstallError

TOKEN_PATH = "/auth/token"
EVENTS_PATH = "/api/analytics/v1/events/"
TOKEN_MARGIN = 60.0  # s: refresh this long before the token expires
DEFAULT_TOKEN_LIFETIME = 1800.0  # s: Piwik PRO's tokens live 30 minutes
TIMEOUT = (10.0, 120.0)  # connect, read (a page of 100000 rows takes a while)
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# Failures on the way that another attempt may not meet. ChunkedEncodingError (the connection
# broke inside the body) and ContentDecodingError (a garbled gzip body) are not
# ConnectionErrors; without them a truncated answer ended the pull as a crash (exit 3).
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
MAX_ATTEMPTS = 6
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0)  # s, between attempts without a Retry-After
MAX_RETRY_AFTER = 300.0  # s: a longer wait is reported instead of sat through
USER_AGENT = "dtu-install-pull"


class PiwikError(DtuInstallError):
    """The API could not give us the data; the message says what to check."""


class PiwikAuthError(PiwikError):
    """Credentials refused or no access to the website."""


@dataclass(frozen=True)
class EventsPage:
    columns: list[str]
    rows: list[list[Any]]
    count: int  # rows in the whole result, across pages (meta.count)


def _error_details(body: Any) -> str:
    """`{"errors": [{"title", "detail", "source": {"parameter"}}]}` -> one line."""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list):
        parts = []
        for e in errors[:5]:
            if not isinstance(e, dict):
                continue
            text = " - ".join(str(e[k]) for k in ("title", "detail") if e.get(k))
            source = e.get("source")
            if isinstance(source, dict) and source.get("parameter"):
                text += f" (parameter {source['parameter']})"
            parts.append(text)
        return "; ".join(p for p in parts if p)
    # OAuth-style answers of the token endpoint.
    for key in ("error_description", "message", "error"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return ""


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After`: delta seconds or an HTTP date; None if absent or unreadable."""
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


class PiwikClient:
    def __init__(
        self,
        base_url: str,
        client_id: Secret,
        client_secret: Secret,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.clock, self.sleep = clock, sleep
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_fetched = 0
        self.waited: list[float] = []  # every pause before a retry, for the summary and tests

    def __repr__(self) -> str:
        return f"PiwikClient({self.base_url!r})"

    # --- transport -----------------------------------------------------------------------
    def _send(self, path: str, body: Mapping[str, Any], token: str | None) -> requests.Response:
        """POST with retries on 429/5xx/broken connections; returns the final response."""
        url = self.base_url + path
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self.session.post(url, json=body, headers=headers, timeout=TIMEOUT)
            except RETRYABLE_ERRORS as exc:
                if attempt == MAX_ATTEMPTS:
                    raise PiwikError(
                        f"cannot reach Piwik PRO at {self.base_url} after {attempt} attempts: "
                        f"{type(exc).__name__}"
                    ) from None
                self._pause(BACKOFF[min(attempt, len(BACKOFF)) - 1])
                continue
            except requests.RequestException as exc:
                # Not worth another attempt (a bad URL, a redirect loop): say what kind of
                # failure it was, as an expected error rather than a crash.
                raise PiwikError(
                    f"cannot talk to Piwik PRO at {self.base_url}: {type(exc).__name__}; "
                    f"check piwik.url or {ENV_URL}"
                ) from None
            if response.status_code not in RETRYABLE_STATUS or attempt == MAX_ATTEMPTS:
                return response
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is None:
                wait = BACKOFF[min(attempt, len(BACKOFF)) - 1]
            if wait > MAX_RETRY_AFTER:
                raise PiwikError(
                    f"Piwik PRO asks to wait {wait:.0f} s before the next request "
                    f"({response.status_code}); try again later"
                )
            self._pause(wait)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _pause(self, seconds: float) -> None:
        self.waited.append(seconds)
        self.sleep(seconds)

    @staticmethod
    def _json(response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise PiwikError(
                f"Piwik PRO answered {what} with {response.status_code} and a body that is not "
                f"JSON ({kind})"
            ) from None

    # --- token ---------------------------------------------------------------------------
    def token(self) -> str:
        if self._token is not None and self.clock() < self._expires_at - TOKEN_MARGIN:
            return self._token
        return self._refresh()

    def _refresh(self) -> str:
        body = {
            "grant_type": "client_credentials",
            "client_id": self._client_id.reveal(),
            "client_secret": self._client_secret.reveal(),
        }
        started = self.clock()
        response = self._send(TOKEN_PATH, body, token=None)
        if response.status_code in (400, 401, 403):
            detail = _error_details(self._json_or_none(response))
            raise PiwikAuthError(
                f"Piwik PRO refused the API credentials ({response.status_code} from "
                f"{TOKEN_PATH}{': ' + detail if detail else ''}); check {ENV_CLIENT_ID} and "
                f"{ENV_CLIENT_SECRET} (an API client of {self.base_url})"
            )
        if response.status_code != 200:
            raise PiwikError(
                f"Piwik PRO token request failed with {response.status_code}"
                f"{': ' + _error_details(self._json_or_none(response)) if response.content else ''}"
            )
        data = self._json(response, "the token request")
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise PiwikError("Piwik PRO's token answer has no access_token")
        lifetime = data.get("expires_in", DEFAULT_TOKEN_LIFETIME)
        if not isinstance(lifetime, (int, float)) or lifetime <= 0:
            lifetime = DEFAULT_TOKEN_LIFETIME
        self._token, self._expires_at = token, started + float(lifetime)
        self.tokens_fetched += 1
        return token

    @staticmethod
    def _json_or_none(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return None

    # --- raw events ----------------------------------------------------------------------
    def events(
        self,
        website_id: str,
        date_from: str,
        date_to: str,
        columns: Sequence[str],
        offset: int,
        limit: int,
    ) -> EventsPage:
        body = {
            "website_id": website_id,
            "date_from": date_from,
            "date_to": date_to,
            "columns": [{"column_id": c} for c in columns],
            "offset": offset,
            "limit": limit,
        }
        response = self._send(EVENTS_PATH, body, self.token())
        if response.status_code == 401:
            # The token may have been revoked or expired early: one fresh token, one retry.
            self._token = None
            response = self._send(EVENTS_PATH, body, self.token())
            if response.status_code == 401:
                raise PiwikAuthError(
                    "Piwik PRO refused a fresh access token (401 from the events API); the API "
                    f"client behind {ENV_CLIENT_ID} needs access to website {website_id}"
                )
        if response.status_code == 403:
            detail = _error_details(self._json_or_none(response))
            raise PiwikAuthError(
                f"no access to website {website_id} (403{': ' + detail if detail else ''}); "
                f"give the API client behind {ENV_CLIENT_ID} view access to it"
            )
        if response.status_code != 200:
            detail = _error_details(self._json_or_none(response))
            raise PiwikError(
                f"Piwik PRO events request failed with {response.status_code}"
                f"{': ' + detail if detail else ''}"
            )
        page = self._page(self._json(response, "the events request"))
        # Rows are read by column name, so another order is fine; but a column we asked for
        # and did not get would make every row invalid (or "not an event") and the days
        # would be marked as pulled: refuse the answer instead, so the next run asks again.
        missing = [c for c in columns if c not in page.columns]
        if missing:
            raise PiwikError(
                "Piwik PRO's events answer lacks the columns asked for: " + ", ".join(missing)
            )
        return page

    @staticmethod
    def _page(data: Any) -> EventsPage:
        meta = data.get("meta") if isinstance(data, dict) else None
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(meta, dict) or not isinstance(rows, list):
            raise PiwikError("Piwik PRO's events answer lacks `data` or `meta`")
        columns, count = meta.get("columns"), meta.get("count")
        if not isinstance(columns, list) or not isinstance(count, int) or count < 0:
            raise PiwikError("Piwik PRO's events answer has no valid meta.columns/meta.count")
        if not all(isinstance(r, list) and len(r) == len(columns) for r in rows):
            raise PiwikError("Piwik PRO's events answer has rows that do not match its columns")
        return EventsPage([str(c) for c in columns], rows, count)
