"""Schema nodes that choose among others: `Either` by the node's kind, `Tagged` by a tag key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from installer.yaml_source.checked import INVALID, Checked, KeyPath, did_you_mean
from installer.yaml_source.containers import Map
from installer.yaml_source.document import YNode
from installer.yaml_source.scalars import Str
from installer.yaml_source.schema import Schema, wrong_scalar


@dataclass
class Either(Schema):
    """One of several schemas, chosen by the YAML node's kind (scalar, list, mapping)."""

    options: Sequence[Schema]
    doc: str = ""
    name: str = ""  # how messages and docs call it; default: the options joined by "or"

    def __post_init__(self) -> None:
        self.kinds = tuple(k for option in self.options for k in option.kinds)

    def check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        for option in self.options:
            if option.accepts(node):
                return option.check(node, path, ctx)
        ctx.marks[path] = (node.line, node.column)
        text_ok = any(isinstance(o, Str) for o in self.options)
        ctx.problem(node, path, wrong_scalar(node, self.describe(), text_ok))
        return INVALID

    def json_schema(self) -> dict[str, Any]:
        return self._with_doc({"anyOf": [o.json_schema() for o in self.options]})

    def describe(self) -> str:
        return self.name or " or ".join(o.describe() for o in self.options)


@dataclass
class Tagged(Schema):
    """A mapping whose `tag` key chooses its schema among `variants` (a channel's `type`).

    Without the tag, the value of `default_from` names the variant (an alert rule's `kind`
    defaults to its `id`). Each variant is a complete `Map`, the tag key included, so a
    variant declares its own keys and defaults.
    """

    tag: str
    variants: Mapping[str, Map]
    default_from: str | None = None
    tag_name: str = ""  # how messages call the tag's value, e.g. "rule kind"
    doc: str = ""
    name: str = "a mapping"
    kinds: tuple[str, ...] = ("map",)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        given = {k.value: v for k, v in reversed(node.value) if k.kind == "scalar"}
        source = self.tag if self.tag in given else self.default_from
        if source is None or source not in given:
            ctx.problem(node, path, f"missing required key {source or self.tag!r}")
            return INVALID
        chosen = given[source]
        variant = self.variants.get(chosen.value) if isinstance(chosen.value, str) else None
        if variant is None:
            what = self.tag_name or self.tag
            known = ", ".join(self.variants)
            hint = did_you_mean(str(chosen.value), list(self.variants))
            named = repr(chosen.value) if chosen.kind == "scalar" else chosen.type_name()
            message = f"unknown {what} {named}{hint}; known: {known}"
            ctx.problem(chosen, (*path, self.tag), message)
            return INVALID
        return variant.check(node, path, ctx)

    def json_schema(self) -> dict[str, Any]:
        return self._with_doc({"anyOf": [v.json_schema() for v in self.variants.values()]})

    def describe(self) -> str:
        return self.name
