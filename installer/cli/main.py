"""`dtu-install` entry point and the one top-level error handler.

Exit codes (README.md, "Exit codes"): 0 done, 1 a step/check failed, 2 bad usage or input,
3 unexpected error (a crash log is written), 130 interrupted.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:  # not imported at run time: `--version` answers before anything else loads
    from pathlib import Path
    from typing import TextIO

from installer import __version__
from installer.errors import DtuInstallError, ExitCode, InputFileError


def _write_crash_log(exc: BaseException) -> str:
    """Keep the traceback in a file for support; the user sees two plain lines."""
    import datetime
    import traceback

    from installer import paths

    try:
        directory = paths.log_dir()
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path, f = _new_file(directory, f"crash-{stamp}")
        with f:
            f.write(f"dtu-install {__version__}\nargv: {sys.argv!r}\n\n")
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=f)
        return str(path)
    except OSError:
        return "(could not write a crash log)"


def _new_file(directory: Path, stem: str) -> tuple[Path, TextIO]:
    """A file that did not exist: `stem.log`, else `stem-2.log`, ... Two crashes in one
    second (two terminals, a script) wrote one name, and the second overwrote the first's
    traceback (issue 14 item 14); "x" mode never opens an existing file."""
    for number in range(1, 1000):
        path = directory / (f"{stem}.log" if number == 1 else f"{stem}-{number}.log")
        try:
            return path, path.open("x", encoding="utf-8")
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory / stem}-*.log: too many crash logs in one second")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Fast path: `--version` must answer without importing typer/rich (bench/cli_startup.py).
    if args in (["--version"], ["-V"]):
        print(f"dtu-install {__version__}")
        return ExitCode.OK
    if not args:
        # SPEC 2: `default` is what a bare `dtu-install` installs (the student's one line).
        args = ["run"]

    from installer.cli.app import build_app

    try:
        import click  # typer's parser; its exceptions carry the usage exit code

        app = build_app()
        result = app(args=args, prog_name="dtu-install", standalone_mode=False)
        return int(result) if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Abort:
        print("Interrupted.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.ClickException as exc:
        exc.show()
        return ExitCode.USAGE
    except InputFileError as exc:
        # One `FILE:LINE:COL: key.path: message` per line, as `validate` prints them.
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return exc.exit_code
    except DtuInstallError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # `dtu-install ... | head`: the reader went away; not an error of ours.
        return ExitCode.OK
    except Exception as exc:
        log = _write_crash_log(exc)
        print(
            f"dtu-install hit an unexpected error ({type(exc).__name__}: {exc}).\n"
            f"This is a bug. Please send this file to support: {log}",
            file=sys.stderr,
        )
        return ExitCode.CRASH


if __name__ == "__main__":
    raise SystemExit(main())
