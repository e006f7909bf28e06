"""Plain text that stays readable in a narrow terminal (issue 17: at 80 columns the
component-health report, 157 columns wide, and `alerts check` lines wrapped mid-word into
unreadable text).

Only a terminal gets folded text: a pipe, a log or an email keeps whole lines. Words are
never broken, so dates, SHAs, URLs and numbers stay whole; a table folds its text cells onto
more lines, and when even that does not fit, its last columns are left out, with a line
that says which.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Sequence

INDENT = "    "  # continuation lines of a folded line
MIN_WIDTH = 20
GAP = 2  # spaces between table columns


def terminal_width() -> int | None:
    """The terminal's width when stdout is one, else None (do not fold)."""
    if not sys.stdout.isatty():
        return None
    return max(MIN_WIDTH, shutil.get_terminal_size((80, 24)).columns)


def fold(text: str, width: int | None, indent: str = INDENT) -> list[str]:
    """`text` as lines of at most `width` characters (a word longer than that stays whole
    on a line of its own); continuation lines start with `indent`."""
    if width is None or len(text) <= width:
        return [text]
    lead = text[: len(text) - len(text.lstrip(" "))]
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent="",
        subsequent_indent=lead + indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [text]
    # A word longer than the line (a runbook URL) goes alone at column 0: the terminal
    # wraps it softly and it stays one clickable, copyable link.
    return [line.strip() if len(line) > width else line for line in lines]


def say(text: str = "", width: int | None = None) -> None:
    """print(), folded to the terminal's width when stdout is a terminal."""
    print("\n".join(fold(text, width if width is not None else terminal_width())))


def grid(columns: Sequence[str], rows: Sequence[Sequence[str]], width: int | None) -> list[str]:
    """A table as text lines: header, rule, rows. Within `width`, text cells fold onto
    more lines at spaces; columns that still do not fit are left out from the right."""
    cells = [list(columns)] + [list(r) for r in rows]
    natural = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    if width is None or _total(natural) <= width:
        return _lines(cells, natural, fold_cells=False)
    # The narrowest a column can get: its longest word (words are never broken).
    least = [
        max(len(w) for r in cells for w in (r[i].split() or [""])) for i in range(len(columns))
    ]
    keep = list(range(len(columns)))
    while len(keep) > 1 and _total([least[i] for i in keep]) > width:
        keep.pop()  # the last columns are the least important ones
    widths = {i: natural[i] for i in keep}
    while _total(list(widths.values())) > width:
        # Shrink the widest column that can still shrink, one character at a time.
        i = max((i for i in keep if widths[i] > least[i]), key=lambda i: widths[i] - least[i])
        widths[i] -= 1
    shown = [[r[i] for i in keep] for r in cells]
    lines = _lines(shown, [widths[i] for i in keep], fold_cells=True)
    hidden = [columns[i] for i in range(len(columns)) if i not in keep]
    if hidden:
        lines += fold(f"(not shown, too narrow: {', '.join(hidden)})", width)
    return lines


def _total(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def _lines(cells: Sequence[Sequence[str]], widths: Sequence[int], *, fold_cells: bool) -> list[str]:
    out: list[str] = []
    for number, row in enumerate(cells):
        parts = [
            textwrap.wrap(v, w, break_long_words=False, break_on_hyphens=False) or [""]
            if fold_cells and len(v) > w
            else [v]
            for v, w in zip(row, widths)
        ]
        for k in range(max(len(p) for p in parts)):
            line = (" " * GAP).join(
                (p[k] if k < len(p) else "").ljust(w) for p, w in zip(parts, widths)
            )
            out.append(line.rstrip())
        if number == 0:
            out.append((" " * GAP).join("-" * w for w in widths))
    return out
