"""The `Schema` base every node type of the schema language extends, and `check_document`.

A schema node checks one `YNode` (recording its mark, reporting a wrong kind of node),
exports itself as JSON Schema and describes itself in a few words for messages and docs.
"""

from __future__ import annotations

from typing import Any

from installer.yaml_source.checked import INVALID, Checked, KeyPath
from installer.yaml_source.document import YNode


class Schema:
    """One node of a schema: checks a YNode, exports JSON Schema, describes itself."""

    kinds: tuple[str, ...] = ("scalar",)
    doc: str = ""

    def check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        ctx.marks[path] = (node.line, node.column)
        if node.kind not in self.kinds:
            ctx.problem(node, path, f"expected {self.describe()}, got {node.type_name()}")
            return INVALID
        return self._check(node, path, ctx)

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        raise NotImplementedError

    def accepts(self, node: YNode) -> bool:
        """Whether `node` is of this schema's type (used by `Either` to choose)."""
        return node.kind in self.kinds

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def _with_doc(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self.doc:
            schema["description"] = self.doc
        return schema


def wrong_scalar(node: YNode, want: str, text_ok: bool = False) -> str:
    """`expected <want>, got <what it is>`, with a "quote it" hint where text would do."""
    hint = ""
    if (want == "a string" or text_ok) and node.kind == "scalar" and node.value is not None:
        hint = f' (quote it: "{node.raw}")'
    return f"expected {want}, got {node.type_name()}{hint}"


def check_document(root: YNode, schema: Schema, file: str) -> Checked:
    result = Checked(file)
    result.value = schema.check(root, (), result)
    return result
