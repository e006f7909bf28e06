"""Durations written as seconds or with a unit (`90s`, `15m`, `4h`, `7d`, `1w`): the one
grammar for every duration the program reads.

`duration_seconds` is the grammar (a number, then an optional unit from a table: recipes'
step `timeout` passes its own, `TIMEOUT_UNITS` in recipes/schema.py); `parse_duration` reads a
whole positive number of seconds from a command-line option; `Duration` is the schema node for
YAML values (alert rule windows, notify intervals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from installer.yaml_source.checked import INVALID, Checked, KeyPath
from installer.yaml_source.document import YNode
from installer.yaml_source.schema import Schema

# A duration: seconds, or a number with a unit (`90s`, `15m`, `4h`, `7d`, `1w`).
DURATION_UNITS: Mapping[str, float] = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_TEXT = r"(\d+(?:\.\d+)?)\s*([a-z]?)"
DURATION_EXAMPLES = "30m, 4h or 7d"


def duration_seconds(text: str, units: Mapping[str, float] = DURATION_UNITS) -> float | None:
    """The seconds `text` writes (any size, zero included), or None if it is not a number
    followed by one of `units` ("" in `units`: a bare number counts as seconds)."""
    import re

    match = re.fullmatch(_DURATION_TEXT, text.strip())
    if not match or match.group(2) not in units:
        return None
    return float(match.group(1)) * units[match.group(2)]


def parse_duration(text: str) -> int | None:
    """`90`, `90s`, `15m`, `4h`, `7d`, `1w` -> whole seconds > 0; None for anything else."""
    seconds = duration_seconds(text)
    if seconds is None or seconds <= 0 or not seconds.is_integer():
        return None
    return int(seconds)


@dataclass
class Duration(Schema):
    """A positive whole number of seconds, written as seconds or with a unit (`4h`, `7d`)."""

    doc: str = ""

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        value = node.value
        written = isinstance(value, (int, str)) and not isinstance(value, bool)
        seconds = duration_seconds(str(value)) if written else None
        if seconds is None:
            ctx.problem(node, path, f"expected {self.describe()}, got {node.raw!r}")
            return INVALID
        if seconds <= 0 or not seconds.is_integer():
            message = f"a duration must be a positive whole number of seconds, got {node.raw!r}"
            ctx.problem(node, path, message)
            return INVALID
        return int(seconds)

    def json_schema(self) -> dict[str, Any]:
        units = "".join(u for u in DURATION_UNITS if u)
        text = {"type": "string", "pattern": rf"^\s*\d+(\.\d+)?\s*[{units}]?\s*$"}
        return self._with_doc({"anyOf": [{"type": "integer", "exclusiveMinimum": 0}, text]})

    def describe(self) -> str:
        return f"a duration such as {DURATION_EXAMPLES}"
