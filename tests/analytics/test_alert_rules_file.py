"""The rules file: shipped defaults equal SPEC's table; edits and mistakes (in-process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.analytics.alerts.load import load_config
from installer.analytics.alerts.rules import default_rules
from installer.analytics.timeutil import HOUR
from installer.errors import InputFileError, UsageError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_file_is_specs_six_rules() -> None:
    config = load_config()
    assert config.rules.rules == default_rules().rules
    assert [r.id for r in config.rules.rules] == [
        "success_rate_low",
        "new_failure_pattern",
        "high_failure_volume",
        "arch_failure_gap",
        "no_data",
        "commit_regression",
    ]
    assert config.rules.categories == ("Installer",)
    assert {c.type for c in config.notify.channels} == {"slack", "webhook", "email"}


def test_defaults_fill_what_a_rule_leaves_out(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "repeat_interval: 1h\nrules:\n  - id: success_rate_low\n    window: 90m\n")
    )
    (rule,) = config.rules.rules
    assert rule.seconds("window") == 90 * 60
    assert (rule["events_more_than"], rule["success_rate_below"]) == (10, 75)
    assert (rule.severity, rule.repeat_interval) == ("critical", HOUR)


def test_disabled_rule_is_not_evaluated(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "rules:\n  - id: arch_failure_gap\n    enabled: false\n"))
    assert config.rules.enabled == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: file is empty"),
        ("rules: {}\n", "1:8: rules: expected a list"),
        ("rules:\n  - kind: success_rate_low\n", "2:5: rules[0]: missing required key 'id'"),
        ("rules:\n  - id: a\n    kind: arch_failure_gap\n  - id: a\n    kind: arch_failure_gap\n",
         "4:5: rules[1].id: duplicate rule id 'a'"),
        ("rules:\n  - id: high_failure_volume\n    failures_more_than: 2.5\n",
         "3:25: rules[0].failures_more_than: expected an integer, got a number"),
        ("rules:\n  - id: high_failure_volume\n    window: -1h\n",
         "3:13: rules[0].window: expected a duration such as 30m, 4h or 7d, got '-1h'"),
        ("rules:\n  - id: high_failure_volume\n    window: 0s\n",
         "3:13: rules[0].window: a duration must be a positive whole number of seconds"),
        ("rules: []\nnotify:\n  channels:\n    - type: pager\n",
         "4:13: notify.channels[0].type: unknown channel type 'pager'; known: slack, webhook, "
         "email"),
        ("rules: []\nnotify:\n  channels:\n    - type: email\n      to: [a@b.c]\n",
         "notify.channels[0].host: missing"),
        ("rules: []\nnotify:\n  digest_hour: 24\n",
         "3:16: notify.digest_hour: must be at most 23, got 24"),
        ("rules: []\nscope:\n  categories: []\n", "3:15: scope.categories: needs at least 1 item"),
        ("rules:\n  - id: new_failure_pattern\n    recent: 30h\n",
         "3:13: rules[0].baseline_from: must be longer than recent"),
    ],
)  # fmt: skip
def test_mistakes_are_located(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputFileError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert str(info.value).startswith(str(path))


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--rules: no such file"):
        load_config(tmp_path / "nope.yaml")


def test_every_rule_kind_has_its_runbook_section() -> None:
    runbook = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
    headings = {
        line[3:].strip() for line in runbook.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }  # fmt: skip
    rules = load_config().rules
    for rule in rules.rules:
        assert rule.kind in headings  # GitHub's anchor for "## kind" is "#kind"
        assert rules.runbook_link(rule).endswith(f"docs/runbook.md#{rule.kind}")
