"""The daily rollup gives exactly the numbers a scan of the events gives (query.counts)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.analytics import query
from installer.analytics.query import Counts, Scope, counts
from installer.analytics.timeutil import DAY, HOUR, Window, parse_moment
from installer.events.normalise import normalise_hit
from installer.store.event_store import EventStore

T0 = parse_moment("2026-11-01T00:00:00Z")

hits = st.lists(
    st.fixed_dictionaries(
        {
            "offset": st.integers(0, 6 * DAY),
            "category": st.sampled_from(["Installer", "Installer_CI"]),
            "name": st.sampled_from(["a", "b", "a_network_error", "b_disk_error"]),
            "value": st.sampled_from(["1", "0", ""]),
            "os": st.sampled_from(["", "Darwin14.1", "Darwin15.0"]),
            "arch": st.sampled_from(["", "arm64", "x86_64"]),
            "sha": st.sampled_from(["", "abc1234", "def5678"]),
        }
    ),
    max_size=40,
)
groupings = st.sampled_from(
    [(), ("day",), ("category", "success"), ("os", "arch", "day"), ("component", "sha", "error")]
)


def _insert(store: EventStore, batch: list[dict[str, object]], start: int) -> None:
    events = []
    for i, h in enumerate(batch):
        params = {
            "e_c": str(h["category"]),
            "e_a": "Event",
            "e_n": str(h["name"]),
            "e_v": str(h["value"]),
            "cdt": str(T0 + int(str(h["offset"]))),
            "dimension1": str(h["os"]),
            "dimension2": str(h["arch"]),
            "dimension3": str(h["sha"]),
            "dimension6": f"run{start + i}",  # distinct: every hit is a new event
        }
        events.append(normalise_hit(params, received_at=None))
    store.insert(events)


def _raw(store: EventStore, window: Window, scope: Scope, by: tuple[str, ...]) -> object:
    result = query._scan(store, window, scope, by, installations=False)
    if not by and () not in result:
        result[()] = Counts()
    return result


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=hits,
    second=hits,
    by=groupings,
    start=st.integers(0, 7 * DAY),
    length=st.integers(0, 7 * DAY),
    arch=st.sampled_from([None, "arm64"]),
)
def test_rollup_matches_a_scan_of_the_events(
    tmp_path: Path,
    first: list[dict[str, object]],
    second: list[dict[str, object]],
    by: tuple[str, ...],
    start: int,
    length: int,
    arch: str | None,
) -> None:
    db = tmp_path / f"r{abs(hash((start, length, by)))}.db"
    db.unlink(missing_ok=True)
    with EventStore(db) as store:
        window = Window(T0 + start - DAY, T0 + start - DAY + length)
        scope = Scope(arch=arch)
        _insert(store, first, 0)
        assert counts(store, window, scope, by) == _raw(store, window, scope, by)
        _insert(store, second, 1000)  # folded incrementally on the next read
        assert counts(store, window, scope, by) == _raw(store, window, scope, by)


def test_rollup_is_used_for_whole_days_and_kept_current(tmp_path: Path) -> None:
    with EventStore(tmp_path / "e.db") as store:
        _insert(
            store,
            [
                {
                    "offset": HOUR,
                    "category": "Installer",
                    "name": "a",
                    "value": "1",
                    "os": "",
                    "arch": "arm64",
                    "sha": "",
                }
            ],
            0,
        )
        window = Window(T0, T0 + 3 * DAY)
        assert counts(store, window)[()] == Counts(1, 1)
        (rows,) = store.conn.execute("SELECT COUNT(*) FROM daily").fetchone()
        assert rows == 1
        _insert(
            store,
            [
                {
                    "offset": DAY + HOUR,
                    "category": "Installer",
                    "name": "a_disk_error",
                    "value": "0",
                    "os": "",
                    "arch": "arm64",
                    "sha": "",
                }
            ],
            1,
        )
        assert counts(store, window, by=["day"]) == {(T0,): Counts(1, 1), (T0 + DAY,): Counts(1, 0)}
        assert store.get_meta(query.ROLLUP_POSITION) == "2"


def test_a_read_only_store_counts_from_the_events(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    with EventStore(db) as store:
        _insert(
            store,
            [
                {
                    "offset": HOUR,
                    "category": "Installer",
                    "name": "a",
                    "value": "1",
                    "os": "",
                    "arch": "",
                    "sha": "",
                }
            ],
            0,
        )
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    store = EventStore.__new__(EventStore)  # a connection that cannot write (file permissions)
    store.conn = conn
    try:
        assert counts(store, Window(T0, T0 + 2 * DAY))[()] == Counts(1, 1)
        assert query.refresh_rollup(store) is False
    finally:
        conn.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    first=hits,
    second=hits,
    by=st.sampled_from(
        [("category", "arch", "os"), ("sha",), ("os", "arch", "day"), ("error", "run"), ("hour",)]
    ),
    start=st.integers(0, 7 * DAY),
    length=st.integers(0, 7 * DAY),
    scope=st.sampled_from(
        [Scope(), Scope(arch="arm64"), Scope(("Installer_CI",), os="Darwin14.1")]
    ),
)
def test_present_groups_are_the_groups_counts_gives(
    tmp_path: Path,
    first: list[dict[str, object]],
    second: list[dict[str, object]],
    by: tuple[str, ...],
    start: int,
    length: int,
    scope: Scope,
) -> None:
    # query.present (DISTINCT over the rollup's whole days and the events of the partial
    # ones) answers which groups counts() would give, without counting them.
    db = tmp_path / f"p{abs(hash((start, length, by, scope)))}.db"
    db.unlink(missing_ok=True)
    with EventStore(db) as store:
        window = Window(T0 + start - DAY, T0 + start - DAY + length)
        _insert(store, first, 0)
        assert query.present(store, window, scope, by) == set(_raw(store, window, scope, by))
        _insert(store, second, 1000)
        assert query.present(store, window, scope, by) == set(counts(store, window, scope, by))


def test_present_on_a_read_only_store_reads_the_events(tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    with EventStore(db) as store:
        _insert(
            store,
            [
                {
                    "offset": HOUR + DAY * i,
                    "category": "Installer",
                    "name": "a",
                    "value": "1",
                    "os": "",
                    "arch": arch,
                    "sha": "",
                }
                for i, arch in enumerate(["arm64", "x86_64", ""])
            ],
            0,
        )
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    store = EventStore.__new__(EventStore)  # a connection that cannot write (file permissions)
    store.conn = conn
    try:
        window = Window(T0, T0 + 3 * DAY)
        assert query.present(store, window, Scope(), ["arch"]) == {("arm64",), ("x86_64",), (None,)}
        assert query.present(store, window, Scope(), ["arch"]) == set(
            counts(store, window, by=["arch"])
        )
    finally:
        conn.close()
