"""How a failure becomes an error category, whether it is retried, and what we tell the user.

Categories come from what actually happened first (exception type, errno, exit code, HTTP
status) and from the command's output only as a fallback (SPEC section 3). All of it is
policy, so it lives in the named tables below.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

from installer.events.outcome import ErrorCategory
from installer.steps.error_texts import category_from_program_words

# Exit codes with a meaning fixed by POSIX shells.
EXIT_CODE_CATEGORY: dict[int, ErrorCategory] = {
    126: ErrorCategory.PERMISSION,  # found but not executable
    127: ErrorCategory.MISSING_DEPENDENCY,  # command not found
}

ERRNO_CATEGORY: dict[int, ErrorCategory] = {
    errno.ENOSPC: ErrorCategory.DISK,
    errno.EDQUOT: ErrorCategory.DISK,
    errno.EROFS: ErrorCategory.PERMISSION,
    errno.EACCES: ErrorCategory.PERMISSION,
    errno.EPERM: ErrorCategory.PERMISSION,
    errno.ENOENT: ErrorCategory.MISSING_DEPENDENCY,
    errno.ETIMEDOUT: ErrorCategory.TIMEOUT,
    errno.ECONNREFUSED: ErrorCategory.NETWORK,
    errno.ECONNRESET: ErrorCategory.NETWORK,
    errno.EHOSTUNREACH: ErrorCategory.NETWORK,
    errno.ENETUNREACH: ErrorCategory.NETWORK,
}

# Fallback only: a command failed with a plain exit code and said why in its output.
# First match wins, so the more specific patterns come first.
OUTPUT_PATTERNS: tuple[tuple[re.Pattern[str], ErrorCategory], ...] = (
    (
        re.compile(r"a password is required|permission denied|operation not permitted", re.I),
        ErrorCategory.PERMISSION,
    ),
    (
        re.compile(r"no space left on device|disk (is )?full|not enough (free )?space", re.I),
        ErrorCategory.DISK,
    ),
    (re.compile(r"checksum|sha256 mismatch|hash mismatch", re.I), ErrorCategory.CHECKSUM),
    (
        re.compile(r"command not found|no such file or directory|not installed", re.I),
        ErrorCategory.MISSING_DEPENDENCY,
    ),
    (re.compile(r"timed out|timeout", re.I), ErrorCategory.TIMEOUT),
    (
        re.compile(
            r"could not resolve host|connection (refused|reset)|network is unreachable"
            r"|temporary failure in name resolution|ssl",
            re.I,
        ),
        ErrorCategory.NETWORK,
    ),
)

# Categories that another attempt cannot fix (SPEC 3: "not retried blindly").
NEVER_RETRIED: frozenset[ErrorCategory] = frozenset(
    {
        ErrorCategory.PERMISSION,
        ErrorCategory.MISSING_DEPENDENCY,
        ErrorCategory.CHECKSUM,
        ErrorCategory.DISK,
        ErrorCategory.INTERRUPTED,
    }
)

# What the summary tells a student, in plain words, per category.
ADVICE: dict[ErrorCategory, str] = {
    ErrorCategory.PERMISSION: (
        "The installer was not allowed to change something. If it asked for your password, "
        "run it again and type your Mac login password; otherwise make sure you are using "
        "an administrator account."
    ),
    ErrorCategory.NETWORK: (
        "A download or server could not be reached. Check your internet connection (eduroam "
        "or home Wi-Fi) and run the installer again: it continues where it stopped."
    ),
    ErrorCategory.DISK: (
        "Your disk is full. Free a few GB (empty the Bin, delete large downloads) and run "
        "the installer again."
    ),
    ErrorCategory.MISSING_DEPENDENCY: (
        "Something this step needs is not installed or was not found. Run the installer "
        "again; if it fails at the same step, send the log to support."
    ),
    ErrorCategory.CHECKSUM: (
        "A downloaded file did not match its expected fingerprint, so it was not used. "
        "Run the installer again; if it happens twice, send the log to support."
    ),
    ErrorCategory.TIMEOUT: (
        "A step took too long. Check your internet connection and run the installer again."
    ),
    ErrorCategory.INTERRUPTED: (
        "The installer was stopped. Run it again to continue where it stopped."
    ),
    ErrorCategory.UNKNOWN: (
        "Something unexpected went wrong. Run the installer again; if it fails at the same "
        "step, send the log file below to support."
    ),
}

# A server that answered "no such file" was reached: the student's connection works, and
# running again will not help. Said instead of ADVICE[NETWORK], whose "check your internet
# connection" sent students looking at their Wi-Fi.
GONE_HTTP_STATUS = frozenset({404, 410})
GONE_ADVICE = (
    "The server was reached, but the file is not there: your internet connection works. "
    "This needs fixing on our side; send the log file below to support."
)
# A server that refused to hand the file over (401, 403). Not the student's permission: it
# was `permission_error`, whose advice is to type the Mac password (issue 14 item 7), which
# cannot change a server's answer. A network that filters downloads answers so too.
REFUSED_HTTP_STATUS = frozenset({401, 403})
REFUSED_ADVICE = (
    "The server was reached but refused to give us the file; your Mac password has nothing "
    "to do with it. On a network that filters downloads (a company or school network), try "
    "another one, such as eduroam or home Wi-Fi; otherwise send the log file below to support."
)


def advice_for(category: ErrorCategory, http_status: int | None = None) -> str:
    """What the summary tells a student about a failure of `category`."""
    if category is ErrorCategory.NETWORK and http_status in GONE_HTTP_STATUS:
        return GONE_ADVICE
    if category is ErrorCategory.NETWORK and http_status in REFUSED_HTTP_STATUS:
        return REFUSED_ADVICE
    return ADVICE[category]


@dataclass
class StepError(Exception):
    """A step attempt failed; raised by executors, caught by the retry loop."""

    category: ErrorCategory
    reason: str
    retryable: bool = False
    retry_after: float | None = None  # seconds the server asked us to wait (429/503)
    http_status: int | None = None  # the server's answer, when that was the failure

    def __str__(self) -> str:
        return self.reason


def retryable_category(category: ErrorCategory) -> bool:
    return category not in NEVER_RETRIED


def category_for_os_error(exc: OSError) -> ErrorCategory:
    if isinstance(exc, PermissionError):
        return ErrorCategory.PERMISSION
    if isinstance(exc, FileNotFoundError):
        return ErrorCategory.MISSING_DEPENDENCY
    if exc.errno is not None and exc.errno in ERRNO_CATEGORY:
        return ERRNO_CATEGORY[exc.errno]
    return ErrorCategory.UNKNOWN


def category_for_exit(code: int, output: str) -> ErrorCategory:
    """What the exit code says first; then the failing program's own words (error_texts.py:
    conda, the installers, softwareupdate); then the generic patterns above."""
    if code in EXIT_CODE_CATEGORY:
        return EXIT_CODE_CATEGORY[code]
    known = category_from_program_words(output)
    if known is not None:
        return known
    for pattern, category in OUTPUT_PATTERNS:
        if pattern.search(output):
            return category
    return ErrorCategory.UNKNOWN


def category_for_http_status(status: int) -> ErrorCategory:
    """Every failing HTTP answer is the server's side: `network_error` (a 401/403 included,
    see REFUSED_HTTP_STATUS); whether it is retried is the DOWNLOADS policy's business
    (installer/common/retry.py)."""
    del status
    return ErrorCategory.NETWORK


def from_os_error(exc: OSError, what: str) -> StepError:
    category = category_for_os_error(exc)
    return StepError(category, f"{what}: {exc.strerror or exc}", retryable=False)
