"""`dtu-install analytics import FILE...`: tracking hits from files into the event store.

Formats, told apart by the file's first line:
- one tracking query string per line (the tracker's own format: `?idsite=..&e_c=..`, with
  or without the `?`, or a full tracker URL); blank lines and `#` comments are skipped;
- JSON lines: each line a bulk object `{"requests": [...]}` or one Matomo-style hit object;
- one JSON document `{"requests": [...]}` (Piwik PRO / Matomo bulk JSON), pretty-printed or not.

Each hit is normalised exactly as the collector does it, except that a hit without `cdt` is
bad (its time is unknown). Identity excludes cache busters, so importing a file twice adds
nothing. A bad line or entry is reported with its place and skipped; the rest is imported.

Large line files are split into chunks that worker processes parse and insert, each chunk
in one transaction, with the store tuned for bulk loading (`EventStore.bulk_loading`).
"""

from __future__ import annotations

import contextlib
import json
import operator
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from installer.collector.pool import spawn_pool
from installer.errors import Problem, UsageError
from installer.events.hits import bulk_from_document, params_from_entry, parse_query
from installer.events.normalise import InvalidHit, normalise_row
from installer.regular_file import kind_of
from installer.store.event_store import EventStore

CHUNK_LINES = 20_000  # lines per worker task and per transaction
PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # smaller files are parsed in-process (no pool start-up)
MAX_WORKERS = 4
MAX_LINE_BYTES = 4 * 1024 * 1024  # a JSON line may be a bulk of 1000 hits; longer is not ours
MAX_REPORTED_PROBLEMS = 200  # per import; the count of bad lines is always exact
# Secondary indexes are dropped and rebuilt after the load (`deferred_indexes`) when the
# files hold at least this many bytes and about as many hits as the table has events:
# rebuilding costs ~3 us per stored event, maintaining them ~5 us per new one.
DEFER_INDEXES_MIN_BYTES = PARALLEL_MIN_BYTES
BYTES_PER_HIT = 350  # a typical tracker line, for the estimate
_BOM = b"\xef\xbb\xbf"
_REQUESTS_LIST = re.compile(r'"requests"\s*:\s*\[')

Row = tuple[object, ...]
_IDENT = operator.itemgetter(0)  # a row's first column is the event's identity
Progress = Callable[[int], None]  # bytes of the current file done so far


@dataclass
class ImportReport:
    files: int = 0
    hits: int = 0  # valid hits read
    added: int = 0  # new events stored
    bad: int = 0  # lines or entries skipped
    problems: list[Problem] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return self.hits - self.added

    def note(self, problem: Problem) -> None:
        self.bad += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)


@dataclass
class _Chunk:
    rows: list[Row]
    bad: list[tuple[int, str]]  # (line number, reason)


def _hit_rows(entry: object, bad: list[str]) -> list[Row]:
    """One line's JSON value: a bulk object (several hits) or one Matomo-style hit. A bad
    entry of a bulk goes to `bad` (as `requests[i]: reason`) and the others are kept, as in
    a bulk document and at the collector: one bad entry used to drop its whole line."""
    if isinstance(entry, dict) and "requests" in entry:
        bulk = bulk_from_document(entry, max_hits=None)
        rows: list[Row] = []
        for index, hit in enumerate(bulk.entries):
            try:
                rows.append(_row(params_from_entry(hit)))
            except InvalidHit as exc:
                bad.append(f"requests[{index}]: {exc}")
        return rows
    return [_row(params_from_entry(entry))]


def _row(params: dict[str, str]) -> Row:
    return normalise_row(params, received_at=None)


def parse_lines(first_line: int, lines: Sequence[bytes]) -> _Chunk:
    """Lines -> rows; runs in a worker process for large files (module level: picklable)."""
    chunk = _Chunk([], [])
    for offset, raw in enumerate(lines):
        stripped = raw.strip()
        if stripped.startswith(_BOM):  # a file saved by an editor that writes one
            stripped = stripped[len(_BOM) :].strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        try:
            try:
                text = stripped.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidHit("not valid UTF-8") from None
            if text[0] in "{[":
                try:
                    value = json.loads(text)
                except (ValueError, RecursionError) as exc:
                    raise InvalidHit(f"not valid JSON: {exc}") from None
                bad: list[str] = []
                chunk.rows.extend(_hit_rows(value, bad))
                chunk.bad.extend((first_line + offset, reason) for reason in bad)
            else:
                chunk.rows.append(_row(parse_query(text)))
        except InvalidHit as exc:
            chunk.bad.append((first_line + offset, str(exc)))
    return chunk


