"""The fast query parser and event identity against plain reference versions of the same
definitions, on many varied hits: a speed-up must never change what is stored."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from installer.events.hits import parse_query
from installer.events.normalise import CACHE_BUSTERS, InvalidHit, hit_identity, normalise_row
from installer.telemetry.hits import encode


def reference_parse(text: str) -> dict[str, str] | None:
    """`urllib.parse.parse_qsl` with last-wins keys, empty keys dropped, of what follows the
    first `?` (a tracker URL's query); None where it finds invalid UTF-8 (the collector
    raises `InvalidHit` there)."""
    query = text.strip()
    query = query.partition("?")[2] if "?" in query else query
    try:
        pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return None
    expected = dict(pairs)
    expected.pop("", None)
    return expected


def reference_identity(params: dict[str, str]) -> bytes:
    """SPEC 6's identity written plainly: sorted (key, value) pairs without cache busters,
    NUL between every key and value, blake2b with a 16-byte digest."""
    items = sorted((k, v) for k, v in params.items() if k not in CACHE_BUSTERS)
    canonical = "\x00".join(part for item in items for part in item)
    return hashlib.blake2b(canonical.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def reference_event_identity(params: dict[str, str]) -> bytes:
    """The stored event's identity (SPEC 6): (run id, e_n) for an event with a run id
    (dimension 6): blake2b of `run NUL e_n`, personalised so that it never equals a hit
    digest; otherwise the hit's own identity."""
    if params.get("dimension6"):
        text = f"{params['dimension6']}\x00{params['e_n']}"
        return hashlib.blake2b(text.encode(), digest_size=16, person=b"dtu-run-ident").digest()
    return reference_identity(params)


def check_parse(text: str) -> dict[str, str] | None:
    expected = reference_parse(text)
    if expected is None:
        with pytest.raises(InvalidHit, match="UTF-8"):
            parse_query(text)
    elif not expected:
        with pytest.raises(InvalidHit, match="no tracking parameters"):
            parse_query(text)
    else:
        assert parse_query(text) == expected
    return expected


# Pieces a query string is made of: escapes that decode to other escapes (%2541 -> %41),
# escaped separators, invalid and truncated UTF-8, '+', repeated and empty keys and values.
_PIECES = st.sampled_from(
    [
        "a", "b", "e_c", "url", "=", "&", "&&", "+", "%", "%2", "%25", "%41", "%2541", "%3D",
        "%26", "%2B", "%20", "%C3%A6", "%C3", "%A6", "%FF", "%E2%82%AC", "%e2%82%ac", "%F0%9F",
        "%00", "x y", "é", "ü", "€", "0", "5", "app:x", "\t", " ", "?",
    ]
)  # fmt: skip
_QUERIES = st.lists(_PIECES, max_size=24).map("".join)


@settings(max_examples=1500, deadline=None)
@given(text=_QUERIES)
def test_parse_query_matches_parse_qsl(text: str) -> None:
    check_parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "a=%2541&a=%41&a=%2541",  # repeats whose escapes decode to one another: last wins
        "a=%41&a=%2541",
        "a=%2541&a=%41",
        "a=x+y&a=%2B&b=1",
        "a%3Db=1&a=2",  # an escaped key
        "+a=1&%20a=2",
        "a=%FF&a=1",  # invalid UTF-8 in a value a later repeat overrides: still an error
        "a=1&b=%C3",
        "e_n=1&=2&&c",
        "a=b=c&d",
    ],
)
def test_parse_query_edge_cases_match_parse_qsl(text: str) -> None:
    check_parse(text)


_VALUES = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30
)


@settings(max_examples=400, deadline=None)
@given(
    values=st.lists(_VALUES | st.sampled_from(["1", "0", "12.5"]), min_size=8, max_size=8),
    extra=st.dictionaries(st.sampled_from(["r", "rand", "dimension5", "x%y", "a b"]), _VALUES),
)
def test_real_tracker_hits_round_trip_with_the_reference_identity(
    values: list[str], extra: dict[str, str]
) -> None:
    """Hits as the telemetry client encodes them (`telemetry.hits.encode`), any text in
    their values: parsed back exactly, and identified as the plain definition says."""
    params = dict(
        zip(
            ["e_c", "e_a", "e_n", "dimension1", "dimension2", "dimension6", "url", "e_v"],
            values,
        )
    )
    params.update(idsite="site", cdt="2026-11-27 12:00:00", **extra)
    text = encode(list(params.items()))
    assert check_parse(text) == params
    try:
        row = normalise_row(params, received_at=None)
    except InvalidHit:  # e_v not a number, a required field empty: nothing is stored
        pass
    else:
        assert row[0] == reference_event_identity(params)
    assert hit_identity(params) == reference_identity(params)


def test_identities_are_pinned() -> None:
    """Digests of two known hits, as stored since the first release: an identity that
    changed would make the import store again what the collector already has."""
    hit = {"e_c": "Installer", "e_a": "Event", "e_n": "homebrew_install", "cdt": "1700000000"}
    assert normalise_row(hit, received_at=None)[0].hex() == PINNED[0]
    assert normalise_row({**hit, "r": "123"}, received_at=None)[0].hex() == PINNED[0]
    del hit["cdt"]
    assert normalise_row(hit, received_at=1_700_000_000)[0].hex() == PINNED[0]
    assert hit_identity({"a": "é", "b": "", "r": "1"}).hex() == PINNED[1]
    # An event with a run id: (run, e_n), whatever else the hit carries (issue 16).
    run = {**hit, "dimension6": "3f9a1c0b7d2e4f6a8b0c1d2e3f4a5b6c", "cdt": "1700000000"}
    assert normalise_row(run, received_at=None)[0].hex() == PINNED[2]
    assert normalise_row({**run, "_id": "x", "e_v": "1.0"}, received_at=None)[0].hex() == PINNED[2]


PINNED = (
    "a6fb8a893aeb1b3c554094b7579e103c",
    "b6101347a35d8451713c474b76343a4c",
    "c9bdc98b8a47690c0b4eb5f5c1fa4f48",
)
