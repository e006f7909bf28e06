"""Schema nodes that hold other values: `Seq`, `Map` (declared `Field`s), `DictOf`, `AnyValue`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from installer.yaml_source.checked import INVALID, Checked, KeyPath, did_you_mean
from installer.yaml_source.document import YNode
from installer.yaml_source.schema import Schema

MISSING: Any = object()  # a field without a default


def _string_keyed(node: YNode, path: KeyPath, ctx: Checked) -> Iterator[tuple[YNode, str, YNode]]:
    """A mapping node's (key, name, value) for each string key; other keys are reported."""
    for key, value in node.value:
        if key.kind != "scalar" or not isinstance(key.value, str):
            ctx.problem(key, path, f"keys must be strings, got {key.type_name()}")
            continue
        yield key, key.value, value


def _plural(description: str) -> str:
    """ "a step" -> "steps", "a string (or per arch)" -> "strings (or per arch)"."""
    for article in ("a ", "an "):
        if description.startswith(article):
            rest = description[len(article) :]
            head, paren, tail = rest.partition(" (")
            return f"{head}s{paren}{tail}"
    return description


@dataclass
class AnyValue(Schema):
    """Any JSON-compatible value (strings, numbers, booleans, null, lists, mappings)."""

    doc: str = ""
    kinds: tuple[str, ...] = ("scalar", "seq", "map")

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        if node.kind == "seq":
            return [self.check(item, (*path, i), ctx) for i, item in enumerate(node.value)]
        if node.kind == "map":
            return {
                name: self.check(value, (*path, name), ctx)
                for _, name, value in _string_keyed(node, path, ctx)
            }
        value = node.value
        if value is not None and not isinstance(value, (str, int, float, bool)):
            ctx.problem(node, path, f"expected a JSON value, got {node.type_name()}")
            return INVALID
        return value

    def json_schema(self) -> dict[str, Any]:
        return self._with_doc({})

    def describe(self) -> str:
        return "any value"


@dataclass
class Seq(Schema):
    item: Schema
    min_items: int = 0
    doc: str = ""
    kinds: tuple[str, ...] = ("seq",)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        items = [self.item.check(child, (*path, i), ctx) for i, child in enumerate(node.value)]
        if len(items) < self.min_items:
            ctx.problem(node, path, f"needs at least {self.min_items} item(s)")
        return items

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json_schema()}
        if self.min_items:
            schema["minItems"] = self.min_items
        return self._with_doc(schema)

    def describe(self) -> str:
        return f"a list of {_plural(self.item.describe())}"


@dataclass
class Field:
    schema: Schema
    required: bool = False
    default: Any = MISSING
    doc: str = ""


@dataclass
class Map(Schema):
    fields: Mapping[str, Field]
    # Groups of keys of which exactly one must be present, with the message if not.
    exactly_one_of: Sequence[tuple[tuple[str, ...], str]] = ()
    # key -> the key it needs beside it.
    needs: Mapping[str, str] = field(default_factory=dict)
    doc: str = ""
    name: str = "a mapping"
    kinds: tuple[str, ...] = ("map",)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        out: dict[str, Any] = {}
        seen: dict[str, YNode] = {}
        for key, name, value in _string_keyed(node, path, ctx):
            where = (*path, name)
            if name in seen:
                ctx.problem(key, where, f"duplicate key (first at line {seen[name].line})")
                continue
            seen[name] = key
            spec = self.fields.get(name)
            if spec is None:
                ctx.problem(key, where, f"unknown key{did_you_mean(name, list(self.fields))}")
                continue
            checked = spec.schema.check(value, where, ctx)
            if checked is not INVALID:
                out[name] = checked
        for name, spec in self.fields.items():
            if spec.required and name not in seen:
                ctx.problem(node, path, f"missing required key {name!r}")
        for group, message in self.exactly_one_of:
            present = [k for k in group if k in seen]
            if len(present) != 1:
                extra = f" (found {', '.join(present)})" if len(present) > 1 else ""
                ctx.problem(node, path, message + extra)
        for key_name, needed in self.needs.items():
            if key_name in seen and needed not in seen:
                ctx.problem(seen[key_name], (*path, key_name), f"needs {needed!r} beside it")
        for name, spec in self.fields.items():
            if name not in seen and spec.default is not MISSING:
                out[name] = spec.default
        return out

    def json_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {k: _field_json(f) for k, f in self.fields.items()},
            "additionalProperties": False,
        }
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            schema["required"] = required
        all_of = [{"oneOf": [{"required": [k]} for k in group]} for group, _ in self.exactly_one_of]
        if all_of:
            schema["allOf"] = all_of
        if self.needs:
            schema["dependentRequired"] = {k: [v] for k, v in self.needs.items()}
        return self._with_doc(schema)

    def describe(self) -> str:
        return self.name

    def rows(self) -> Iterator[tuple[str, Field]]:
        yield from self.fields.items()


def _field_json(spec: Field) -> dict[str, Any]:
    schema = spec.schema.json_schema()
    if spec.doc:
        schema = {**schema, "description": spec.doc}
    if spec.default is not MISSING and spec.default is not None:
        schema = {**schema, "default": spec.default}
    return schema


@dataclass
class DictOf(Schema):
    """A mapping with free keys (matching `key_pattern`) and values of one schema."""

    value: Schema
    key_pattern: str = r"[A-Za-z_][A-Za-z0-9_]*"
    key_help: str = "a valid name"
    doc: str = ""
    kinds: tuple[str, ...] = ("map",)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        import re

        out: dict[str, Any] = {}
        for key, name, value in _string_keyed(node, path, ctx):
            if name in out:
                ctx.problem(key, (*path, name), "duplicate key")
                continue
            if not re.fullmatch(self.key_pattern, name):
                ctx.problem(key, (*path, name), f"{name!r} is not {self.key_help}")
                continue
            checked = self.value.check(value, (*path, name), ctx)
            if checked is not INVALID:
                out[name] = checked
        return out

    def json_schema(self) -> dict[str, Any]:
        return self._with_doc(
            {
                "type": "object",
                "propertyNames": {"pattern": f"^(?:{self.key_pattern})$"},
                "additionalProperties": self.value.json_schema(),
            }
        )

    def describe(self) -> str:
        return f"a mapping of names to {_plural(self.value.describe())}"
