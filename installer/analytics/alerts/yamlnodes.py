"""Reading a YAML file as nodes, so that every problem carries `FILE:LINE:COL: key.path`.

Used by the alert rules and the notification settings (both live in `alerts.yaml`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from installer.errors import InputFileError, Problem

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw]?)$")
DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Reader:
    """Collects problems while turning nodes into plain values."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node | None, path: str, message: str) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.file, line, column, path, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputFileError(self.problems)

    def mapping(self, node: yaml.Node, path: str) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path, "expected a mapping")
            return None
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, path, "keys must be plain names")
                continue
            if key in result:
                self.problem(key_node, _join(path, key), "duplicate key")
                continue
            result[key] = value_node
        return result

    def unknown_keys(
        self, fields: dict[str, yaml.Node], known: Iterator[str] | list[str], path: str
    ) -> None:
        allowed = sorted(known)
        for key, node in fields.items():
            if key not in allowed:
                self.problem(node, _join(path, key), f"unknown key; known: {', '.join(allowed)}")

    def sequence(self, node: yaml.Node, path: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, path, "expected a list")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node, path: str) -> object:
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, path, "expected a single value")
            return None
        return yaml.safe_load(yaml.serialize(node))

    def string(self, node: yaml.Node, path: str) -> str | None:
        value = self.scalar(node, path)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.problem(node, path, "expected a non-empty text")
            return None
        return value

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        value = self.scalar(node, path)
        if not isinstance(value, bool):
            self.problem(node, path, "expected true or false")
            return None
        return value

    def number(self, node: yaml.Node, path: str, *, integer: bool = False) -> float | None:
        value = self.scalar(node, path)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(node, path, "expected a whole number" if integer else "expected a number")
            return None
        if value < 0 or (integer and not float(value).is_integer()):
            self.problem(
                node, path, "expected a whole number >= 0" if integer else "expected a number >= 0"
            )
            return None
        return float(value)

    def duration(self, node: yaml.Node, path: str) -> int | None:
        """`90s`, `15m`, `4h`, `7d`, `1w`, or plain seconds; always > 0."""
        value = self.scalar(node, path)
        match = _DURATION.match(str(value).strip()) if isinstance(value, (int, str)) else None
        if isinstance(value, bool) or not match:
            self.problem(node, path, "expected a duration like 30m, 4h or 7d")
            return None
        seconds = float(match.group(1)) * DURATION_UNITS[match.group(2)]
        if seconds <= 0 or not seconds.is_integer():
            self.problem(node, path, "a duration must be a positive whole number of seconds")
            return None
        return int(seconds)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def compose(path: Path) -> tuple[Reader, yaml.Node | None]:
    """Parse `path` into a node tree; syntax errors become located problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reader = Reader(str(path))
        reader.problems.append(Problem(str(path), 1, 1, "", f"cannot read: {exc}"))
        reader.raise_if_any()
        raise AssertionError("unreachable") from None
    return compose_text(text, str(path))


def compose_text(text: str, name: str) -> tuple[Reader, yaml.Node | None]:
    reader = Reader(name)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reader.problems.append(Problem(name, line, column, "", f"not valid YAML: {exc.problem}"))
        reader.raise_if_any()
        raise AssertionError("unreachable") from None
    return reader, node


def format_duration(seconds: int) -> str:
    for unit in ("w", "d", "h", "m"):
        size = DURATION_UNITS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_duration(text: str, *, option: str) -> int:
    """A duration from the command line (`--every 1h`); a `UsageError` naming the option."""
    from installer.errors import UsageError

    match = _DURATION.match(text.strip())
    seconds = float(match.group(1)) * DURATION_UNITS[match.group(2)] if match else 0.0
    if seconds <= 0 or not seconds.is_integer():
        raise UsageError(f"{option}: {text!r} is not a duration; use e.g. 15m, 1h or 1d")
    return int(seconds)
