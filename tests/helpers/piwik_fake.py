"""A local stand-in for the Piwik PRO cloud: the token endpoint and the raw events API.

It follows Piwik PRO's documented shapes (SPEC 6):
- `POST /auth/token`, JSON `{"grant_type": "client_credentials", "client_id",
  "client_secret"}` -> `{"token_type": "Bearer", "expires_in": 1800, "access_token"}`;
  wrong credentials -> 401 `{"error": "invalid_client", "error_description", "message"}`.
- `POST /api/analytics/v1/events/` with `Authorization: Bearer <token>` and JSON
  `{"website_id", "date_from", "date_to", "columns": [{"column_id"}], "offset", "limit"}`
  -> `{"data": [[...]], "meta": {"columns": [...], "count": N}}`, rows in time order;
  a missing/expired token -> 401, an unknown website -> 403, bad parameters -> 400, all as
  `{"errors": [{"status", "title", "detail", "source": {"parameter"}}]}`.
- Scripted trouble: `script` (statuses to answer next, e.g. 429 with Retry-After; a `Raw`
  body for garbage or a body that breaks off), `drop_from_offset` (close the connection
  without an answer: a broken network).

The server keeps its own clock (`clock`), shared with the client under test so that token
expiry can be exercised without waiting 30 minutes; `advance_per_request` moves it.
"""

from __future__ import annotations

import calendar
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_LIMIT = 100_000
TOKEN_LIFETIME = 1800
KNOWN_COLUMNS = frozenset(
    {
        "timestamp",
        "custom_event_category",
        "custom_event_action",
        "custom_event_name",
        "custom_event_value",
        "event_type",
        "visitor_id",
        "session_id",
    }
)


