"""A local stand-in for the Piwik PRO cloud: the token endpoint and the raw events API.

Written from Piwik PRO's own documentation (PiwikPRO/PPMS-PublicDocs):
- HTTPS only (a throw-away CA from trustme; `ca_path`, `session()` for clients);
- the website's time zone (`timezones`, default UTC): `date_from`/`date_to` are read in it
  (dates inclusive; datetimes: from inclusive, to exclusive), and `timestamp` is "server time
  in the website's timezone" without an offset (custom_reports/http_api/definitions/
  raw_data_request.yaml; custom_reports/columns__dimensions.rst; paths/events.yaml example);
- `timestamp`, `session_id`, `visitor_id`, `event_id` come with every row unasked, first
  (custom_reports/columns.rst, "Exporter"; the order of the events.yaml example); asking for
  `timestamp` is refused like an unknown column (its "Raw data API" cell is ✖), with the
  documented 400 `{"errors": [{"status", "detail", "source": {"parameter"}}]}`;
- sessions: a visitor's events with less than 30 minutes between them (the documented
  session timeout, data_collection/mobile/Piwik_PRO_SDK_for_Android.md); `event_index`
  counts a session's events from 0 (data_collection/api/tracker_debugger_api.yaml);
- `filters`: an and/or clause of `{"column_id", "condition": {"operator", "value"}}`, string
  operators eq, neq, starts_with, ends_with, matches, not_matches (raw_data_request.yaml).

Besides (SPEC 6):
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

import datetime
import json
import os
import re
import secrets
import ssl
import tempfile
import threading
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import trustme

MAX_LIMIT = 100_000
TOKEN_LIFETIME = 1800
DEFAULT_COLUMNS = ("session_id", "event_id", "visitor_id", "timestamp")
KNOWN_COLUMNS = frozenset(
    {
        "custom_event_category",
        "custom_event_action",
        "custom_event_name",
        "custom_event_value",
        "event_type",
        "event_index",
        "visitor_id",
        "session_id",
        "event_id",
    }
)
CUSTOM_SLOT = re.compile(r"^(event|session)_custom_dimension_([1-9][0-9]*)$")
MAX_SLOT = 200  # "Standard number of slots is ... 200" (custom_reports/columns.rst)
SESSION_TIMEOUT = 1800  # s without an event that end a session


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
    def __init__(
        self,
        clients: dict[str, str],
        websites: dict[str, list[dict[str, Any]]],
        timezones: dict[str, str] | None = None,
    ) -> None:
        self.clients = clients
        # website id -> events: {"timestamp": unix (UTC), column: value}; `visitor_id`
        # (default: the `event_custom_dimension_6` run id) groups them into sessions.
        self.websites = websites
        self.timezones = timezones or {}  # website id -> IANA name (default UTC)
        self.echo_status: int | None = None  # answer everything with this, echoing the request
        self.redirects: dict[str, tuple[int, str]] = {}  # path -> (status, Location)
        self.reverse_rows = False  # hand rows out newest first (the order is not documented)
        self.ca_path = ""
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

    def session(self) -> requests.Session:
        """A client session that trusts this server's throw-away CA."""
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override verify
        session.verify = self.ca_path
        return session

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
        tz = _zone(self.timezones.get(body["website_id"], "UTC"))
        first, last = _window(body["date_from"], body["date_to"], tz)
        chosen = sorted(
            (r for r in _sessions(rows) if first <= r["timestamp"] < last),
            key=lambda r: (r["timestamp"], r["event_id"]),
            reverse=self.reverse_rows,
        )
        if body.get("filters") is not None:
            chosen = [r for r in chosen if _matches(r, body["filters"])]
        asked = [c["column_id"] for c in body["columns"]]
        columns = [*DEFAULT_COLUMNS, *(c for c in asked if c not in DEFAULT_COLUMNS)]
        page = chosen[offset : offset + body["limit"]]
        data = [[_cell(r, c, tz) for c in columns] for r in page]
        return 200, {}, {"data": data, "meta": {"columns": columns, "count": len(chosen)}}


def _errors(status: int, title: str, detail: str, parameter: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"status": str(status), "title": title, "detail": detail}
    if parameter:
        error["source"] = {"parameter": parameter}
    return {"errors": [error]}


def _zone(name: str) -> datetime.tzinfo:
    return datetime.timezone.utc if name == "UTC" else zoneinfo.ZoneInfo(name)


def _local_moment(text: str, tz: datetime.tzinfo) -> int:
    """A local date or datetime -> unix seconds. The server side of an ambiguous local
    datetime is not documented; the earlier moment is taken (PEP 495 fold=0)."""
    value = datetime.datetime.fromisoformat(text)
    return int(value.replace(tzinfo=tz).timestamp())


def _window(date_from: str, date_to: str, tz: datetime.tzinfo) -> tuple[int, int]:
    first = _local_moment(date_from, tz)
    if len(date_to) == 10:  # a date: inclusive, so up to the start of the next local day
        next_day = datetime.date.fromisoformat(date_to) + datetime.timedelta(days=1)
        return first, _local_moment(next_day.isoformat(), tz)
    return first, _local_moment(date_to, tz)  # a datetime: exclusive


