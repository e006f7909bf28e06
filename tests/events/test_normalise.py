from __future__ import annotations

import pytest

from installer.events.normalise import (
    InvalidHit,
    normalise_hit,
    parse_cdt,
    run_identity,
    split_component,
)


def hit(**extra: str) -> dict[str, str]:
    base = {
        "idsite": "site",
        "rec": "1",
        "e_c": "Installer",
        "e_a": "Event",
        "e_n": "homebrew_install",
        "e_v": "1",
        "cdt": "1700000000",
        "dimension1": "Darwin14.5",
        "dimension2": "arm64",
        "dimension3": "abc1234",
        "dimension4": "1.250",
        "dimension6": "run1",
    }
    base.update(extra)
    return base


def test_success_event_fields() -> None:
    event = normalise_hit(hit(), received_at=None)
    assert (event.ts, event.component, event.success, event.error) == (
        1700000000,
        "homebrew_install",
        True,
        None,
    )
    assert (event.os, event.arch, event.sha, event.duration, event.run) == (
        "Darwin14.5",
        "arm64",
        "abc1234",
        1.25,
        "run1",
    )


def test_failure_suffix_is_component_and_error() -> None:
    event = normalise_hit(hit(e_n="homebrew_install_network_error", e_v="0"), received_at=None)
    assert (event.component, event.error, event.success) == (
        "homebrew_install",
        "network_error",
        False,
    )


def test_suffix_makes_failure_even_with_positive_value() -> None:
    event = normalise_hit(hit(e_n="x_install_disk_error", e_v="1"), received_at=None)
    assert not event.success


def test_dimension5_does_not_decide_success() -> None:
    event = normalise_hit(hit(dimension5="network_error"), received_at=None)
    assert event.success and event.error == "network_error"


def test_only_one_suffix_removed() -> None:
    assert split_component("a_timeout_error_timeout_error") == ("a_timeout_error", "timeout_error")
    assert split_component("network_error") == ("network_error", None)


def test_cache_busters_do_not_change_identity() -> None:
    assert (
        normalise_hit(hit(r="1"), received_at=None).ident
        == normalise_hit(hit(rand="2"), received_at=None).ident
    )
    without_run = hit(dimension6="")
    assert (
        normalise_hit(without_run, received_at=None).ident
        != normalise_hit({**without_run, "e_v": "0"}, received_at=None).ident
    )


def test_an_event_with_a_run_id_is_its_run_and_name() -> None:
    # SPEC 6: the same step of the same run, collected (with _id, url, rec), imported or
    # pulled (without them, e_v as 1.0, another cdt), is one event.
    collected = normalise_hit(hit(_id="0123456789abcdef", url="app://x"), received_at=None)
    pulled = normalise_hit(hit(rec="", e_v="1.0", cdt="1700000001"), received_at=None)
    assert collected.ident == pulled.ident == run_identity("run1", "homebrew_install")
    assert collected.ident != normalise_hit(hit(dimension6="run2"), received_at=None).ident
    assert collected.ident != normalise_hit(hit(e_n="vscode"), received_at=None).ident
    # Another tracking id for the run (dimensions setting) is read the same way.
    moved = {**hit(dimension6=""), "dimension9": "run1"}
    dims = {"os": 1, "arch": 2, "sha": 3, "duration": 4, "error": 5, "run": 9}
    assert normalise_hit(moved, received_at=None, dimensions=dims).ident == collected.ident


def test_cdt_forms() -> None:
    assert parse_cdt("2023-11-14 22:13:20") == 1700000000
    assert parse_cdt("1700000000.9") == 1700000000
    with pytest.raises(InvalidHit):
        parse_cdt("yesterday")
    with pytest.raises(InvalidHit):
        parse_cdt("2023-13-14 22:13:20")


def test_import_without_cdt_is_invalid_but_collector_uses_receipt_time() -> None:
    params = hit()
    del params["cdt"]
    with pytest.raises(InvalidHit, match="cdt"):
        normalise_hit(params, received_at=None)
    assert normalise_hit(params, received_at=42).ts == 42


@pytest.mark.parametrize("missing", ["e_c", "e_a", "e_n"])
def test_missing_event_fields(missing: str) -> None:
    params = hit()
    del params[missing]
    with pytest.raises(InvalidHit, match=missing):
        normalise_hit(params, received_at=None)


def test_bad_value() -> None:
    with pytest.raises(InvalidHit, match="e_v"):
        normalise_hit(hit(e_v="nan"), received_at=None)


def test_a_negative_duration_is_refused() -> None:
    # Issue 14 audit: dimension4 = -5 was stored as a step that took -5 seconds.
    with pytest.raises(InvalidHit, match="dimension4 '-5' is a negative duration"):
        normalise_hit(hit(dimension4="-5"), received_at=None)
    assert normalise_hit(hit(dimension4="0"), received_at=None).duration == 0.0


def test_row_is_the_event_in_store_column_order() -> None:
    # The collector and the import store `normalise_row` tuples directly.
    from installer.events.normalise import normalise_row
    from installer.store.event_store import event_row

    for params in (hit(), hit(e_n="a_disk_error", e_v="0", dimension4="")):
        assert normalise_row(params, received_at=None) == event_row(
            normalise_hit(params, received_at=None)
        )
