"""The tracking protocol's wire forms -> hits (parameter mappings), shared with the import.

A hit arrives as a query string (`?idsite=..&e_c=..`, a full tracker URL, or a form body),
or as one entry of a bulk body `{"requests": [...]}` whose entries are query strings or
Matomo-style objects (`{"idsite": 1, "e_c": "..."}`). Anything else raises `InvalidHit`
with a reason a sender can act on; nothing here touches the store.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote_plus

from installer.events.normalise import MAX_PARAMETERS, InvalidHit

# The bounds of the wire form itself, for the collector and the import alike (SPEC 5: request
# size and hits are bounded); the collector's other limits are in installer/collector/limits.py.
MAX_HITS_PER_REQUEST = 1000  # entries in one bulk `requests` list; more -> 400, none stored
MAX_QUERY_BYTES = 16 * 1024  # a single hit's query string (URL or form body); more -> 414/413

# JSON scalars a Matomo-style object may hold; they become the strings a URL would carry.
_BOOL_TEXT = {True: "1", False: "0"}


def parse_query(text: str) -> dict[str, str]:
    """`?a=1&b=x+y`, `a=1&b=...` or `https://host/ppms.php?a=1` -> {"a": "1", "b": "x y"}.

    The pairs of `urllib.parse.parse_qsl(keep_blank_values=True)`, found faster (a value is
    unquoted only when it holds `%` or `+`), stricter about encoding (invalid UTF-8 is an
    error, not U+FFFD), and the last of repeated keys wins, as in PHP, which Matomo is
    written in. A piece without `=` is a key with an empty value; an empty key is dropped.
    """
    if len(text) > MAX_QUERY_BYTES:
        raise InvalidHit(f"query string longer than {MAX_QUERY_BYTES} bytes")
    query = text.strip()
    if "?" in query:
        query = query.partition("?")[2]
    elif "://" in query or query.startswith("/"):
        raise InvalidHit("a URL without a query string carries no hit")
    if "#" in query:
        query = query.partition("#")[0]
    if query.count("&") >= 4 * MAX_PARAMETERS:
        raise InvalidHit(f"more than {MAX_PARAMETERS} parameters in one hit")
    # A plain loop: on CPython 3.11 it beats dict(map(methodcaller("split", "=", 1), ..)),
    # and it takes pieces without "=" in its stride.
    params: dict[str, str] = {}
    for piece in query.split("&"):
        key, _, value = piece.partition("=")
        params[key] = value
    if "%" in query or "+" in query:
        params = _unquoted(params, query)
    params.pop("", None)
    if not params:
        raise InvalidHit("no tracking parameters")
    return params


def _unquoted(params: dict[str, str], query: str) -> dict[str, str]:
    """`params` (raw pieces of `query`, the last of repeated keys kept) with the escaped
    values unquoted. Jumps from one `%` or `+` to the next (a hit has one or two escaped
    values among twenty) instead of testing every piece. Every escaped value is unquoted,
    in order, even one a later repeat overrides: invalid UTF-8 is an error wherever it is."""
    found: list[tuple[str, str, str]] = []
    start = 0
    while True:
        percent, plus = query.find("%", start), query.find("+", start)
        at = plus if percent < 0 or 0 <= plus < percent else percent
        if at < 0:
            break
        begin = query.rfind("&", 0, at) + 1
        end = query.find("&", at)
        if end < 0:
            end = len(query)
        key, _, value = query[begin:end].partition("=")
        if "%" in key or "+" in key:  # an escaped key: rare, take the slow path
            return _pairs_one_by_one(query.split("&"))
        found.append((key, value, _unquote(key, value)))
        start = end
    # The value kept for a key is its last piece's: only that piece's unquoting counts.
    # (A later unescaped repeat holds no `%` or `+`, so it never equals an escaped value.)
    seen: set[str] = set()
    for key, value, text in reversed(found):
        if key not in seen:
            seen.add(key)
            if params[key] == value:
                params[key] = text
    return params


def _pairs_one_by_one(pieces: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for piece in pieces:
        key, _, value = piece.partition("=")
        if "%" in key or "+" in key:
            key = _unquote(key, key)
        if "%" in value or "+" in value:
            value = _unquote(key, value)
        params[key] = value
    return params


@functools.lru_cache(maxsize=4096)
def _unquote_plus(text: str) -> str:
    # Escaped values repeat (`url=app%3A%2F%2Fdtu-install%2F<step>`): a cache hit is a dict
    # lookup, urllib's unquoting is a fifth of a hit's parsing time.
    return unquote_plus(text, errors="strict")


def _unquote(key: str, text: str) -> str:
    try:
        return _unquote_plus(text)
    except UnicodeDecodeError:
        raise InvalidHit(f"parameter {key[:40]!r} is not valid UTF-8") from None


def params_from_object(entry: Mapping[str, object]) -> dict[str, str]:
    """A Matomo-style bulk object; numbers and booleans become their URL text."""
    params: dict[str, str] = {}
    for key, value in entry.items():
        if isinstance(value, bool):
            params[key] = _BOOL_TEXT[value]
        elif isinstance(value, str):
            params[key] = value
        elif isinstance(value, int):
            params[key] = str(value)
        elif isinstance(value, float):
            params[key] = repr(value)
        elif value is None:
            continue  # JSON null: the parameter is absent, as a sender writing null means
        else:
            raise InvalidHit(f"parameter {key[:40]!r} must be a string or a number")
    if not params:
        raise InvalidHit("no tracking parameters")
    return params


def params_from_entry(entry: object) -> dict[str, str]:
    """One entry of a bulk `requests` list."""
    if isinstance(entry, str):
        return parse_query(entry)
    if isinstance(entry, dict):
        return params_from_object(entry)
    raise InvalidHit(f"a bulk entry must be a query string or an object, not {_json_type(entry)}")


@dataclass(frozen=True)
class BulkBody:
    """The `requests` list of a bulk body, entries not yet parsed (each may be bad alone)."""

    entries: Sequence[object]


def parse_bulk(body: str | bytes) -> BulkBody:
    """A whole bulk body. Raises `InvalidHit` when the body itself is unusable."""
    try:
        document = json.loads(body)
    except UnicodeDecodeError:
        raise InvalidHit("body is not valid UTF-8") from None
    except ValueError as exc:  # JSONDecodeError
        raise InvalidHit(f"body is not valid JSON: {exc}") from None
    except RecursionError:  # `[[[[...` a few hundred thousand deep
        raise InvalidHit("body is nested too deeply") from None
    return bulk_from_document(document, max_hits=MAX_HITS_PER_REQUEST)


def bulk_from_document(document: object, *, max_hits: int | None) -> BulkBody:
    """The `requests` list of a parsed document; `max_hits` None for files (no limit)."""
    if not isinstance(document, dict):
        raise InvalidHit(
            f'a bulk body must be a JSON object {{"requests": [...]}}, not {_json_type(document)}'
        )
    entries = document.get("requests")
    if not isinstance(entries, list):
        raise InvalidHit('a bulk body needs a "requests" list')
    if not entries:
        raise InvalidHit('"requests" is empty')
    if max_hits is not None and len(entries) > max_hits:
        raise InvalidHit(f"{len(entries)} hits in one request; at most {max_hits} are accepted")
    return BulkBody(entries)


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
