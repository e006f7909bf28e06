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
a message, a log line or an exception). They and the bearer token go only to the configured
HTTPS host: `http://` is refused, and no redirect is followed (a 3xx is an error naming
where it pointed; requests would otherwise re-send the POST body, the secret included, to a
307/308 target). Any text of the server's shown to the user (error details, a content type)
first loses whatever matches a credential or a token (`redact`): a server that echoes the
request must not put the secret on the terminal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from installer.analytics.settings import (
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_URL,
    Secret,
    url_problem,
)
from installer.common.retry import PIWIK_PULL, exponential_backoff, retry_after_seconds
from installer.errors import DtuInstallError

TOKEN_PATH = "/auth/token"
EVENTS_PATH = "/api/analytics/v1/events/"
TOKEN_MARGIN = 60.0  # s: refresh this long before the token expires
DEFAULT_TOKEN_LIFETIME = 1800.0  # s: Piwik PRO's tokens live 30 minutes
TIMEOUT = (10.0, 120.0)  # connect, read (a page of 100000 rows takes a while)
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
# Between attempts without a Retry-After: 1 s, doubling, at most 16 s (1, 2, 4, 8, 16).
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 16.0
USER_AGENT = "dtu-install-pull"
MAX_SERVER_TEXT = 300  # characters of a server's error text shown
REDACTED = "***"
# Token-like texts a server may echo (besides the exact credentials, always removed):
# `Bearer <token>`, `"access_token": "<token>"`, `client_secret=<x>`, and JWTs.
_TOKEN_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)([\"']?(?:access_token|refresh_token|client_secret|client_id|token|secret|"
        r"password|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"
    ),
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
)


class PiwikError(DtuInstallError):
    """The API could not give us the data; the message says what to check."""


class PiwikAuthError(PiwikError):
    """Credentials refused or no access to the website."""


@dataclass(frozen=True)
class EventsPage:
    columns: list[str]
    rows: list[list[Any]]
    count: int  # rows in the whole result, across pages (meta.count)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` without the given secret values and without anything token-like; shortened."""
    for value in sorted((v for v in secrets if v), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    text = _TOKEN_PATTERNS[0].sub(lambda m: m.group(1) + REDACTED, text)
    text = _TOKEN_PATTERNS[1].sub(lambda m: m.group(1) + REDACTED, text)
    text = _TOKEN_PATTERNS[2].sub(REDACTED, text)
    text = " ".join(text.split())  # no line breaks or control characters from the server
    if len(text) > MAX_SERVER_TEXT:
        text = text[:MAX_SERVER_TEXT] + "..."
    return text


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
        problem = url_problem(self.base_url)
        if problem:
            raise PiwikError(f"refusing to send the Piwik PRO credentials: {problem}")
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
                response = self.session.post(
                    url, json=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
                )
            except requests.exceptions.SSLError:
                # A certificate that is not trusted will not become trusted on a retry (it is
                # a ConnectionError to requests, so it was retried six times).
                raise PiwikError(
                    f"cannot talk to Piwik PRO at {self.base_url}: its TLS certificate is not "
                    f"trusted; check piwik.url or {ENV_URL} (or REQUESTS_CA_BUNDLE for a "
                    "private CA)"
                ) from None
            except RETRYABLE_ERRORS as exc:
                if attempt == MAX_ATTEMPTS:
                    raise PiwikError(
                        f"cannot reach Piwik PRO at {self.base_url} after {attempt} attempts: "
                        f"{type(exc).__name__}"
                    ) from None
                self._pause(exponential_backoff(FIRST_BACKOFF, MAX_BACKOFF, attempt))
                continue
            except requests.RequestException as exc:
                # Not worth another attempt (a bad URL, a redirect loop): say what kind of
                # failure it was, as an expected error rather than a crash.
                raise PiwikError(
                    f"cannot talk to Piwik PRO at {self.base_url}: {type(exc).__name__}; "
                    f"check piwik.url or {ENV_URL}"
                ) from None
            if response.is_redirect or 300 <= response.status_code < 400:
                raise PiwikError(self._redirect_message(response, path))
            if not PIWIK_PULL.retries(response.status_code) or attempt == MAX_ATTEMPTS:
                return response
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if wait is None:
                wait = exponential_backoff(FIRST_BACKOFF, MAX_BACKOFF, attempt)
            if wait > PIWIK_PULL.max_retry_after:
                raise PiwikError(
                    f"Piwik PRO asks to wait {wait:.0f} s before the next request "
                    f"({response.status_code}); try again later"
                )
            self._pause(wait)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def _redirect_message(self, response: requests.Response, path: str) -> str:
        location = response.headers.get("Location", "")
        target = urlsplit(urljoin(self.base_url + path, location)) if location else None
        where = (
            f" to {self._scrub(f'{target.scheme}://{target.netloc}{target.path}')}"
            if target
            else ""
        )
        return (
            f"Piwik PRO answered {path} with a redirect ({response.status_code}{where}); the "
            f"credentials are sent only to {self.base_url} and never follow a redirect: set "
            f"piwik.url or {ENV_URL} to the API's own https address"
        )

    def _scrub(self, text: str) -> str:
        """A server's text without our credentials, our token, or anything token-like."""
        secrets = (self._client_secret.reveal(), self._client_id.reveal(), self._token or "")
        return redact(text, secrets)

    def _pause(self, seconds: float) -> None:
        self.waited.append(seconds)
        self.sleep(seconds)

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            kind = self._scrub(response.headers.get("Content-Type", "no content type"))
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
            detail = self._details(response)
            raise PiwikAuthError(
                f"Piwik PRO refused the API credentials ({response.status_code} from "
                f"{TOKEN_PATH}{': ' + detail if detail else ''}); check {ENV_CLIENT_ID} and "
                f"{ENV_CLIENT_SECRET} (an API client of {self.base_url})"
            )
        if response.status_code != 200:
            raise PiwikError(
                f"Piwik PRO token request failed with {response.status_code}"
                f"{': ' + self._details(response) if response.content else ''}"
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

    def _details(self, response: requests.Response) -> str:
        return self._scrub(_error_details(self._json_or_none(response)))

    # --- raw events ----------------------------------------------------------------------
    def events(
        self,
        website_id: str,
        date_from: str,
        date_to: str,
        columns: Sequence[str],
        offset: int,
        limit: int,
        *,
        filters: Mapping[str, Any] | None = None,
        required: Sequence[str] = (),
    ) -> EventsPage:
        """One page. `required`: columns the API returns without being asked (`timestamp`)
        that the answer must have all the same."""
        body: dict[str, Any] = {
            "website_id": website_id,
            "date_from": date_from,
            "date_to": date_to,
            "columns": [{"column_id": c} for c in columns],
            "offset": offset,
            "limit": limit,
        }
        if filters:
            body["filters"] = filters
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
            detail = self._details(response)
            raise PiwikAuthError(
                f"no access to website {website_id} (403{': ' + detail if detail else ''}); "
                f"give the API client behind {ENV_CLIENT_ID} view access to it"
            )
        if response.status_code != 200:
            detail = self._details(response)
            raise PiwikError(
                f"Piwik PRO events request failed with {response.status_code}"
                f"{': ' + detail if detail else ''}"
            )
        page = self._page(self._json(response, "the events request"))
        # Rows are read by column name, so another order is fine; but a column we asked for
        # and did not get would make every row invalid (or "not an event") and the days
        # would be marked as pulled: refuse the answer instead, so the next run asks again.
        missing = [c for c in (*required, *columns) if c not in page.columns]
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
