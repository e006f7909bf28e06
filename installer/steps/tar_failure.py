"""What a failed `tar -x` says, in one line that names the member and the reason.

tar reports each failing member on a line of its own and ends with a summary line that says
nothing about it; the step's reason used to be that last line alone (issue 14 item 19):

    tar: evil: Cannot hard link to 'etc/passwd': No such file or directory
    tar: Exiting with failure status due to previous errors

The summary lines are GNU tar's (as GNU tar 1.34 prints them: "Exiting with failure status
due to previous errors", "Error is not recoverable: exiting now", "Child returned status N",
and the "Removing leading `/'" warning) and bsdtar's, the tar of macOS (libarchive/libarchive
tar/bsdtar.c: "Error exit delayed from previous errors.").
"""

from __future__ import annotations

import re

from installer.events.outcome import ErrorCategory
from installer.steps.failure import category_for_exit

SUMMARY_LINES = re.compile(
    r"Exiting with failure status due to previous errors"
    r"|Error is not recoverable: exiting now"
    r"|Child returned status \d+"
    r"|Error exit delayed from previous errors"
    r"|Removing leading .* from (hard link targets|member names)"
)
COMMAND_NOT_FOUND = 127


def explain(returncode: int, output: str) -> tuple[ErrorCategory, str]:
    """The category and the line to show for a tar that exited with `returncode`."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    telling = [line for line in lines if not SUMMARY_LINES.search(line)]
    category = category_for_exit(returncode, "\n".join(telling))
    if category is ErrorCategory.MISSING_DEPENDENCY and returncode != COMMAND_NOT_FOUND:
        # "No such file or directory" from tar is about the archive's own members (a link to
        # something the archive does not hold, or that lies outside the destination): the
        # archive is unusable, not a program missing from the Mac.
        category = ErrorCategory.UNKNOWN
    return category, (telling or lines or [""])[0]
