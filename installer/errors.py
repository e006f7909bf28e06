"""One exception root for every expected failure, and the documented exit codes.

The top-level handler in `installer.cli.main` turns a `DtuInstallError` into its message
and exit code; anything else is a bug and gets a crash log instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable


class ExitCode:
    """Exit codes of every command (documented in README.md, "Exit codes")."""

    OK = 0
    FAILED = 1  # a step failed, a check failed, a delivery failed
    USAGE = 2  # bad command line, recipe, config, or input file
    CRASH = 3  # unexpected error: a bug; a crash log is written
    INTERRUPTED = 130  # Ctrl-C


class DtuInstallError(Exception):
    """An expected failure with a message for the user; never shows a traceback."""

    exit_code: int = ExitCode.FAILED


class UsageError(DtuInstallError):
    """Bad command line, config or input: exit code 2."""

    exit_code = ExitCode.USAGE


class Problem:
    """One located problem in an input file: `FILE:LINE:COL: key.path: message`."""

    __slots__ = ("column", "file", "key_path", "line", "message")

    def __init__(self, file: str, line: int, column: int, key_path: str, message: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.key_path = key_path
        self.message = message

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return (
            f"{where}: {self.key_path}: {self.message}"
            if self.key_path
            else f"{where}: {self.message}"
        )

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.key_path)


class InputFileError(UsageError):
    """All problems found in one or more input files (recipes, alert rules, config)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))