def _chunks(
    path: Path, progress: Progress | None, report: ImportReport
) -> Iterator[tuple[int, list[bytes]]]:
    """The file's lines in chunks of about CHUNK_LINES hits. A line longer than
    MAX_LINE_BYTES (a binary file, a runaway export) is reported and skipped without ever
    being held in memory whole; an empty line takes its place, so numbering stays right."""
    chunk_bytes = CHUNK_LINES * 400  # about CHUNK_LINES typical hits
    with path.open("rb") as f:
        line_number = 1
        done = 0
        while True:
            lines: list[bytes] = []
            read = 0
            while read < chunk_bytes:
                line = f.readline(MAX_LINE_BYTES)
                if not line:
                    break
                read += len(line)
                if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
                    read += _skip_rest_of_line(f)
                    too_long = f"line longer than {MAX_LINE_BYTES} bytes; skipped"
                    report.note(Problem(str(path), line_number + len(lines), 1, "", too_long))
                    line = b"\n"
                lines.append(line)
            if not lines:
                return
            yield line_number, lines
            line_number += len(lines)
            done += read
            if progress:
                progress(done)


def _skip_rest_of_line(f: BinaryIO) -> int:
    skipped = 0
    while True:
        rest = f.readline(1024 * 1024)
        skipped += len(rest)
        if not rest or rest.endswith(b"\n"):
            return skipped


@dataclass(frozen=True)
class _Loaded:
    """What became of one chunk of lines (small: it crosses from a worker process)."""

    hits: int
    added: int
    bad: list[tuple[int, str]]


def _load_chunk(store: EventStore, first: int, lines: Sequence[bytes]) -> _Loaded:
    chunk = parse_lines(first, lines)
    # In identity order, the inserts into the unique index on `ident` (random digests) touch
    # neighbouring pages one after another: about a third faster (bench/bench_import.py).
    chunk.rows.sort(key=_IDENT)
    added = store.insert_rows(chunk.rows) if chunk.rows else 0
    return _Loaded(len(chunk.rows), added, chunk.bad)


# In a worker process: its own connection, tuned for bulk loading. Workers insert their
# chunks themselves (SQLite takes one writer at a time; the others parse meanwhile), so rows
# never cross between processes: parsing and inserting both run on every core.
_worker: dict[str, EventStore] = {}
_worker_settings = contextlib.ExitStack()


def _open_worker_store(db: str) -> None:
    # The parent may have dropped the indexes for this load: they are not to be rebuilt here.
    store = _worker_settings.enter_context(EventStore(db, restore_indexes=False))
    _worker_settings.enter_context(store.bulk_loading())
    _worker["store"] = store


def _load_chunk_in_worker(first: int, lines: Sequence[bytes]) -> _Loaded:
    return _load_chunk(_worker["store"], first, lines)


def _record(path: Path, loaded: _Loaded, report: ImportReport) -> None:
    report.hits += loaded.hits
    report.added += loaded.added
    for line, reason in loaded.bad:
        report.note(Problem(str(path), line, 1, "", reason))


def _import_lines(
    store: EventStore, path: Path, report: ImportReport, progress: Progress | None, workers: int
) -> None:
    if workers <= 1 or path.stat().st_size < PARALLEL_MIN_BYTES:
        for first, lines in _chunks(path, progress, report):
            _record(path, _load_chunk(store, first, lines), report)
        return
    # At most 2 chunks per worker in flight: a file of any size needs bounded memory.
    with spawn_pool(workers, _open_worker_store, (str(store.path),)) as pool:
        pending: list[Future[_Loaded]] = []
        try:
            for first, lines in _chunks(path, progress, report):
                pending.append(pool.submit(_load_chunk_in_worker, first, lines))
                if len(pending) >= 2 * workers:
                    _record(path, pending.pop(0).result(), report)
            for future in pending:
                _record(path, future.result(), report)
        except KeyboardInterrupt:
            # Ctrl-C: the chunks not started are dropped at once (the workers, which ignore
            # SIGINT, finish and commit the ones they hold); the caller says what happened.
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _entry_lines(text: str, count: int) -> list[int] | None:
    """Line number of each entry of the top-level `requests` list, for bad-entry reports;
    None when the layout is unusual (then entries are reported by index only)."""
    match = _REQUESTS_LIST.search(text)
    if not match:
        return None
    decoder = json.JSONDecoder()
    lines: list[int] = []
    position, line, counted = match.end(), 1, 0
    try:
        for _ in range(count):
            while text[position] in " \t\r\n,":
                position += 1
            line += text.count("\n", counted, position)
            counted = position
            lines.append(line)
            _, position = decoder.raw_decode(text, position)
    except (ValueError, IndexError):
        return None
    return lines