class FakeClock:
    """A clock both sides read: seconds since an arbitrary start; moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class Raw:
    """A scripted body sent as these exact bytes (HTML, truncated JSON, ...)."""

    data: bytes
    content_type: str = "application/json"
    declared_length: int | None = None  # more than len(data): the body breaks off midway


@dataclass
class Seen:
    path: str
    body: dict[str, Any]
    token: str | None
    status: int


class FakePiwik:
    def __init__(self, clients: dict[str, str], websites: dict[str, list[dict[str, Any]]]) -> None:
        self.clients = clients
        self.websites = websites  # website id -> events: {"timestamp": unix, column: value}
        self.clock = FakeClock()
        self.advance_per_request = 0.0  # seconds the clock moves on each events request
        self.tokens: dict[str, float] = {}  # token -> expiry on `clock`
        self.script: list[Scripted] = []  # answers for the next events requests
        self.drop_from_offset: int | None = None
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.url = ""

    # --- what the tests look at ----------------------------------------------------------
    def token_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path == "/auth/token"]

    def event_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path == "/api/analytics/v1/events/"]

    def revoke_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    # --- the API -------------------------------------------------------------------------
    def token(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if body.get("grant_type") != "client_credentials":
            return (
                400,
                {},
                {
                    "error": "unsupported_grant_type",
                    "message": "The authorization grant type is not supported.",
                },
            )
        client_id, secret = body.get("client_id"), body.get("client_secret")
        if not isinstance(client_id, str) or self.clients.get(client_id) != secret:
            return (
                401,
                {},
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed",
                    "message": "Client authentication failed",
                },
            )
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = self.clock() + TOKEN_LIFETIME
        return (
            200,
            {},
            {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME, "access_token": token},
        )

    def events(
        self, body: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], Any] | None:
        with self.lock:
            expiry = self.tokens.get(token or "")
        if expiry is None or self.clock() >= expiry:
            return 401, {}, _errors(401, "Unauthorized", "Invalid or expired access token")
        if self.script:
            step = self.script.pop(0)
            return step.status, step.headers, step.body or _errors(step.status, "Error", "")
        problem = _validate(body)
        if problem:
            return 400, {}, problem
        rows = self.websites.get(body["website_id"])
        if rows is None:
            return (
                403,
                {},
                _errors(403, "Forbidden", "You don't have access to this website", "website_id"),
            )
        offset = body["offset"]
        if self.drop_from_offset is not None and offset >= self.drop_from_offset:
            return None  # the connection breaks
        self.clock.advance(self.advance_per_request)
        first = _day_start(body["date_from"])
        last = _day_start(body["date_to"]) + 86400  # date_to is inclusive
        chosen = sorted(
            (r for r in rows if first <= r["timestamp"] < last), key=lambda r: r["timestamp"]
        )
        columns = [c["column_id"] for c in body["columns"]]
        page = chosen[offset : offset + body["limit"]]
        data = [[_cell(r, c) for c in columns] for r in page]
        return 200, {}, {"data": data, "meta": {"columns": columns, "count": len(chosen)}}


def _errors(status: int, title: str, detail: str, parameter: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"status": str(status), "title": title, "detail": detail}
    if parameter:
        error["source"] = {"parameter": parameter}
    return {"errors": [error]}


def _day_start(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%d"))


def _cell(row: dict[str, Any], column: str) -> Any:
    if column == "timestamp":
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(row["timestamp"]))
    return row.get(column)


def _validate(body: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("website_id", "date_from", "date_to", "columns"):
        if key not in body:
            return _errors(400, "Missing parameter", f"{key} is required", key)
    for key in ("date_from", "date_to"):
        try:
            time.strptime(str(body[key]), "%Y-%m-%d")
        except ValueError:
            return _errors(400, "Invalid date", f"{key} must be YYYY-MM-DD", key)
    columns = body["columns"]
    if not isinstance(columns, list) or not columns:
        return _errors(400, "Invalid columns", "columns must be a non-empty list", "columns")
    for c in columns:
        cid = c.get("column_id") if isinstance(c, dict) else None
        if not isinstance(cid, str) or not (
            cid in KNOWN_COLUMNS or cid.startswith("event_custom_dimension_")
        ):
            return _errors(400, "Invalid column", f"unknown column {cid!r}", "columns")
    offset, limit = body.get("offset", 0), body.get("limit", 100)
    if not isinstance(offset, int) or offset < 0:
        return _errors(400, "Invalid offset", "offset must be >= 0", "offset")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        return _errors(400, "Invalid limit", f"limit must be 1..{MAX_LIMIT}", "limit")
    body.setdefault("offset", offset)
    body.setdefault("limit", limit)
    return None


def _handler(fake: FakePiwik) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep the test output clean

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
                if not isinstance(body, dict):
                    raise ValueError
            except ValueError:
                self._answer(400, {}, _errors(400, "Bad request", "body must be a JSON object"))
                return
            auth = self.headers.get("Authorization", "")
            token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
            if self.path == "/auth/token":
                answer: tuple[int, dict[str, str], Any] | None = fake.token(body)
                recorded = {k: v for k, v in body.items() if k != "client_secret"}
            elif self.path == "/api/analytics/v1/events/":
                answer = fake.events(body, token)
                recorded = body
            else:
                answer = (404, {}, _errors(404, "Not found", self.path))
                recorded = body
            status = 0 if answer is None else answer[0]
            with fake.lock:
                fake.seen.append(Seen(self.path, recorded, token, status))
            if answer is None:
                self.close_connection = True
                self.connection.close()
                return
            self._answer(*answer)

        def _answer(self, status: int, headers: dict[str, str], body: Any) -> None:
            raw = body if isinstance(body, Raw) else Raw(json.dumps(body).encode())
            self.send_response(status)
            self.send_header("Content-Type", raw.content_type)
            self.send_header("Content-Length", str(raw.declared_length or len(raw.data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(raw.data)
            if raw.declared_length is not None and raw.declared_length > len(raw.data):
                self.wfile.flush()
                self.close_connection = True
                self.connection.close()

    return Handler


@contextmanager
def serve(fake: FakePiwik) -> Iterator[FakePiwik]:
    """Run the fake on 127.0.0.1 (a free port) for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
