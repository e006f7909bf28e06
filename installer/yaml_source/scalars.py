"""Schema nodes for single values: `Str` (enum, pattern, validator), `Number`/`Int`, `Bool`."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Union, cast

from installer.yaml_source.checked import INVALID, Checked, KeyPath, did_you_mean
from installer.yaml_source.document import YNode
from installer.yaml_source.schema import Schema, wrong_scalar

Validator = Callable[[Any], Union[str, None]]  # returns an error message, or None if fine


@dataclass
class Str(Schema):
    pattern: str | None = None  # JSON Schema / re pattern, anchored by the caller
    pattern_help: str = ""  # what the pattern means, for the message
    enum: tuple[str, ...] = ()
    validator: Validator | None = None
    doc: str = ""
    name: str = "a string"

    def accepts(self, node: YNode) -> bool:
        return node.kind == "scalar" and isinstance(node.value, str)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        import re

        value = node.value
        if not isinstance(value, str):
            ctx.problem(node, path, wrong_scalar(node, "a string"))
            return INVALID
        if self.enum and value not in self.enum:
            choices = ", ".join(self.enum)
            ctx.problem(
                node, path, f"{value!r} is not one of {choices}{did_you_mean(value, self.enum)}"
            )
            return INVALID
        if self.pattern and not re.fullmatch(self.pattern, value):
            ctx.problem(node, path, f"{value!r} is not {self.pattern_help or self.pattern}")
            return INVALID
        if self.validator:
            message = self.validator(value)
            if message:
                ctx.problem(node, path, message)
                return INVALID
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if self.enum:
            schema["enum"] = list(self.enum)
        if self.pattern:
            schema["pattern"] = f"^(?:{self.pattern})$"
        return self._with_doc(schema)

    def describe(self) -> str:
        if self.enum:
            return " or ".join(f"`{e}`" for e in self.enum)
        return self.name


@dataclass
class Number(Schema):
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    exclusive_minimum: bool = False
    doc: str = ""

    def accepts(self, node: YNode) -> bool:
        value = node.value
        ok_types: tuple[type, ...] = (int,) if self.integer else (int, float)
        return node.kind == "scalar" and isinstance(value, ok_types) and not isinstance(value, bool)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        value = node.value
        want = "an integer" if self.integer else "a number"
        ok_types: tuple[type, ...] = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_types):
            ctx.problem(node, path, wrong_scalar(node, want))
            return INVALID
        if isinstance(value, float) and not math.isfinite(value):  # .nan, .inf
            ctx.problem(node, path, f"expected a finite number, got {node.raw}")
            return INVALID
        value = cast(float, value)  # int or float: isinstance with a tuple variable loses it
        low = self.minimum
        if low is not None and (value <= low if self.exclusive_minimum else value < low):
            bound = "more than" if self.exclusive_minimum else "at least"
            ctx.problem(node, path, f"must be {bound} {low:g}, got {value}")
            return INVALID
        if self.maximum is not None and value > self.maximum:
            ctx.problem(node, path, f"must be at most {self.maximum:g}, got {value}")
            return INVALID
        return value

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            key = "exclusiveMinimum" if self.exclusive_minimum else "minimum"
            schema[key] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return self._with_doc(schema)

    def describe(self) -> str:
        return "an integer" if self.integer else "a number"


def Int(minimum: int | None = None, maximum: int | None = None, doc: str = "") -> Number:  # noqa: N802 (reads like a type in schema tables)
    return Number(minimum=minimum, maximum=maximum, integer=True, doc=doc)


@dataclass
class Bool(Schema):
    doc: str = ""

    def accepts(self, node: YNode) -> bool:
        return node.kind == "scalar" and isinstance(node.value, bool)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        if not isinstance(node.value, bool):
            ctx.problem(node, path, wrong_scalar(node, "true or false"))
            return INVALID
        return node.value

    def json_schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "boolean"})

    def describe(self) -> str:
        return "true or false"
