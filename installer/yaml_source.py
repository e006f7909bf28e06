"""YAML with marks, and a small schema language declared as data.

Any YAML input of dtu-install (recipes, profiles, settings, alert rules) is read here:
`read_yaml_file` composes the document into `YNode`s that remember their line and column,
and a schema (built from `Str`, `Int`, `Seq`, `Map`, ...) checks it, fills in defaults and
returns plain Python values. Every problem becomes an `installer.errors.Problem`
(`FILE:LINE:COL: key.path: message`); checking never stops at the first one, and no input
(however malformed) raises anything but what is reported as a problem.

The same schema objects export JSON Schema (`json_schema()`) for editors and a one-line
type description (`describe()`) for the maintainer docs, so the format is declared once.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, cast

import yaml

from installer.errors import Problem

# Bounds that keep hostile or broken files from eating memory or the stack.
MAX_FILE_BYTES = 1_000_000
MAX_NODES = 100_000  # after alias expansion ("billion laughs")

KeyPath = tuple[Union[str, int], ...]
Validator = Callable[[Any], Union[str, None]]  # returns an error message, or None if fine


class _Invalid:
    """The value of a part of the document that did not pass its schema."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()
MISSING: Any = object()  # a field without a default


def format_key_path(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """` (did you mean 'x'?)` when a choice is close, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ---------------------------------------------------------------- marked document tree
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


class _Converter:
    """yaml.Node graph -> YNode tree (aliases expanded, within `MAX_NODES`)."""

    def __init__(self) -> None:
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node) -> YNode:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            pairs = [(self.convert(k), self.convert(v)) for k, v in node.value]
            return YNode("map", pairs, line, column)
        if isinstance(node, yaml.SequenceNode):
            return YNode("seq", [self.convert(item) for item in node.value], line, column)
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError):
            value = node.value  # e.g. a malformed !!timestamp: keep its text
        return YNode("scalar", value, line, column, raw=str(node.value))


def parse_yaml(text: str, file: str) -> tuple[YNode | None, list[Problem]]:
    """Compose one YAML document; `(None, [])` for an empty document."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
        return None, [Problem(file, line, col, "", f"malformed YAML: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, 1, "", f"malformed YAML: {exc}")]
    except RecursionError:
        return None, [Problem(file, 1, 1, "", "malformed YAML: nested too deeply")]
    if node is None:
        return None, []
    try:
        return _Converter().convert(node), []
    except (_TooLarge, RecursionError):
        return None, [Problem(file, 1, 1, "", f"document too large (more than {MAX_NODES} values)")]


def read_yaml_file(
    path: Path, display: str, *, empty_ok: bool = False
) -> tuple[YNode | None, list[Problem]]:
    """Read and compose a file; an empty file is a problem (`file is empty`) unless
    `empty_ok` (then `(None, [])`: an optional settings file left empty)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display, 1, 1, "", f"cannot read: {exc.strerror or exc}")]
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(display, 1, 1, "", f"file larger than {MAX_FILE_BYTES} bytes")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 1, 1, "", f"not UTF-8 text (byte {exc.start})")]
    node, problems = parse_yaml(text, display)
    if node is None and not problems and not empty_ok:
        problems = [Problem(display, 1, 1, "", "file is empty")]
    return node, problems


# ---------------------------------------------------------------- checking context
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


def check_document(root: YNode, schema: Schema, file: str) -> Checked:
    result = Checked(file)
    result.value = schema.check(root, (), result)
    return result


# ---------------------------------------------------------------- schema nodes
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


def _wrong_scalar(node: YNode, want: str, text_ok: bool = False) -> str:
    hint = ""
    if (want == "a string" or text_ok) and node.kind == "scalar" and node.value is not None:
        hint = f' (quote it: "{node.raw}")'
    return f"expected {want}, got {node.type_name()}{hint}"


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
            ctx.problem(node, path, _wrong_scalar(node, "a string"))
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
            ctx.problem(node, path, _wrong_scalar(node, want))
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
            ctx.problem(node, path, _wrong_scalar(node, "true or false"))
            return INVALID
        return node.value

    def json_schema(self) -> dict[str, Any]:
        return self._with_doc({"type": "boolean"})

    def describe(self) -> str:
        return "true or false"


@dataclass
class AnyValue(Schema):
    """Any JSON-compatible value (strings, numbers, booleans, null, lists, mappings)."""

    doc: str = ""
    kinds: tuple[str, ...] = ("scalar", "seq", "map")

    def _check(self, node: YNode, path: KeyPath, ctx: Checked) -> Any:
        if node.kind == "seq":
            return [self.check(item, (*path, i), ctx) for i, item in enumerate(node.value)]
        if node.kind == "map":
            out: dict[str, Any] = {}
            for key, value in node.value:
                if not isinstance(key.value, str) or key.kind != "scalar":
                    ctx.problem(key, path, f"keys must be strings, got {key.type_name()}")
                    continue
                out[key.value] = self.check(value, (*path, key.value), ctx)
            return out
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


def _plural(description: str) -> str:
    """ "a step" -> "steps", "a string (or per arch)" -> "strings (or per arch)"."""
    for article in ("a ", "an "):
        if description.startswith(article):
            rest = description[len(article) :]
            head, paren, tail = rest.partition(" (")
            return f"{head}s{paren}{tail}"
    return description


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
        for key, value in node.value:
            name = key.value
            if key.kind != "scalar" or not isinstance(name, str):
                ctx.problem(key, path, f"keys must be strings, got {key.type_name()}")
                continue
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
        for key, needed in self.needs.items():
            if key in seen and needed not in seen:
                ctx.problem(seen[key], (*path, key), f"needs {needed!r} beside it")
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
        for key, value in node.value:
            name = key.value
            if key.kind != "scalar" or not isinstance(name, str):
                ctx.problem(key, path, f"keys must be strings, got {key.type_name()}")
                continue
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
        ctx.problem(node, path, _wrong_scalar(node, self.describe(), text_ok))
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


# A duration: seconds, or a number with a unit (`90s`, `15m`, `4h`, `7d`, `1w`).
DURATION_UNITS: Mapping[str, int] = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_TEXT = r"(\d+(?:\.\d+)?)\s*([a-z]?)"
DURATION_EXAMPLES = "30m, 4h or 7d"


def _duration_seconds(text: str) -> float | None:
    """The seconds `text` writes (any sign of size), or None if it is not a duration."""
    import re

    match = re.fullmatch(_DURATION_TEXT, text.strip())
    if not match or match.group(2) not in DURATION_UNITS:
        return None
    return float(match.group(1)) * DURATION_UNITS[match.group(2)]


def parse_duration(text: str) -> int | None:
    """`90`, `90s`, `15m`, `4h`, `7d`, `1w` -> whole seconds > 0; None for anything else."""
    seconds = _duration_seconds(text)
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
        seconds = _duration_seconds(str(value)) if written else None
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
