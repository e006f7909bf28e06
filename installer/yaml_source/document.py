"""Read YAML into a tree of `YNode`s that remember their line and column.

Every failure (unreadable, too large, not UTF-8, malformed YAML, too many values after
alias expansion) comes back as an `installer.errors.Problem`, never as an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from installer.errors import Problem
from installer.regular_file import NotRegularFile, read_regular

# Bounds that keep hostile or broken files from eating memory or the stack.
MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000  # after alias expansion ("billion laughs")
# Lists and mappings inside each other: real recipes and settings nest a few levels; every
# later stage (schema check, rendering, JSON) recurses once per level or more, and a few
# hundred levels crashed them with RecursionError (issue 14 item 9).
MAX_DEPTH = 100


@dataclass
class YNode:
    kind: str  # "scalar" | "seq" | "map"
    value: Any  # scalar: the Python value; seq: list[YNode]; map: list[(YNode, YNode)]
    line: int  # 1-based
    column: int  # 1-based
    raw: str = ""  # a scalar's source text (for "quote it" hints)

    def type_name(self) -> str:
        if self.kind == "seq":
            return "a list"
        if self.kind == "map":
            return "a mapping"
        return _scalar_type_name(self.value)


def _scalar_type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line, self.column = line, column


def _too_deep(file: str, line: int, column: int) -> Problem:
    return Problem(file, line, column, "", f"nested too deeply (more than {MAX_DEPTH} levels)")


def _deepest_start(text: str) -> tuple[int, int]:
    """Line and column of the first list or mapping nested more than MAX_DEPTH deep, found
    with PyYAML's event parser, which (unlike `compose`) does not recurse; (1, 1) if none."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                mark = event.start_mark
                if depth > MAX_DEPTH and mark is not None:
                    return mark.line + 1, mark.column + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        pass
    return 1, 1


class _Converter:
    """yaml.Node graph -> YNode tree (aliases expanded, within `MAX_NODES`)."""

    def __init__(self) -> None:
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, depth: int = 0) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _TooDeep(line, column)
        if isinstance(node, yaml.MappingNode):
            pairs = [(self.convert(k, depth), self.convert(v, depth)) for k, v in node.value]
            return YNode("map", pairs, line, column)
        if isinstance(node, yaml.SequenceNode):
            return YNode("seq", [self.convert(item, depth) for item in node.value], line, column)
        try:
            value = self.constructor.construct_object(node)
        except Exception:  # PyYAML's tag constructors raise whatever they hit
            # (AttributeError for `!!timestamp 2001-99`, KeyError for `!!bool x`, IndexError
            # for `!!int ''`): a value that cannot be built keeps its text, and the schema
            # then says what is wrong with it, at its line and column.
            value = node.value
        return YNode("scalar", value, line, column, raw=str(node.value))


def _reader_problem(file: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    position = min(max(int(exc.position), 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    character = exc.character
    code = character if isinstance(character, int) else ord(str(character)[:1] or "\0")
    return Problem(
        file, line, column, "", f"malformed YAML: unacceptable character #x{code:04x}: {exc.reason}"
    )


def parse_yaml(text: str, file: str) -> tuple[YNode | None, list[Problem]]:
    """Compose one YAML document; `(None, [])` for an empty document."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        return None, [Problem(file, line, col, "", f"malformed YAML: {what}")]
    except yaml.reader.ReaderError as exc:
        # Not a MarkedYAMLError: its text ends with a second line, '  in "<unicode string>",
        # position 9', which split the one-line problem in two (issue 14 item 19). The
        # position (a character offset) gives the line and column.
        return None, [_reader_problem(file, text, exc)]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, 1, "", f"malformed YAML: {exc}")]
    except RecursionError:
        return None, [_too_deep(file, *_deepest_start(text))]
    if node is None:
        return None, []
    try:
        return _Converter().convert(node), []
    except _TooDeep as exc:
        return None, [_too_deep(file, exc.line, exc.column)]
    except (_TooLarge, RecursionError):
        return None, [Problem(file, 1, 1, "", f"document too large (more than {MAX_NODES} values)")]


def read_yaml_file(
    path: Path, display: str, *, empty_ok: bool = False
) -> tuple[YNode | None, list[Problem]]:
    """Read and compose a file; an empty file is a problem (`file is empty`) unless
    `empty_ok` (then `(None, [])`: an optional settings file left empty)."""
    try:
        # Refused unread when not a regular file: a FIFO hung `validate`, a link to /dev/zero
        # read until MemoryError (issue 14 item 11); at most one byte past the size bound.
        data = read_regular(path, MAX_FILE_BYTES)
    except NotRegularFile as exc:
        return None, [Problem(display, 1, 1, "", f"not a regular file ({exc.kind})")]
    except OSError as exc:
        return None, [Problem(display, 1, 1, "", f"cannot read: {exc.strerror or exc}")]
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(display, 1, 1, "", f"file larger than {MAX_FILE_BYTES} bytes")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Point at the bad byte itself, so an editor jumps there (the text before it decodes).
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8")) + 1
        message = f"not UTF-8 text (byte {exc.start})"
        return None, [Problem(display, line, column, "", message)]
    node, problems = parse_yaml(text, display)
    if node is None and not problems and not empty_ok:
        problems = [Problem(display, 1, 1, "", "file is empty")]
    return node, problems
