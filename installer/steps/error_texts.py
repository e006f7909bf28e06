"""What the programs the recipes run say when they fail, and the error category it means.

One table per program, each text taken from the program's own source (or, for Apple's
closed-source `softwareupdate`, from its output as quoted in public issues), with an example
in the program's exact words; a test checks every example against its pattern and its
category. These are output patterns, so (SPEC 3) they are consulted only after what actually
happened (exit codes 126/127), and before the generic patterns in failure.py: a program's own
words are more specific than "timed out" or "ssl" anywhere in its output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from installer.events.outcome import ErrorCategory

NETWORK = ErrorCategory.NETWORK
DISK = ErrorCategory.DISK
PERMISSION = ErrorCategory.PERMISSION
MISSING = ErrorCategory.MISSING_DEPENDENCY
CHECKSUM = ErrorCategory.CHECKSUM


@dataclass(frozen=True)
class ErrorText:
    pattern: re.Pattern[str]
    category: ErrorCategory
    example: str  # the program's exact words (a test matches it)


@dataclass(frozen=True)
class ProgramTexts:
    program: str
    source: str  # where the texts come from: repository and path
    texts: tuple[ErrorText, ...]


def _text(pattern: str, category: ErrorCategory, example: str) -> ErrorText:
    return ErrorText(re.compile(pattern), category, example)


# conda prints a CondaError as "<ClassName>: <message>" (conda/conda `conda/__init__.py`,
# CondaError.__repr__; `conda/exceptions.py`, print_conda_exception / ErrorGuidance.format);
# the messages are in `conda/exceptions.py`. The solver's conflict is UnsatisfiableError
# there, LibMambaUnsatisfiableError in conda-libmamba-solver (a subclass; Miniforge's
# default solver): a package set that cannot be installed together is a dependency that
# cannot be met.
CONDA = ProgramTexts(
    "conda",
    "conda/conda conda/exceptions.py, conda/__init__.py",
    (
        # "HTTP {status_code} {reason} for url <{url}>"; 000 CONNECTION FAILED when no
        # answer came at all (no network, DNS, a firewall), 5xx when the server failed.
        _text(
            r"CondaHTTPError: HTTP \d{3} ",
            NETWORK,
            "CondaHTTPError: HTTP 000 CONNECTION FAILED for url "
            "<https://conda.anaconda.org/conda-forge/osx-arm64/repodata.json>",
        ),
        _text(
            r"CondaSSLError: ",
            NETWORK,
            "CondaSSLError: Encountered an SSL error. Most likely a certificate verification "
            "issue.",
        ),
        _text(
            r"ProxyError: Conda cannot proceed due to an error in your proxy configuration",
            NETWORK,
            "ProxyError: Conda cannot proceed due to an error in your proxy configuration.",
        ),
        _text(r"NoSpaceLeftError: ", DISK, "NoSpaceLeftError: No space left on devices."),
        _text(
            r"NotWritableError: The current user does not have write permissions",
            PERMISSION,
            "NotWritableError: The current user does not have write permissions to a required "
            "path.",
        ),
        _text(
            r"ChecksumMismatchError: Conda detected a mismatch",
            CHECKSUM,
            "ChecksumMismatchError: Conda detected a mismatch between the expected content and "
            "downloaded content",
        ),
        _text(
            r"\b(?:LibMamba)?UnsatisfiableError: ",
            MISSING,
            "UnsatisfiableError: The following specifications were found to be incompatible "
            "with each other:",
        ),
        _text(
            r"PackagesNotFound(?:InChannels)?Error: ",
            MISSING,
            "PackagesNotFoundError: The following packages are not available from current "
            "channels:",
        ),
    ),
)

# The Miniforge installer is a conda/constructor shell installer; its own checks print these
# (conda/constructor `constructor/header.sh`). The conda it runs speaks for itself (above).
MINIFORGE_INSTALLER = ProgramTexts(
    "Miniforge installer",
    "conda/constructor constructor/header.sh",
    (
        _text(
            r"ERROR: Not enough free disk space",
            DISK,
            "ERROR: Not enough free disk space. Only 120 MB are available, but 450 MB are "
            "required (leaving a 50 MB buffer).",
        ),
        _text(
            r"ERROR: Could not create directory: ",
            PERMISSION,
            "ERROR: Could not create directory: '/Users/s/miniforge3'.",
        ),
    ),
)

# Homebrew's install script (Homebrew/install `install.sh`): `abort` messages; its git
# fetches are retried 5 times (`retry 5 ... fetch`) before "Failed 5 times doing: ...".
HOMEBREW_INSTALLER = ProgramTexts(
    "Homebrew installer",
    "Homebrew/install install.sh",
    (
        _text(
            r"Need sudo access on macOS",
            PERMISSION,
            "Need sudo access on macOS (e.g. the user student needs to be an Administrator)!",
        ),
        _text(
            r"Insufficient permissions to install Homebrew to",
            PERMISSION,
            'Insufficient permissions to install Homebrew to "/opt/homebrew" (the default prefix).',
        ),
        _text(
            r"Failed \d+ times doing: \S*git fetch",
            NETWORK,
            "Failed 5 times doing: /usr/bin/git fetch --quiet --force origin",
        ),
    ),
)

# Apple publishes no source for softwareupdate; its words as quoted in public issues:
# "No such update" (Homebrew/install pull request 235), "Didn't get a response from the
# Apple Software Update server" (timsutton/osx-vm-templates issue 48), "not currently
# available from the Software Update server" (Homebrew/install issue 1090).
SOFTWAREUPDATE = ProgramTexts(
    "softwareupdate",
    "Homebrew/install #235 and #1090, timsutton/osx-vm-templates #48 (issues)",
    (
        _text(
            r"Didn't get a response from the Apple Software Update server",
            NETWORK,
            "Error downloading Command Line Tools for Xcode: Didn't get a response from the "
            "Apple Software Update server when downloading Command Line Tools for Xcode.",
        ),
        _text(
            r": No such update",
            MISSING,
            "Command Line Tools for Xcode-11.0: No such update",
        ),
        _text(
            r"not currently available from the [Ss]oftware [Uu]pdate server",
            MISSING,
            "Can't install the software because it is not currently available from the "
            "Software Update server.",
        ),
    ),
)

PROGRAMS: tuple[ProgramTexts, ...] = (
    CONDA,
    MINIFORGE_INSTALLER,
    HOMEBREW_INSTALLER,
    SOFTWAREUPDATE,
)


def category_from_program_words(output: str) -> ErrorCategory | None:
    """The category a known program's own error text in `output` means, or None."""
    for program in PROGRAMS:
        for text in program.texts:
            if text.pattern.search(output):
                return text.category
    return None
