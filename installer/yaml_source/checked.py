"""Where checking a document puts its results: plain values, located problems, marks.

A problem is reported at a node or at a key path; `Checked` turns either into an
`installer.errors.Problem` with the file, line, column and the path written as
`steps[2].download.url`. The "did you mean" hint every unknown-name message uses is here too.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from installer.errors import Problem
from installer.yaml_source.document import YNode

KeyPath = tuple[Union[str, int], ...]

# How alike a name must be to a known one to be offered as "did you mean" (difflib's ratio).
CLOSE_MATCH_CUTOFF = 0.6


class _Invalid:
    """The value of a part of the document that did not pass its schema."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


def format_key_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def closest_match(word: str, choices: Sequence[str]) -> str | None:
    """The choice most like `word`, if one is close enough to suggest."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=CLOSE_MATCH_CUTOFF)
    return close[0] if close else None


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close, else an empty string."""
    close = closest_match(word, choices)
    return f" (did you mean {close!r}?)" if close is not None else ""


@dataclass
class Checked:
    """The result of checking one document: plain values, problems, and where things were."""

    file: str
    value: Any = INVALID
    problems: list[Problem] = field(default_factory=list)
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def problem(self, at: YNode | KeyPath, path: KeyPath, message: str) -> None:
        line, col = (at.line, at.column) if isinstance(at, YNode) else self.mark(at)
        self.problems.append(Problem(self.file, line, col, format_key_path(path), message))

    def mark(self, path: KeyPath) -> tuple[int, int]:
        """Line and column of the value at `path`, or of its nearest ancestor."""
        for end in range(len(path), -1, -1):
            found = self.marks.get(path[:end])
            if found:
                return found
        return (1, 1)

    def report(self, path: KeyPath, message: str) -> None:
        self.problem(path, path, message)
