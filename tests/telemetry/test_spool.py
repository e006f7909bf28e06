"""The spool on its own: age and size bounds, corrupt lines, two runs at once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from installer.telemetry.hits import encode, format_cdt
from installer.telemetry.spool import SPOOL_NAME, Spool

NOW = 1_790_000_000.0
HOUR = 3600.0


def hit(name: str, at: float) -> str:
    return encode(
        [
            ("idsite", "s"),
            ("rec", "1"),
            ("e_c", "Installer"),
            ("e_a", "Event"),
            ("e_n", name),
            ("cdt", format_cdt(at)),
        ]
    )


def spool(path: Path, max_bytes: int = 1 << 20) -> Spool:
    return Spool(path, max_bytes=max_bytes, max_age=23 * HOUR)


def test_take_returns_what_was_put_and_empties_the_spool(tmp_path: Path) -> None:
    s = spool(tmp_path)
    hits = [hit(f"s{i}", NOW - i) for i in range(3)]
    assert s.put(hits, now=NOW, lock_timeout=1)
    assert s.take(now=NOW, lock_timeout=1).hits == hits
    assert s.take(now=NOW, lock_timeout=1).hits == []
    assert not (tmp_path / SPOOL_NAME).exists()


def test_hits_older_than_23_hours_are_dropped_and_counted(tmp_path: Path) -> None:
    s = spool(tmp_path)
    young, old = hit("young", NOW - 22 * HOUR), hit("old", NOW - 23 * HOUR - 1)
    s.put([young, old], now=NOW - 23 * HOUR, lock_timeout=1)
    taken = s.take(now=NOW, lock_timeout=1)
    assert taken.hits == [young]
    assert taken.too_old == 1


def test_size_bound_keeps_the_newest(tmp_path: Path) -> None:
    hits = [hit(f"step_{i:04d}", NOW) for i in range(100)]
    line = len(hits[0]) + 1
    s = spool(tmp_path, max_bytes=line * 10)
    s.put(hits, now=NOW, lock_timeout=1)
    assert s.take(now=NOW, lock_timeout=1).hits == hits[-10:]
    assert (tmp_path / SPOOL_NAME).exists() is False


def test_a_file_over_the_size_bound_is_read_only_for_its_newest_hits(tmp_path: Path) -> None:
    hits = [hit(f"step_{i:04d}", NOW) for i in range(100)]
    line = len(hits[0]) + 1
    text = "".join(h + "\n" for h in hits).encode()
    # Cut inside a line (that line is dropped) and exactly at a line start (it is kept).
    for max_bytes in (line * 10 + line // 2, line * 10):
        (tmp_path / SPOOL_NAME).write_bytes(text)
        taken = spool(tmp_path, max_bytes=max_bytes).take(now=NOW, lock_timeout=1)
        assert taken.hits == hits[-10:]
        assert (taken.oversize_bytes, taken.corrupt) == (line * 90, 0)
        assert not (tmp_path / SPOOL_NAME).exists()


def test_corrupt_lines_are_dropped_and_counted(tmp_path: Path) -> None:
    good = hit("good", NOW)
    (tmp_path / SPOOL_NAME).write_bytes(
        b"\xff\xfe\n" + good.encode() + b"\n?e_n=x\n" + good.encode()[:30] + b"\n\n"
    )
    taken = spool(tmp_path).take(now=NOW, lock_timeout=1)
    assert taken.hits == [good]
    assert taken.corrupt == 3


def test_a_last_line_cut_short_is_dropped_even_if_it_parses(tmp_path: Path) -> None:
    whole = hit("whole", NOW) + "&url=app%3A%2F%2Fdtu-install%2Fwhole"
    cut = whole[:-10]  # still has every required parameter; its url lost its end
    (tmp_path / SPOOL_NAME).write_text(whole + "\n" + cut)
    taken = spool(tmp_path).take(now=NOW, lock_timeout=1)
    assert taken.hits == [whole]
    assert taken.corrupt == 1


def _hold_lock(directory: str, ready: multiprocessing.synchronize.Event, seconds: float) -> None:
    s = spool(Path(directory))
    with s._locked(1.0):
        ready.set()
        time.sleep(seconds)


def test_a_held_lock_makes_a_run_give_up_quickly(tmp_path: Path) -> None:
    s = spool(tmp_path)
    s.put([hit("a", NOW)], now=NOW, lock_timeout=1)
    ready = multiprocessing.Event()
    other = multiprocessing.Process(target=_hold_lock, args=(str(tmp_path), ready, 2.0))
    other.start()
    try:
        assert ready.wait(5)
        started = time.monotonic()
        assert s.take(now=NOW, lock_timeout=0.2).hits == []  # not taken: the other run has it
        assert time.monotonic() - started < 1.5
        assert s.put([hit("b", NOW)], now=NOW, lock_timeout=0.2) is False
    finally:
        other.join()
    assert [h.count("e_n=a") for h in s.take(now=NOW, lock_timeout=1).hits] == [1]


def _take_and_report(directory: str, out: multiprocessing.queues.Queue[list[str]]) -> None:
    out.put(spool(Path(directory)).take(now=time.time(), lock_timeout=5).hits)


def test_two_runs_at_once_take_each_hit_once(tmp_path: Path) -> None:
    now = time.time()
    hits = [hit(f"s{i}", now) for i in range(200)]
    spool(tmp_path).put(hits, now=now, lock_timeout=1)
    out: multiprocessing.queues.Queue[list[str]] = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_take_and_report, args=(str(tmp_path), out))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    taken = [out.get(timeout=10) for _ in procs]
    for p in procs:
        p.join()
    assert sorted(taken[0] + taken[1]) == sorted(hits)
