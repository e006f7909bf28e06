"""JSON with comments, as VS Code writes `settings.json`: read it, and set top-level keys
while keeping every other byte (comments, order, formatting, the user's own keys) as it was.

VS Code's settings files are JSONC: `//` and `/* */` comments and trailing commas are
allowed (microsoft/node-jsonc-parser, the parser VS Code uses, with `allowTrailingComma`).
`parse` reads such a text into plain values; `set_keys` edits the text itself: a key that
is there gets its value replaced in place, a new key is added before the closing brace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

WHITESPACE = " \t\r\n\ufeff"
# Deeper objects and arrays are refused: the parser recurses once a level, and a settings
# file nested some 500 levels deep ended the step in a RecursionError (issue 14 item 9, the
# same limit as for YAML).
MAX_DEPTH = 100


class JsoncError(ValueError):
    """The text is not a JSON object with comments; `line` is 1-based."""

    def __init__(self, message: str, text: str, pos: int) -> None:
        line = text.count("\n", 0, pos) + 1
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class Member:
    key: str
    value_start: int
    value_end: int
    comma: int | None  # index of the comma after the value, if any


@dataclass(frozen=True)
class TopObject:
    start: int  # index of "{"
    close: int  # index of "}"
    members: tuple[Member, ...]


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self, message: str) -> JsoncError:
        return JsoncError(message, self.text, self.pos)

    def trivia(self) -> None:
        """Skip whitespace and comments."""
        text = self.text
        while self.pos < len(text):
            ch = text[self.pos]
            if ch in WHITESPACE:
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    raise self.fail("a /* comment is not closed")
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        self.trivia()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def string(self) -> str:
        start = self.pos
        self.pos += 1
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\":
                self.pos += 2
                continue
            if ch == '"':
                self.pos += 1
                try:
                    value: str = json.loads(self.text[start : self.pos])
                except ValueError as exc:
                    raise JsoncError(f"a bad string: {exc}", self.text, start) from exc
                return value
            if ch == "\n":
                break
            self.pos += 1
        raise JsoncError("a string is not closed", self.text, start)

    def value(self) -> Any:
        ch = self.peek()
        if ch == "{":
            return self.obj()[0]
        if ch == "[":
            self.enter()
            self.pos += 1
            items = []
            while self.peek() != "]":
                if not self.peek():
                    raise self.fail("a [ is not closed")
                items.append(self.value())
                if self.peek() == ",":
                    self.pos += 1
                elif self.peek() != "]":
                    raise self.fail("expected ',' or ']'")
            self.pos += 1
            self.depth -= 1
            return items
        if ch == '"':
            return self.string()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in WHITESPACE + ",:]}/[{":
            self.pos += 1
        word = self.text[start : self.pos]
        try:
            return json.loads(word)
        except ValueError:
            raise JsoncError(f"unexpected {word[:20] or ch!r}", self.text, start) from None

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nested too deeply (more than {MAX_DEPTH} levels)")

    def obj(self) -> tuple[dict[str, Any], TopObject]:
        self.enter()
        opened = self.pos
        self.pos += 1
        values: dict[str, Any] = {}
        members: list[Member] = []
        while self.peek() != "}":
            if self.peek() != '"':
                raise self.fail("expected a key in double quotes or '}'")
            key = self.string()
            if self.peek() != ":":
                raise self.fail(f"expected ':' after {key!r}")
            self.pos += 1
            self.peek()
            start = self.pos
            values[key] = self.value()
            end = self.pos
            comma = None
            if self.peek() == ",":
                comma = self.pos
                self.pos += 1
            elif self.peek() != "}":
                raise self.fail("expected ',' or '}'" if self.peek() else "a { is not closed")
            members.append(Member(key, start, end, comma))
        top = TopObject(opened, self.pos, tuple(members))
        self.pos += 1
        self.depth -= 1
        return values, top


def _top(text: str) -> tuple[dict[str, Any], TopObject]:
    scanner = _Scanner(text)
    if scanner.peek() != "{":
        raise scanner.fail("the settings are not a JSON object ({ ... })")
    values, top = scanner.obj()
    if scanner.peek():
        raise scanner.fail("text after the closing }")
    return values, top


def parse(text: str) -> dict[str, Any]:
    """The object in `text` (blank text: an empty object); `JsoncError` otherwise."""
    if not text.strip(WHITESPACE):
        return {}
    return _top(text)[0]


def _dump(value: Any, indent: str) -> str:
    return json.dumps(value, indent=4, ensure_ascii=False).replace("\n", "\n" + indent)


def _indent_of(text: str, top: TopObject) -> str:
    """The indentation of the first member (what the user's file uses), else 4 spaces."""
    if top.members:
        line_start = text.rfind("\n", 0, top.members[0].value_start) + 1
        line = text[line_start:]
        return line[: len(line) - len(line.lstrip(" \t"))] or "    "
    return "    "


def set_keys(text: str, settings: Mapping[str, Any]) -> str:
    """`text` with each key of `settings` set to its value; nothing else changes. A key that
    occurs more than once has every occurrence set."""
    if not settings:
        return text
    if not text.strip(WHITESPACE):
        body = ",\n".join(f"    {json.dumps(k)}: {_dump(v, '    ')}" for k, v in settings.items())
        return "{\n" + body + "\n}\n"
    _, top = _top(text)
    indent = _indent_of(text, top)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement), applied from the end
    present = {m.key for m in top.members}
    for member in top.members:
        if member.key in settings:
            edits.append(
                (member.value_start, member.value_end, _dump(settings[member.key], indent))
            )
    new = [(k, v) for k, v in settings.items() if k not in present]
    if new:
        # Before the closing brace, after whatever follows the last member (its comments).
        before = text[: top.close].rstrip(" \t")
        cut = len(before)
        lead = "" if before.endswith("\n") else "\n"
        body = ",\n".join(f"{indent}{json.dumps(k)}: {_dump(v, indent)}" for k, v in new)
        edits.append((cut, top.close, lead + body + "\n"))
        last = top.members[-1] if top.members else None
        if last is not None and last.comma is None:
            # After the brace edit when both start at one place (`{"a": 1}`): stable sort.
            edits.append((last.value_end, last.value_end, ","))
    for start, end, replacement in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def differing(current: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `settings` whose value `current` does not have (type included: `true`
    is not `1`)."""
    return {
        key: value
        for key, value in settings.items()
        if key not in current or json.dumps(current[key]) != json.dumps(value)
    }