def _import_document(store: EventStore, path: Path, report: ImportReport) -> None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        document = json.loads(text)
        entries = bulk_from_document(document, max_hits=None).entries
    except UnicodeDecodeError as exc:
        report.note(Problem(str(path), 1, 1, "", f"not valid UTF-8 (byte {exc.start})"))
        return
    except json.JSONDecodeError as exc:
        report.note(Problem(str(path), exc.lineno, exc.colno, "", f"not valid JSON: {exc.msg}"))
        return
    except (InvalidHit, RecursionError) as exc:
        report.note(Problem(str(path), 1, 1, "", str(exc) or "nested too deeply"))
        return
    lines = _entry_lines(text, len(entries))
    rows: list[Row] = []
    for index, entry in enumerate(entries):
        try:
            rows.append(_row(params_from_entry(entry)))
        except InvalidHit as exc:
            line = lines[index] if lines else 1
            report.note(Problem(str(path), line, 1, f"requests[{index}]", str(exc)))
    report.hits += len(rows)
    report.added += store.insert_rows(rows)


def _first_line(path: Path) -> bytes:
    with path.open("rb") as f:
        for line in f:
            if line.strip():
                return line.strip()
    return b""


def is_document(path: Path) -> bool:
    """One JSON document over several lines, rather than a hit (or bulk) per line: the
    first line starts JSON but is not complete JSON by itself."""
    first = _first_line(path).removeprefix(_BOM)
    if first[:1] not in (b"{", b"["):
        return False
    try:
        json.loads(first)
    except (ValueError, RecursionError):
        return True
    return False  # a complete JSON value per line (a one-line bulk file is one such line)


def check_readable(paths: Sequence[Path]) -> None:
    """All files are checked before anything is imported: a typo imports nothing."""
    for path in paths:
        if path.is_dir():  # "no such file" would send the user looking for a typo
            raise UsageError(f"{path}: is a directory; give the files in it")
        if path.exists() and not path.is_file():
            # A FIFO, /dev/stdin, a device: "no such file" sent the user looking for a typo.
            # The import reads a file more than once (its format, then its hits): it must
            # be a regular file.
            kind = kind_of(path.stat().st_mode)
            raise UsageError(
                f"{path}: not a regular file ({kind}); save the hits to a file and import that"
            )
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
        if not os.access(path, os.R_OK):
            raise UsageError(f"{path}: not readable")


def _worth_deferring_indexes(store: EventStore, paths: Sequence[Path]) -> bool:
    size = sum(path.stat().st_size for path in paths)
    if size < DEFER_INDEXES_MIN_BYTES:
        return False
    (last_id,) = store.conn.execute("SELECT max(id) FROM events").fetchone()  # cheap: rowid
    return size // BYTES_PER_HIT >= (last_id or 0)


def import_files(
    store: EventStore,
    paths: Sequence[Path],
    *,
    on_file: Callable[[Path, int], Progress | None] | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Imports every file; `on_file(path, size)` may return a progress callback."""
    check_readable(paths)
    count = workers if workers is not None else min(MAX_WORKERS, os.cpu_count() or 1)
    report = ImportReport()
    with store.bulk_loading(defer_indexes=_worth_deferring_indexes(store, paths)):
        for path in paths:
            progress = on_file(path, path.stat().st_size) if on_file else None
            first_problem = len(report.problems)
            if is_document(path):
                _import_document(store, path, report)
            else:
                _import_lines(store, path, report, progress, count)
            report.files += 1
            # a file's problems in line order (over-long lines are noted while reading)
            report.problems[first_problem:] = sorted(
                report.problems[first_problem:], key=Problem.sort_key
            )
    return report
