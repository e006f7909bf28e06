"""One tracking request -> one response, independent of the HTTP server that carries it.

Answers as the tracking endpoints do: a single hit gets 202 Accepted (204 No Content when
the sender asked for no image with `send_image=0`); a bulk request gets Matomo's JSON
`{"status": "success", "tracked": N, "invalid": M}`. Unlike Matomo, a bulk with invalid
entries answers 400 and says which and why (`invalid_indices`, `errors`), after storing the
valid ones: a sender sees its mistake, and no good hit is lost because of a bad neighbour.
Every answer comes after the hits are committed (the `submit` callable blocks until then).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus

from installer.collector.writer import StoreUnavailable
from installer.events.hits import params_from_entry, parse_bulk, parse_query
from installer.events.normalise import InvalidHit, normalise_row

# Tracking endpoints: Piwik PRO's, Matomo's, and Matomo's legacy name.
ENDPOINTS = frozenset({"/ppms.php", "/matomo.php", "/piwik.php"})
METHODS = ("GET", "POST")
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
# A POST body starting with one of these is JSON (a bulk); anything else is a form body.
_JSON_STARTS = (b"{", b"[")

Row = tuple[object, ...]  # `event.normalise_row(...)`: what the writer stores
Submit = Callable[[Sequence[Row]], int]  # blocks until committed (writer.submit)
ParseBulk = Callable[[bytes, int], "BulkRows"]  # body, receipt time -> rows and errors


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = TEXT
    headers: Mapping[str, str] = field(default_factory=dict)


def text(status: int, message: str, **headers: str) -> Response:
    return Response(status, (message + "\n").encode("utf-8"), TEXT, headers)


def _json(status: int, document: Mapping[str, object]) -> Response:
    return Response(status, json.dumps(document).encode("utf-8"), JSON)


def handle(
    method: str,
    target: str,
    body: bytes,
    *,
    received_at: int,
    submit: Submit,
    bulk_parser: ParseBulk | None = None,
) -> Response:
    """`target` is the request line's path and query (`/ppms.php?e_c=...`); `bulk_parser`
    may run `bulk_rows` elsewhere (a process pool) and defaults to running it here."""
    path, _, query = target.partition("?")
    if path == "/" and method == "GET":
        return text(HTTPStatus.OK, "dtu-install collector: send hits to /ppms.php or /matomo.php")
    if path not in ENDPOINTS:
        return text(
            HTTPStatus.NOT_FOUND, f"unknown endpoint {path[:80]!r}; use /ppms.php or /matomo.php"
        )
    if method not in METHODS:
        return text(
            HTTPStatus.METHOD_NOT_ALLOWED,
            f"method {method[:20]} is not allowed; use GET or POST",
            Allow=", ".join(METHODS),
        )
    if method == "POST" and body.startswith(codecs.BOM_UTF8):
        # JSON must not start with one (RFC 8259 section 8.1), and a form body that does
        # would put it into the first field's name: name the cause, not "missing e_c".
        return text(
            HTTPStatus.BAD_REQUEST,
            "invalid hit: the body starts with a byte order mark (BOM); send it without one",
        )
    try:
        if method == "POST" and body.lstrip()[:1] in _JSON_STARTS:
            return _bulk(body, received_at, submit, bulk_parser or bulk_rows)
        return _single(query, body if method == "POST" else b"", received_at, submit)
    except StoreUnavailable as exc:
        # Not the sender's fault and not acknowledged: the sender keeps the hits and retries.
        return text(HTTPStatus.SERVICE_UNAVAILABLE, str(exc), **{"Retry-After": "5"})


def _single(query: str, body: bytes, received_at: int, submit: Submit) -> Response:
    try:
        params = parse_query(query) if query else {}
        if body.strip():
            try:
                form = body.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidHit("body is not valid UTF-8") from None
            params.update(parse_query(form))  # form fields win over the URL's, as in PHP
        if not params:
            raise InvalidHit("no tracking parameters in the URL or the body")
        row = normalise_row(params, received_at=received_at)
    except InvalidHit as exc:
        return text(HTTPStatus.BAD_REQUEST, f"invalid hit: {exc}")
    submit([row])
    if params.get("send_image") == "0":
        return Response(HTTPStatus.NO_CONTENT)
    return Response(HTTPStatus.ACCEPTED)


@dataclass(frozen=True)
class BulkRows:
    """A bulk body, normalised: store rows and (index, reason) of the invalid entries.
    Small and picklable: it may come back from a worker process."""

    rows: list[Row]
    errors: list[tuple[int, str]]
    entries: int


def bulk_rows(body: bytes, received_at: int) -> BulkRows:
    """Parses and normalises a whole bulk body; `InvalidHit` if the body itself is unusable.
    Module level, so that a process pool can run it (`server.BulkParser`)."""
    bulk = parse_bulk(body)
    rows: list[Row] = []
    errors: list[tuple[int, str]] = []
    for index, entry in enumerate(bulk.entries):
        try:
            rows.append(normalise_row(params_from_entry(entry), received_at=received_at))
        except InvalidHit as exc:
            errors.append((index, str(exc)))
    return BulkRows(rows, errors, len(bulk.entries))


def _bulk(body: bytes, received_at: int, submit: Submit, parse: ParseBulk) -> Response:
    try:
        bulk = parse(body, received_at)
    except InvalidHit as exc:
        return _json(
            HTTPStatus.BAD_REQUEST,
            {"status": "error", "tracked": 0, "invalid": 0, "message": str(exc)},
        )
    if bulk.rows:
        submit(bulk.rows)
    document: dict[str, object] = {
        "status": "error" if bulk.errors else "success",
        "tracked": len(bulk.rows),
        "invalid": len(bulk.errors),
    }
    if not bulk.errors:
        return _json(HTTPStatus.OK, document)
    document["invalid_indices"] = [index for index, _ in bulk.errors]
    document["errors"] = [{"index": index, "reason": reason} for index, reason in bulk.errors]
    document["message"] = (
        f"{len(bulk.errors)} of {bulk.entries} hits are invalid and were not stored; "
        f"the other {len(bulk.rows)} were stored"
    )
    return _json(HTTPStatus.BAD_REQUEST, document)
