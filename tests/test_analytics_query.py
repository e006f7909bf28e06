from __future__ import annotations

from pathlib import Path

from installer.analytics.query import Scope, counts, first_seen, total
from installer.analytics.timeutil import HOUR, Window, format_moment, parse_moment
from installer.events.normalise import normalise_hit
from installer.store.event_store import EventStore

T = parse_moment("2026-11-23T12:00:00Z")


def add(store: EventStore, ts: int, name: str, value: str = "1", **dims: str) -> None:
    params = {"e_c": dims.pop("category", "Installer"), "e_a": "Event", "e_n": name}
    params.update(e_v=value, cdt=str(ts), **dims)
    store.insert([normalise_hit(params, received_at=None)])


def test_window_is_half_open_and_idempotent(tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        add(store, T - 2 * HOUR, "a_install", dimension6="r1")  # exactly T - 2h: in
        add(store, T, "a_install", dimension6="r2")  # exactly T: out
        add(store, T - HOUR, "a_install_network_error", "0", dimension6="r1")
        add(store, T - HOUR, "a_install_network_error", "0", dimension6="r1")  # duplicate
        assert store.count() == 3
        c = total(store, Window.last(T, 2 * HOUR), installations=True)
        assert (c.events, c.successes, c.failures, c.installations) == (2, 1, 1, 1)
        assert c.success_rate == 50.0


def test_empty_window_has_no_rate(tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        c = total(store, Window.last(T, HOUR))
        assert c.events == 0 and c.success_rate is None and c.failure_rate is None


def test_grouping_and_scope(tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        add(store, T - 10, "a_install", dimension2="arm64")
        add(store, T - 10, "a_install_disk_error", "0", dimension2="x86_64")
        add(store, T - 10, "a_install", category="Installer_CI", dimension2="arm64")
        by_arch = counts(store, Window.last(T, HOUR), Scope.production(), by=["arch"])
        assert {k: (v.events, v.successes) for k, v in by_arch.items()} == {
            ("arm64",): (1, 1),
            ("x86_64",): (1, 0),
        }
        assert total(store, Window.last(T, HOUR)).events == 3
        assert first_seen(store, "component") == {"a_install": T - 10}


def test_moment_round_trip() -> None:
    assert format_moment(T) == "2026-11-23T12:00:00Z"
