"""Wire forms -> hits, and the group-commit writer, without HTTP in between."""

from __future__ import annotations

import threading
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from installer.collector.writer import GroupCommitWriter, StoreUnavailable
from installer.events.hits import params_from_entry, parse_bulk, parse_query
from installer.events.normalise import InvalidHit, normalise_hit
from installer.store.event_store import EventStore, event_row
from tests.collector.hits import params, query


@pytest.mark.parametrize(
    "text",
    [
        "e_c=A&e_a=B&e_n=c",
        "?e_c=A&e_a=B&e_n=c",
        "https://x.piwik.pro/ppms.php?e_c=A&e_a=B&e_n=c",
        "/matomo.php?e_c=A&e_a=B&e_n=c#fragment",
        "  ?e_c=A&&e_a=B&e_n=c&  ",
        "e_c=A&e_a=B&e_n=old&e_n=c",  # the last of repeated keys wins, as in PHP
    ],
)
def test_query_forms(text: str) -> None:
    assert parse_query(text) == {"e_c": "A", "e_a": "B", "e_n": "c"}


def test_query_unquoting() -> None:
    assert parse_query("a=x+y%2Bz&b=%C3%A6&c=&d") == {"a": "x y+z", "b": "æ", "c": "", "d": ""}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no tracking parameters"),
        ("https://x/ppms.php", "without a query"),
        ("a=%FF", "not valid UTF-8"),
        ("a=" + "x" * 20000, "longer than"),
        ("&".join(f"k{i}=1" for i in range(500)), "parameters"),
    ],
)
def test_query_rejects(text: str, reason: str) -> None:
    with pytest.raises(InvalidHit, match=reason):
        parse_query(text)


def test_matomo_objects_become_url_text() -> None:
    entry = {"e_c": "A", "e_a": "B", "e_n": "c", "e_v": 1, "cdt": 1700000000, "rec": True}
    entry["dimension4"] = 0.5
    entry["dimension5"] = None
    assert params_from_entry(entry) == {
        "e_c": "A",
        "e_a": "B",
        "e_n": "c",
        "e_v": "1",
        "cdt": "1700000000",
        "rec": "1",
        "dimension4": "0.5",
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'{"requests": 1}', 'needs a "requests" list'),
        (b'{"requests": []}', "empty"),
        (b'{"requests": [' + b",".join([b'"a=1"'] * 1001) + b"]}", "at most 1000"),
        (b'{"requests": ["\xff"]}', "UTF-8"),
        (b"[" * 200000 + b"]" * 200000, "nested too deeply|must be a JSON object"),
    ],
)
def test_bulk_body_rejects(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidHit, match=reason):
        parse_bulk(body)


def test_bash_utility_hits_without_cdt_are_told_apart_by_receipt_time() -> None:
    # The original bash utility: no cdt, no _id, no run id, e_v holding a duration.
    bash_hit = {"idsite": "s", "rec": "1", "e_c": "Installer", "e_a": "Event"}
    bash_hit.update(e_n="homebrew_install", e_v="12", dimension1="Darwin14.2", dimension2="arm64")
    first = normalise_hit(bash_hit, received_at=1_700_000_000)
    again = normalise_hit(bash_hit, received_at=1_700_000_100)
    assert first.ident != again.ident  # two students on identical Macs are two events
    assert (first.success, first.value, first.duration, first.run) == (True, 12.0, None, None)


def test_writer_batches_concurrent_requests(tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        writer = GroupCommitWriter(store)
        results: list[int] = []

        def send(i: int) -> None:
            event = event_row(normalise_hit(params(dimension6=f"run-{i}"), received_at=None))
            results.append(writer.submit([event, event]))  # a duplicate inside one request

        threads = [threading.Thread(target=send, args=(i,)) for i in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writer.close()
        assert sorted(results) == [1] * 50
        assert store.count() == 50
        assert 1 <= writer.batches <= 50


def test_writer_reports_a_store_that_cannot_commit(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "e.db")
    writer = GroupCommitWriter(store)
    store.close()  # a real failure of the real store: the connection is gone
    with pytest.raises(StoreUnavailable, match="could not commit"):
        writer.submit([event_row(normalise_hit(params(), received_at=None))])
    writer.close()
    with pytest.raises(StoreUnavailable, match="shutting down"):
        writer.submit([event_row(normalise_hit(params(), received_at=None))])


def test_a_row_the_store_refuses_fails_only_its_own_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 14 item 1: a row no check caught (here a lone surrogate, which SQLite cannot
    # encode) failed the whole group commit, and every request in the batch got 503.
    import installer.collector.writer as writer_module

    monkeypatch.setattr(writer_module, "LINGER_SECONDS", 10.0)  # wait for both: one batch
    with EventStore(tmp_path / "e.db") as store:
        writer = GroupCommitWriter(store)
        writer.senders = lambda: 2
        good = event_row(normalise_hit(params(dimension6="good"), received_at=None))
        bad = (*good[:4], "\ud800", *good[5:])
        outcomes: dict[str, str | None] = {}
        bad_ticket = writer.enqueue([bad], lambda error: outcomes.setdefault("bad", error))
        good_ticket = writer.enqueue([good], lambda error: outcomes.setdefault("good", error))
        assert bad_ticket.done.wait(10) and good_ticket.done.wait(10)
        writer.close()
        assert outcomes["good"] is None and good_ticket.added == 1
        assert outcomes["bad"] is not None and "could not commit" in outcomes["bad"]
        assert [row[0] for row in store.conn.execute("SELECT run FROM events")] == ["good"]


def test_query_helper_round_trip() -> None:
    assert parse_query(query(e_n="a b&c")) == params(e_n="a b&c")


_query_text = st.text(alphabet=st.sampled_from("ab=&+%2C3A6F0x é"), max_size=40)


@settings(max_examples=500, deadline=None)
@given(text=_query_text)
def test_parse_query_agrees_with_the_standard_library(text: str) -> None:
    """Same pairs as `urllib.parse.parse_qsl` (last key wins, empty keys dropped), or an
    `InvalidHit` where the standard library finds invalid UTF-8 (lines are stripped)."""
    try:
        expected = dict(parse_qsl(text.strip(), keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        with pytest.raises(InvalidHit, match="UTF-8"):
            parse_query(text)
        return
    expected.pop("", None)
    if not expected:
        with pytest.raises(InvalidHit, match="no tracking parameters"):
            parse_query(text)
    else:
        assert parse_query(text) == expected
