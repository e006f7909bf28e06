"""`dtu-install analytics import`: runs the importer, shows progress, reports, and returns
the exit code (README, "Exit codes": 0 all imported, 1 some lines bad and skipped, 2 bad
usage such as a missing file or an unusable store, in which case nothing is imported)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from installer.analytics.importer import ImportReport, Progress, check_readable, import_files
from installer.errors import ExitCode
from installer.store.event_store import EventStore, resolve_db_path

if TYPE_CHECKING:  # rich's progress bars are imported only when shown (start-up time)
    from rich.progress import Progress as RichProgress

PROGRESS_MIN_BYTES = 1024 * 1024  # smaller files finish before a bar would be drawn
INTERRUPTED = (
    "Interrupted: the hits committed so far are stored; import the same files again to add "
    "the rest (nothing is stored twice)."
)


@contextmanager
def _progress_bars(enabled: bool) -> Iterator[RichProgress | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bars:
        yield bars


def summary(report: ImportReport, db: Path) -> str:
    files = "file" if report.files == 1 else "files"
    text = (
        f"imported {report.files} {files} into {db}: {report.hits} hits, "
        f"{report.added} new, {report.duplicates} already stored"
    )
    if report.bad:
        text += f"; {report.bad} bad lines or entries skipped"
    return text


def run_import(files: Sequence[str], db: str | None) -> int:
    paths = [Path(f) for f in files]
    check_readable(paths)  # before the store is created: a typo leaves no empty database
    db_path = resolve_db_path(db)
    show_progress = sys.stderr.isatty()
    with ExitStack() as stack:
        bars = stack.enter_context(_progress_bars(show_progress))
        store = stack.enter_context(EventStore(db_path))

        def on_file(path: Path, size: int) -> Progress | None:
            if bars is None or size < PROGRESS_MIN_BYTES:
                return None
            task = bars.add_task(path.name, total=size)

            def advance(done: int) -> None:
                bars.update(task, completed=done)

            return advance

        try:
            report = import_files(store, paths, on_file=on_file)
        except KeyboardInterrupt:
            # One line instead of the silent exit 130 (and, before the workers ignored
            # SIGINT, a traceback from each of them: issue 14 item 12).
            print(INTERRUPTED, file=sys.stderr)
            return ExitCode.INTERRUPTED
    for problem in report.problems:
        print(problem, file=sys.stderr)
    if report.bad > len(report.problems):
        print(f"... and {report.bad - len(report.problems)} more bad lines", file=sys.stderr)
    print(summary(report, db_path))
    return ExitCode.FAILED if report.bad else ExitCode.OK