def _sessions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with `session_id`, `event_index`, `event_id` and `visitor_id` as Piwik PRO would
    give them: a visitor's events split where 30 minutes pass without one."""
    out = []
    by_visitor: dict[str, list[dict[str, Any]]] = {}
    for number, row in enumerate(rows):
        visitor = str(row.get("visitor_id") or row.get("event_custom_dimension_6") or number)
        by_visitor.setdefault(visitor, []).append({**row, "event_id": str(8_000_000 + number)})
    session = 2_000_000
    for visitor, events in sorted(by_visitor.items()):
        events.sort(key=lambda r: (r["timestamp"], r["event_id"]))
        previous = None
        index = 0
        for event in events:
            if previous is None or event["timestamp"] - previous >= SESSION_TIMEOUT:
                session += 1
                index = 0
            out.append(
                {**event, "visitor_id": visitor, "session_id": str(session), "event_index": index}
            )
            previous, index = event["timestamp"], index + 1
    return out


def _cell(row: dict[str, Any], column: str, tz: datetime.tzinfo) -> Any:
    if column == "timestamp":
        moment = datetime.datetime.fromtimestamp(row["timestamp"], tz=tz)
        return moment.strftime("%Y-%m-%dT%H:%M:%S")  # the website's local time, no offset
    return row.get(column)


_STRING_OPERATORS = {
    "eq": lambda v, x: v == x,
    "neq": lambda v, x: v != x,
    "starts_with": lambda v, x: v.startswith(x),
    "ends_with": lambda v, x: v.endswith(x),
    "matches": lambda v, x: re.search(x, v) is not None,
    "not_matches": lambda v, x: re.search(x, v) is None,
}


def _matches(row: dict[str, Any], clause: dict[str, Any]) -> bool:
    if "conditions" in clause:
        results = [_matches(row, c) for c in clause["conditions"]]
        return all(results) if clause["operator"] == "and" else any(results)
    condition = clause["condition"]
    value = row.get(clause["column_id"])
    return _STRING_OPERATORS[condition["operator"]](
        "" if value is None else str(value), condition["value"]
    )


def _filter_problem(clause: Any, top: bool = True) -> str | None:
    if not isinstance(clause, dict):
        return "a filter must be an object"
    if "conditions" in clause or top:
        if clause.get("operator") not in ("and", "or") or not isinstance(
            clause.get("conditions"), list
        ):
            return "the top-level filter must be an and/or clause with conditions"
        for nested in clause["conditions"]:
            problem = _filter_problem(nested, top=False)
            if problem:
                return problem
        return None
    condition = clause.get("condition")
    if not isinstance(clause.get("column_id"), str) or not isinstance(condition, dict):
        return "a filter needs column_id and condition"
    if condition.get("operator") not in _STRING_OPERATORS or "value" not in condition:
        return f"unsupported filter operator {condition.get('operator')!r}"
    if not _known_column(clause["column_id"]):
        return f'Dimension "{clause["column_id"]}" does not exist.'
    return None


def _known_column(cid: str) -> bool:
    match = CUSTOM_SLOT.match(cid)
    return cid in KNOWN_COLUMNS or (match is not None and int(match.group(2)) <= MAX_SLOT)


def _validate(body: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("website_id", "date_from", "date_to", "columns"):
        if key not in body:
            return _errors(400, "Missing parameter", f"{key} is required", key)
    for key in ("date_from", "date_to"):
        try:
            datetime.datetime.fromisoformat(str(body[key]))
        except ValueError:
            return _errors(400, "Invalid date", f"{key} must be a date or datetime", key)
    columns = body["columns"]
    if not isinstance(columns, list) or not columns:
        return _errors(400, "Invalid columns", "columns must be a non-empty list", "columns")
    for c in columns:
        cid = c.get("column_id") if isinstance(c, dict) else None
        if not isinstance(cid, str) or not _known_column(cid):
            return _errors(
                400, "Bad Request", f'Dimension "{cid}" does not exist.', "columns.column_id"
            )
    if "filters" in body:
        problem = _filter_problem(body["filters"])
        if problem:
            return _errors(400, "Bad Request", problem, "filters")
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
            if self.path in fake.redirects:
                status, location = fake.redirects[self.path]
                with fake.lock:
                    fake.seen.append(Seen(self.path, {}, token, status))
                self._answer(status, {"Location": location}, {})
                return
            if fake.echo_status is not None:
                # A server that puts the whole request into its error text.
                echoed = f"{self.requestline} {self.headers.as_string()} {raw.decode()}"
                with fake.lock:
                    fake.seen.append(Seen(self.path, {}, token, fake.echo_status))
                self._answer(
                    fake.echo_status, {}, _errors(fake.echo_status, "Echo", f"you sent: {echoed}")
                )
                return
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
    with tempfile.TemporaryDirectory(prefix="piwik-fake-") as directory:
        server.socket = tls_context(directory, fake).wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        fake.url = f"https://127.0.0.1:{server.server_address[1]}"
        try:
            yield fake
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


def tls_context(directory: str, fake: FakePiwik) -> ssl.SSLContext:
    """A server context from a throw-away CA, whose certificate goes to `fake.ca_path`."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    fake.ca_path = os.path.join(directory, "ca.pem")
    ca.cert_pem.write_to_path(fake.ca_path)
    return context
