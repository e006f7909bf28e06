"""The generic YAML-with-marks layer (reused for other YAML inputs, e.g. alert rules)."""

from __future__ import annotations

from typing import Any

import pytest

from installer.yaml_source import (
    INVALID,
    AnyValue,
    Bool,
    DictOf,
    Either,
    Field,
    Int,
    Map,
    Number,
    Seq,
    Str,
    check_document,
    parse_yaml,
)

RULE = Map(
    {
        "id": Field(Str(pattern=r"[a-z_]+", pattern_help="an id"), required=True),
        "threshold": Field(Number(minimum=0, maximum=100), default=75.0),
        "min_events": Field(Int(minimum=1), default=10),
        "enabled": Field(Bool(), default=True),
        "labels": Field(DictOf(Str()), default={}),
        "extra": Field(AnyValue()),
        "window": Field(Either([Int(minimum=1), Str(enum=("hour", "day"))])),
    },
    name="a rule",
)
RULES = Map({"rules": Field(Seq(RULE, min_items=1), required=True)})


def check(text: str) -> tuple[Any, list[str]]:
    root, problems = parse_yaml(text, "rules.yaml")
    assert root is not None, problems
    result = check_document(root, RULES, "rules.yaml")
    return result.value, [str(p) for p in result.problems]


def test_defaults_and_values() -> None:
    value, problems = check("rules:\n  - id: low\n    window: day\n    extra: [1, {a: null}]\n")
    assert problems == []
    assert value == {
        "rules": [
            {
                "id": "low",
                "window": "day",
                "extra": [1, {"a": None}],
                "threshold": 75.0,
                "min_events": 10,
                "enabled": True,
                "labels": {},
            }
        ]
    }


def test_problems_carry_file_line_column_and_key_path() -> None:
    text = "rules:\n  - id: Low\n    threshold: 120\n    enabled: maybe\n    window: week\n"
    value, problems = check(text)
    assert problems == [
        "rules.yaml:2:9: rules[0].id: 'Low' is not an id",
        "rules.yaml:3:16: rules[0].threshold: must be at most 100, got 120",
        "rules.yaml:4:14: rules[0].enabled: expected true or false, got a string",
        "rules.yaml:5:13: rules[0].window: 'week' is not one of hour, day",
    ]
    assert value["rules"][0] == {"min_events": 10, "labels": {}}  # invalid fields left out


def test_invalid_list_items_keep_their_index() -> None:
    value, problems = check("rules:\n  - 3\n  - id: ok\n")
    assert problems == ["rules.yaml:2:5: rules[0]: expected a rule, got an integer"]
    assert value["rules"][0] is INVALID
    assert value["rules"][1]["id"] == "ok"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: [\n", "rules.yaml:2:1: malformed YAML"),
        ("rules: &a [*a]\n", None),  # a recursive alias: handled, not a crash
        ("[" * 5000 + "]" * 5000, None),  # very deep nesting
    ],
)
def test_broken_documents_are_problems(text: str, message: str | None) -> None:
    root, problems = parse_yaml(text, "rules.yaml")
    if message:
        assert root is None
        assert str(problems[0]).startswith(message)
    elif root is None:
        assert problems
    else:
        result = check_document(root, RULES, "rules.yaml")
        assert result.problems


def test_json_schema_of_the_same_declaration() -> None:
    schema = RULES.json_schema()
    rule = schema["properties"]["rules"]["items"]
    assert rule["required"] == ["id"]
    assert rule["additionalProperties"] is False
    assert rule["properties"]["threshold"] == {"type": "number", "minimum": 0, "maximum": 100,
                                               "default": 75.0}  # fmt: skip
    assert rule["properties"]["window"]["anyOf"][1]["enum"] == ["hour", "day"]
