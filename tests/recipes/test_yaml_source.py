"""The generic YAML-with-marks layer (reused for other YAML inputs, e.g. alert rules)."""

from __future__ import annotations

from typing import Any

import pytest

from installer.yaml_source.checked import INVALID
from installer.yaml_source.choice import Either, Tagged
from installer.yaml_source.containers import AnyValue, DictOf, Field, Map, Seq
from installer.yaml_source.document import parse_yaml
from installer.yaml_source.duration import Duration, parse_duration
from installer.yaml_source.scalars import Bool, Int, Number, Str
from installer.yaml_source.schema import Schema, check_document

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


def check(text: str, schema: Schema = RULES, file: str = "rules.yaml") -> tuple[Any, list[str]]:
    root, problems = parse_yaml(text, file)
    assert root is not None, problems
    result = check_document(root, schema, file)
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


ID = Field(Str())
CHANNEL = Tagged(
    "type",
    {
        "slack": Map({"id": ID, "type": Field(Str()), "url": Field(Str(), required=True)}),
        "email": Map({"id": ID, "type": Field(Str()), "to": Field(Str(), default="me")}),
    },
    default_from="id",
    tag_name="channel type",
)
CHANNELS = Map({"channels": Field(Seq(CHANNEL)), "every": Field(Duration(), default=3600)})


def check_channels(text: str) -> tuple[Any, list[str]]:
    return check(text, CHANNELS, "c.yaml")


def test_tagged_chooses_the_variant_by_its_tag_or_the_default_key() -> None:
    value, problems = check_channels(
        "channels:\n  - type: slack\n    url: u\n  - type: email\n  - id: email\nevery: 2d\n"
    )
    assert problems == []
    assert value == {
        "channels": [
            {"type": "slack", "url": "u"},
            {"type": "email", "to": "me"},
            {"id": "email", "to": "me"},
        ],
        "every": 2 * 86400,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("channels:\n  - type: slak\n",
         "c.yaml:2:11: channels[0].type: unknown channel type 'slak' (did you mean 'slack'?); "
         "known: slack, email"),
        ("channels:\n  - id: pager\n", "c.yaml:2:9: channels[0].type: unknown channel type"),
        ("channels:\n  - url: u\n", "c.yaml:2:5: channels[0]: missing required key 'id'"),
        ("channels:\n  - type: slack\n", "c.yaml:2:5: channels[0]: missing required key 'url'"),
        ("channels:\n  - type: email\n    url: u\n", "c.yaml:3:5: channels[0].url: unknown key"),
        ("every: soon\n", "c.yaml:1:8: every: expected a duration such as 30m, 4h or 7d"),
        ("every: 1.5s\n", "c.yaml:1:8: every: a duration must be a positive whole number"),
        ("every: 0\n", "c.yaml:1:8: every: a duration must be a positive whole number"),
        ("every: true\n", "c.yaml:1:8: every: expected a duration"),
    ],
)  # fmt: skip
def test_tagged_and_duration_problems(text: str, message: str) -> None:
    _, problems = check_channels(text)
    assert len(problems) == 1 and problems[0].startswith(message), problems


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), (" 15m ", 900), ("1.5h", 5400), ("7d", 604800), ("1w", 604800),
     ("0", None), ("-1h", None), ("0.5s", None), ("1y", None), ("h", None), ("", None)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "tagged", ["!!timestamp 2001-99", "!!timestamp x", "!!bool x", "!!int ''", "!!float ''"]
)
def test_a_tag_whose_value_cannot_be_built_keeps_its_text(tagged: str) -> None:
    # PyYAML raises AttributeError, KeyError or IndexError for these: never a crash here.
    value, problems = check(f"rules:\n  - id: low\n    extra: {tagged}\n")
    assert problems == []
    raw = tagged.split(" ", 1)[1]
    assert value["rules"][0]["extra"] == ("" if raw == "''" else raw)
    # Where the schema wants something else, it is a located problem like any other value.
    _, problems = check(f"rules:\n  - id: low\n    min_events: {tagged}\n")
    assert len(problems) == 1 and problems[0].startswith("rules.yaml:3:17: rules[0].min_events: ")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90.0), ("1.5m", 90.0), (" 2h ", 7200.0), ("90 s", 90.0), ("90", None), ("1d", None)],
)
def test_a_recipe_timeout_is_the_same_grammar_with_its_own_units(
    text: str, seconds: float | None
) -> None:
    # One grammar (yaml_source/duration.py); a step's timeout needs a unit and has no days.
    from installer.recipes.schema import TIMEOUT_UNITS
    from installer.yaml_source.duration import duration_seconds

    assert duration_seconds(text, TIMEOUT_UNITS) == seconds
