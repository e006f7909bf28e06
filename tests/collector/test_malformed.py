"""Malformed input against the running collector: always a 4xx with a reason, never a 5xx,
never a crash, and the collector keeps storing good hits afterwards (SPEC 5)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.collector.hits import params, query
from tests.collector.rawhttp import request, send_raw
from tests.helpers.collector import RunningCollector, start_collector


@pytest.fixture(scope="module")
def shared_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    running = start_collector(tmp_path_factory.mktemp("collector") / "events.sqlite3")
    try:
        yield running
    finally:
        code = running.stop()
        assert code == 0, running.stderr
        assert "internal error" not in running.stderr, running.stderr


def _get(**extra: str) -> bytes:
    return request("GET", "/ppms.php?" + query(**extra))


def _bulk(document: object) -> bytes:
    return request("POST", "/ppms.php", json.dumps(document).encode())


def _bulk_raw(body: bytes) -> bytes:
    return request("POST", "/matomo.php", body, "Content-Type: application/json\r\n")


def _form(body: bytes) -> bytes:
    form = "Content-Type: application/x-www-form-urlencoded\r\n"
    return request("POST", "/ppms.php", body, form)


GOOD = params()

# (id, raw request, expected status, a word the reason must contain)
MALFORMED: list[tuple[str, bytes, int, str]] = [
    # single hits in the URL
    ("no-params", request("GET", "/ppms.php"), 400, "no tracking parameters"),
    ("no-e_c", _get(e_c=None), 400, "e_c"),  # type: ignore[arg-type]
    ("no-e_a", _get(e_a=None), 400, "e_a"),  # type: ignore[arg-type]
    ("no-e_n", _get(e_n=None), 400, "e_n"),  # type: ignore[arg-type]
    ("empty-e_c", _get(e_c=""), 400, "e_c"),
    ("e_v-word", _get(e_v="abc"), 400, "e_v"),
    ("e_v-nan", _get(e_v="nan"), 400, "e_v"),
    ("e_v-inf", _get(e_v="-inf"), 400, "e_v"),
    ("e_v-comma", _get(e_v="1,5"), 400, "e_v"),
    ("cdt-word", _get(cdt="yesterday"), 400, "cdt"),
    ("cdt-feb-30", _get(cdt="2023-02-30 10:00:00"), 400, "cdt"),
    ("cdt-month-13", _get(cdt="2023-13-01 00:00:00"), 400, "cdt"),
    ("cdt-negative", _get(cdt="-1"), 400, "cdt"),
    ("cdt-far-future", _get(cdt="99999999999999"), 400, "cdt"),
    ("cdt-date-before-1970", _get(cdt="0001-01-01 00:00:00"), 400, "out of range"),
    ("cdt-date-year-9999", _get(cdt="9999-12-31 23:59:59"), 400, "out of range"),
    ("cdt-overflow", _get(cdt="1e400"), 400, "cdt"),
    ("cdt-iso-t", _get(cdt="2023-11-14T22:13:20Z"), 400, "cdt"),
    ("cdt-blank", _get(cdt="   "), 400, "cdt"),
    ("cdt-hour-24", _get(cdt="2023-11-14 24:00:00"), 400, "cdt"),
    ("duration-word", _get(dimension4="fast"), 400, "dimension4"),
    ("e_n-too-long", _get(e_n="x" * 600), 400, "longer than"),
    (
        "too-many-params",
        request("GET", "/ppms.php?" + "&".join(f"k{i}=1" for i in range(150))),
        400,
        "parameters",
    ),
    ("bad-utf8-value", request("GET", "/ppms.php?" + query() + "&e_n=%FF"), 400, "UTF-8"),
    ("cut-utf8", request("GET", "/ppms.php?" + query() + "&e_n=a%C3"), 400, "UTF-8"),
    ("bad-utf8-key", request("GET", "/ppms.php?" + query() + "&%FE=1"), 400, "UTF-8"),
    ("nul-in-name", request("GET", "/ppms.php?" + query() + "&e_n=a%00b"), 400, "NUL"),
    (
        "raw-latin1-in-url",  # a raw byte that is not UTF-8, not an escape
        f"GET /ppms.php?{query()}&e_n=caf\xe9 HTTP/1.1\r\nConnection: close\r\n\r\n".encode(
            "latin-1"
        ),
        400,
        "UTF-8",
    ),
    ("only-ampersands", request("GET", "/ppms.php?&&&&"), 400, "no tracking parameters"),
    ("only-values", request("GET", "/ppms.php?=1&=2"), 400, "no tracking parameters"),
    ("url-too-long", request("GET", "/ppms.php?e_n=" + "x" * 20000), 414, "too long"),
    # single hits in a form body
    ("form-bad-utf8", _form(b"e_c=A&e_a=B&e_n=\xff"), 400, "UTF-8"),
    ("form-missing", _form(b"e_c=A"), 400, "e_a"),
    ("post-empty", request("POST", "/ppms.php"), 400, "no tracking parameters"),
    ("form-binary", _form(bytes(range(1, 256))), 400, ""),
    # the body's framing
    (
        "length-word",
        b"POST /ppms.php HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        400,
        "Content-Length",
    ),
    (
        "length-negative",
        b"POST /ppms.php HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        400,
        "Content-Length",
    ),
    (
        "length-superscript",  # "²" is a digit to str.isdigit, not to int
        b"POST /ppms.php HTTP/1.1\r\nContent-Length: \xb2\r\n\r\nab",
        400,
        "Content-Length",
    ),
    (
        "two-lengths",  # which one ends the body? (request smuggling behind a proxy)
        b"POST /ppms.php HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 50\r\n\r\n" + b"x" * 50,
        400,
        "two different content-length",
    ),
    (
        "body-too-large",
        b"POST /ppms.php HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n{",
        413,
        "at most",
    ),
    (
        "chunked",
        b"POST /ppms.php HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        411,
        "Content-Length",
    ),
    # bulk bodies
    ("bulk-truncated", _bulk_raw(b'{"requests": ["?e_c=a"'), 400, "not valid JSON"),
    # A BOM before the JSON read as form fields ("missing e_c, e_a, e_n"): issue 14 audit.
    ("bulk-bom", _bulk_raw(b'\xef\xbb\xbf{"requests": ["?e_c=a"]}'), 400, "byte order mark"),
    ("form-bom", _form(b"\xef\xbb\xbfe_c=a&e_a=b&e_n=c"), 400, "byte order mark"),
    ("bulk-not-list", _bulk({"requests": "?e_c=a"}), 400, "requests"),
    ("bulk-empty", _bulk({"requests": []}), 400, "empty"),
    ("bulk-object", _bulk({"requests": {}}), 400, "requests"),
    ("bulk-no-key", _bulk({}), 400, "requests"),
    ("bulk-number", _bulk({"requests": [1]}), 400, "query string or an object"),
    ("bulk-null", _bulk({"requests": [None]}), 400, "query string or an object"),
    ("bulk-nested-list", _bulk({"requests": [["?e_c=a"]]}), 400, "query string or an object"),
    (
        "bulk-nested-value",
        _bulk({"requests": [{**GOOD, "e_c": {"x": 1}}]}),
        400,
        "string or a number",
    ),
    ("bulk-empty-object", _bulk({"requests": [{}]}), 400, "no tracking parameters"),
    ("bulk-too-many", _bulk({"requests": ["?" + query()] * 1001}), 400, "at most 1000"),
    (
        "bulk-deep",
        _bulk_raw(b'{"requests": ' + b"[" * 100000 + b"]" * 100000 + b"}"),
        400,
        "nested too deeply",
    ),
    ("bulk-missing-fields", _bulk({"requests": ["?e_c=a"]}), 400, "missing"),
    ("bulk-bad-utf8", _bulk_raw(b'{"requests": ["?e_c=\xff"]}'), 400, "UTF-8"),
    ("bulk-url-no-query", _bulk({"requests": ["https://x.piwik.pro/ppms.php"]}), 400, "URL"),
    (
        "bulk-nan",
        _bulk_raw(b'{"requests": [{"e_c": "a", "e_a": "b", "e_n": "c", "e_v": NaN}]}'),
        400,
        "e_v",
    ),
    (
        "bulk-inf-cdt",
        _bulk_raw(b'{"requests": [{"e_c": "a", "e_a": "b", "e_n": "c", "cdt": 1e999}]}'),
        400,
        "cdt",
    ),
    ("bulk-top-list", _bulk_raw(b'[{"requests": []}]'), 400, "JSON object"),
    ("bulk-unclosed", _bulk_raw(b'{"requests": ["?e_c=a"]'), 400, "JSON"),
    # the HTTP request itself
    ("unknown-path", request("GET", "/index.php?" + query()), 404, "unknown endpoint"),
    ("put", request("PUT", "/ppms.php?" + query()), 405, "GET or POST"),
    ("delete", request("DELETE", "/ppms.php"), 405, "GET or POST"),
    ("unknown-method", b"BREW /ppms.php HTTP/1.1\r\n\r\n", 405, ""),
    ("http-2-line", b"GET /ppms.php HTTP/2.0\r\n\r\n", 400, ""),
    ("garbage-line", b"HELLO\r\n\r\n", 400, ""),
    # Issue 14 item 13: a head whose lines end with a bare LF never holds the CRLF CRLF that
    # ends a head; it waited out the 30 s idle limit (send_raw gives up after 10 s).
    ("bare-lf", f"GET /ppms.php?{query()} HTTP/1.1\nHost: x\n\n".encode(), 400, "CRLF"),
    ("bare-lf-no-fields", b"GET /ppms.php HTTP/1.1\n\n", 400, "bare LF"),
    ("bad-version", b"GET /ppms.php HTTP/x.y\r\n\r\n", 400, ""),
    ("request-line-70k", b"GET /ppms.php?" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", 414, ""),
    (
        "header-line-70k",
        b"GET /ppms.php HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
        431,
        "",
    ),
    ("too-many-headers", b"GET /ppms.php HTTP/1.1\r\n" + b"X-A: 1\r\n" * 150 + b"\r\n", 431, ""),
]


def test_there_are_at_least_fifty_malformed_inputs() -> None:
    assert len(MALFORMED) >= 50


@pytest.mark.parametrize(
    ("raw", "status", "reason"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_input_gets_a_4xx_with_a_reason(
    shared_collector: RunningCollector, raw: bytes, status: int, reason: str
) -> None:
    before = shared_collector.count()
    got, body = send_raw(shared_collector.url, raw)
    assert got == status, body
    assert reason.encode() in body, body
    assert shared_collector.count() == before  # nothing of a rejected request is stored
    # ... and the collector still takes good hits.
    assert (
        requests.get(shared_collector.tracking_url, params=params(), timeout=10).status_code == 202
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (  # a Content-Length bigger than the body
            b"POST /ppms.php HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + query().encode(),
            f"the body ended after {len(query())} of its 1000 bytes",
        ),
        (b"GET /ppms.php?" + query().encode() + b" HTTP/1.1\r\nHost: x\r\n", "blank line"),
    ],
    ids=["body", "head"],
)
def test_a_request_cut_short_by_a_half_close_is_answered(
    shared_collector: RunningCollector, raw: bytes, reason: str
) -> None:
    # The sender has stopped sending (shutdown(SHUT_WR)) but still reads: it is told why
    # nothing was stored instead of finding the connection closed without an answer.
    before = shared_collector.count()
    parts = urlsplit(shared_collector.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert reason.encode() in answer, answer
    assert shared_collector.count() == before


def test_a_bulk_keeps_its_valid_hits(shared_collector: RunningCollector) -> None:
    good = [f"?{query(dimension6=f'kept-{i}')}" for i in range(3)]
    bad = ["?e_c=only", 42, {**params(), "cdt": "never"}]
    response = requests.post(
        shared_collector.url + "matomo.php",
        json={"requests": [good[0], bad[0], good[1], bad[1], bad[2], good[2]]},
        timeout=10,
    )
    assert response.status_code == 400
    answer = response.json()
    assert (answer["tracked"], answer["invalid"], answer["invalid_indices"]) == (3, 3, [1, 3, 4])
    reasons = {e["index"]: e["reason"] for e in answer["errors"]}
    assert "missing e_a, e_n" in reasons[1] and "cdt" in reasons[4]
    runs = {row[0] for row in shared_collector.rows("run")}
    assert {"kept-0", "kept-1", "kept-2"} <= runs


@pytest.mark.parametrize(
    "entry",
    [
        '{"e_c": "a", "e_a": "b", "e_n": "x\\ud800", "cdt": "1700000000"}',
        '{"e_c": "a", "e_a": "b", "e_n": "c", "dimension6": "\\udfff", "cdt": "1700000000"}',
        '{"e_c": "a", "e_a": "b", "e_n": "c", "\\ud83d": "1", "cdt": "1700000000"}',
        '"?e_c=a&e_a=b&e_n=\\ud800&cdt=1700000000"',
        '{"e_c": "a", "e_a": "b", "e_n": "c", "r": "\\ud800", "cdt": "1700000000"}',
    ],
    ids=["e_n", "dimension", "key", "query-entry", "cache-buster"],
)
def test_a_lone_surrogate_is_an_invalid_entry(
    shared_collector: RunningCollector, entry: str
) -> None:
    # Issue 14 item 1: the JSON escape of a lone surrogate passed validation, then failed
    # the group commit: 503 for this sender (forever, as it retries) and for everyone whose
    # request shared the transaction, and the valid hits of the bulk were lost.
    good = json.dumps("?" + query(dimension6=f"beside-{len(entry)}-{entry[-30:-20]}"))
    body = f'{{"requests": [{good}, {entry}]}}'.encode()
    got, answer = send_raw(shared_collector.url, _bulk_raw(body))
    assert got == 400, answer
    document = json.loads(answer)
    assert (document["tracked"], document["invalid_indices"]) == (1, [1]), document
    assert "lone surrogate" in document["errors"][0]["reason"], document


# Fuzzing: arbitrary query strings, bodies and JSON; the answer is always 2xx or 4xx.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_params = st.dictionaries(
    st.sampled_from(sorted([*GOOD, "r", "rand", "send_image", "dimension5", "x"])),
    st.text(max_size=30)
    | st.sampled_from(["", "0", "1", "nan", "1700000000", "2024-02-29 12:00:00"]),
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _assert_not_5xx(collector: RunningCollector, response: requests.Response) -> None:
    assert response.status_code < 500, response.text
    assert collector.alive()


@FUZZ
@given(text=st.text(max_size=300))
def test_fuzz_query_string(shared_collector: RunningCollector, text: str) -> None:
    response = requests.get(shared_collector.tracking_url + "?" + text, timeout=10)
    _assert_not_5xx(shared_collector, response)


@FUZZ
@given(body=st.binary(max_size=500))
def test_fuzz_body(shared_collector: RunningCollector, body: bytes) -> None:
    response = requests.post(shared_collector.tracking_url, data=body, timeout=10)
    _assert_not_5xx(shared_collector, response)


@FUZZ
@given(
    entries=st.lists(_json_values | _params | _params.map(lambda p: "?" + query(**p)), max_size=8)
)
def test_fuzz_bulk(shared_collector: RunningCollector, entries: list[object]) -> None:
    body = json.dumps({"requests": entries}).encode()  # NaN and Infinity too, as JS sends them
    response = requests.post(shared_collector.tracking_url, data=body, timeout=10)
    _assert_not_5xx(shared_collector, response)
    if entries:
        answer = response.json()
        assert answer["tracked"] + answer["invalid"] == len(entries)


@FUZZ
@given(document=_json_values)
def test_fuzz_bulk_document(shared_collector: RunningCollector, document: object) -> None:
    body = json.dumps({"requests": document} if isinstance(document, list) else document)
    response = requests.post(shared_collector.tracking_url, data=body.encode(), timeout=10)
    _assert_not_5xx(shared_collector, response)


def test_stored_rows_are_readable(shared_collector: RunningCollector, tmp_path: Path) -> None:
    # After everything above (whatever ran on this xdist worker), the database is a valid
    # event store a reader can open.
    from installer.store.event_store import EventStore

    hit = params(dimension6="readable")
    assert requests.get(shared_collector.tracking_url, params=hit, timeout=10).status_code == 202
    with EventStore(shared_collector.db) as store:
        assert store.count() == shared_collector.count() > 0
