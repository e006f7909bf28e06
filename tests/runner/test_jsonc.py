"""JSON with comments (VS Code's settings.json): read it, set keys, keep everything else."""

from __future__ import annotations

import json
import random

import pytest

from installer.steps import jsonc

# As VS Code writes it, plus what students add: comments of both kinds, a trailing comma,
# nested language sections, strings that look like comments or braces.
USER_SETTINGS = """\
// Place your settings in this file to overwrite the default settings
{
    "editor.fontSize": 15,
    /* my theme,
       chosen in week 1 */
    "workbench.colorTheme": "Solarized Dark", // "dark"
    "telemetry.telemetryLevel": "all",
    "[python]": {
        "editor.tabSize": 4, // PEP 8
    },
    "files.exclude": {"**/__pycache__": true, "url": "http://x/*y*/"},
    "terminal.integrated.env.osx": {"PATH": "}{,//"},
}
"""


def test_parse_reads_comments_and_trailing_commas():
    assert jsonc.parse(USER_SETTINGS) == {
        "editor.fontSize": 15,
        "workbench.colorTheme": "Solarized Dark",
        "telemetry.telemetryLevel": "all",
        "[python]": {"editor.tabSize": 4},
        "files.exclude": {"**/__pycache__": True, "url": "http://x/*y*/"},
        "terminal.integrated.env.osx": {"PATH": "}{,//"},
    }
    assert jsonc.parse("") == {} and jsonc.parse(" \n") == {}


def test_set_keys_changes_only_the_keys_set():
    settings = {"telemetry.telemetryLevel": "off", "chat.agent.enabled": False}
    out = jsonc.set_keys(USER_SETTINGS, settings)
    assert jsonc.parse(out) == {**jsonc.parse(USER_SETTINGS), **settings}
    # Every line of the user's file is still there, but the one whose value we set.
    kept = [line for line in USER_SETTINGS.splitlines() if "telemetryLevel" not in line]
    assert all(line in out.splitlines() for line in kept)
    assert '    "telemetry.telemetryLevel": "off",' in out.splitlines()
    assert out.splitlines()[-2:] == ['    "chat.agent.enabled": false', "}"]
    assert jsonc.set_keys(out, settings) == out  # nothing left to change


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{}", '{\n    "k": [\n        1\n    ]\n}'),
        ('{"a": 1}', '{"a": 1,\n    "k": [\n        1\n    ]\n}'),
        ('{\n  "a": 1 // note\n}\n', '{\n  "a": 1, // note\n  "k": [\n      1\n  ]\n}\n'),
        ("", '{\n    "k": [\n        1\n    ]\n}\n'),
    ],
)
def test_new_keys_go_before_the_closing_brace(text, expected):
    out = jsonc.set_keys(text, {"k": [1]})
    assert out == expected
    assert jsonc.parse(out) == {**jsonc.parse(text), "k": [1]}


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n "a": 1,,\n}', 2),
        ('{\n "a": 1\n "b": 2}', 3),
        ("[1, 2]", 1),
        ('{"a": 1} x', 1),
        ('{\n "a": /* open', 2),
        ('{\n "a": "no end\n}', 2),
        ('{"a": 1', 1),
    ],
)
def test_broken_files_name_the_line(text, line):
    with pytest.raises(jsonc.JsoncError) as info:
        jsonc.set_keys(text, {"k": 1})
    assert info.value.line == line


def test_random_documents_round_trip():
    rng = random.Random(20)
    for _ in range(200):
        doc = {
            f"k{i}": rng.choice([1, "s//x", None, [1, {"a": "}"}], {"b": True}])
            for i in range(rng.randint(0, 5))
        }
        text = json.dumps(doc, indent=rng.choice([None, 2, 4]))
        settings = {f"k{rng.randint(0, 7)}": rng.choice([False, "off", [2]]) for _ in range(3)}
        out = jsonc.set_keys(text, settings)
        assert json.loads(out) == {**doc, **settings}
