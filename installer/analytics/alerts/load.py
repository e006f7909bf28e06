"""Loading `alerts.yaml`: rules (and the `notify` settings) with `FILE:LINE:COL` errors.

Format (every key optional except each rule's `id`):

    scope: {categories: [Installer]}
    runbook_url: https://.../docs/runbook.md
    repeat_interval: 4h
    rules:
      - id: success_rate_low        # kind defaults to the id
        severity: critical
        window: 2h
        events_more_than: 10
        success_rate_below: 75
    notify: {...}                   # see installer.analytics.notify.settings
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from installer.analytics.alerts.rules import (
    COUNT,
    DEFAULT_REPEAT_INTERVAL,
    DEFAULT_RUNBOOK_URL,
    DEFAULT_SEVERITY,
    DURATION,
    PERCENT,
    RULE_KINDS,
    SEVERITIES,
    Rule,
    RuleSet,
)
from installer.analytics.alerts.yamlnodes import Reader, compose, compose_text
from installer.analytics.notify.settings import NotifySettings, parse_notify
from installer.analytics.query import PRODUCTION
from installer.errors import UsageError

SHIPPED_NAME = "alerts.yaml (shipped defaults)"
TOP_KEYS = ("scope", "runbook_url", "repeat_interval", "rules", "notify")
RULE_KEYS = ("id", "kind", "severity", "enabled", "repeat_interval")
# (longer, shorter): the baseline window [T - longer, T - shorter) must not be empty.
WINDOW_ORDER = {"new_failure_pattern": (("baseline_from", "recent"),)}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class AlertsConfig:
    rules: RuleSet
    notify: NotifySettings = field(default_factory=NotifySettings)


def shipped_text() -> str:
    """The shipped `alerts.yaml` (read as a package resource: works from the zipapp too)."""
    resource = resources.files("installer.analytics") / "data" / "alerts.yaml"
    return resource.read_text(encoding="utf-8")


def load_config(path: Path | None = None) -> AlertsConfig:
    """`path`, else the shipped defaults (SPEC's five rules)."""
    if path is None:
        reader, root = compose_text(shipped_text(), SHIPPED_NAME)
    elif not path.is_file():
        raise UsageError(f"--rules: no such file: {path}")
    else:
        reader, root = compose(path)
    if root is None:
        reader.problem(None, "", "the file is empty; expected a mapping with `rules:`")
        reader.raise_if_any()
    assert root is not None
    config = _parse(reader, root, reader.file)
    reader.raise_if_any()
    return config


def _parse(reader: Reader, root: yaml.Node, source: str) -> AlertsConfig:
    top = reader.mapping(root, "") or {}
    reader.unknown_keys(top, list(TOP_KEYS), "")
    categories: tuple[str, ...] = (PRODUCTION,)
    if "scope" in top:
        categories = _categories(reader, top["scope"]) or categories
    runbook_url = DEFAULT_RUNBOOK_URL
    if "runbook_url" in top:
        runbook_url = reader.string(top["runbook_url"], "runbook_url") or runbook_url
    repeat = DEFAULT_REPEAT_INTERVAL
    if "repeat_interval" in top:
        repeat = reader.duration(top["repeat_interval"], "repeat_interval") or repeat
    rules: list[Rule] = []
    if "rules" not in top:
        reader.problem(root, "rules", "missing: list the alert rules")
    else:
        seen: set[str] = set()
        for index, node in enumerate(reader.sequence(top["rules"], "rules") or []):
            rule = _rule(reader, node, f"rules[{index}]", repeat)
            if rule is None:
                continue
            if rule.id in seen:
                reader.problem(node, f"rules[{index}].id", f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            rules.append(rule)
    notify = parse_notify(reader, top["notify"], "notify") if "notify" in top else None
    return AlertsConfig(
        RuleSet(tuple(rules), categories, runbook_url, source), notify or NotifySettings()
    )


def _categories(reader: Reader, node: yaml.Node) -> tuple[str, ...] | None:
    fields = reader.mapping(node, "scope") or {}
    reader.unknown_keys(fields, ["categories"], "scope")
    if "categories" not in fields:
        return None
    items = reader.sequence(fields["categories"], "scope.categories") or []
    names = [reader.string(n, f"scope.categories[{i}]") for i, n in enumerate(items)]
    if not items:
        reader.problem(fields["categories"], "scope.categories", "list at least one category")
    return tuple(n for n in names if n) or None


def _rule(reader: Reader, node: yaml.Node, path: str, repeat: int) -> Rule | None:
    fields = reader.mapping(node, path)
    if fields is None:
        return None
    if "id" not in fields:
        reader.problem(node, f"{path}.id", "missing: every rule needs an id")
        return None
    rule_id = reader.string(fields["id"], f"{path}.id")
    if rule_id is None:
        return None
    if not _ID.match(rule_id):
        reader.problem(fields["id"], f"{path}.id", "use lower-case letters, digits and _")
    kind = rule_id
    if "kind" in fields:
        kind = reader.string(fields["kind"], f"{path}.kind") or rule_id
    if kind not in RULE_KINDS:
        where = fields.get("kind", fields["id"])
        reader.problem(
            where, f"{path}.kind", f"unknown rule kind {kind!r}; known: {', '.join(RULE_KINDS)}"
        )
        return None
    specs = RULE_KINDS[kind]
    reader.unknown_keys(fields, [*RULE_KEYS, *specs], path)
    severity = DEFAULT_SEVERITY[kind]
    if "severity" in fields:
        given = reader.string(fields["severity"], f"{path}.severity")
        if given is not None and given not in SEVERITIES:
            reader.problem(
                fields["severity"], f"{path}.severity", f"expected one of {', '.join(SEVERITIES)}"
            )
        elif given is not None:
            severity = given
    enabled = True
    if "enabled" in fields:
        enabled = bool(reader.boolean(fields["enabled"], f"{path}.enabled"))
    if "repeat_interval" in fields:
        repeat = reader.duration(fields["repeat_interval"], f"{path}.repeat_interval") or repeat
    settings: dict[str, float] = {}
    for name, spec in specs.items():
        value: float | None = spec.default
        if name in fields:
            value = _setting(reader, fields[name], f"{path}.{name}", spec.unit)
        if value is not None:
            settings[name] = value
    for later, earlier in WINDOW_ORDER.get(kind, ()):
        if later in settings and earlier in settings and settings[later] <= settings[earlier]:
            where = fields.get(later, fields.get(earlier, node))
            reader.problem(
                where, f"{path}.{later}", f"must be longer than {earlier} (the windows follow)"
            )
    return Rule(rule_id, kind, severity, settings, repeat, enabled)


def _setting(reader: Reader, node: yaml.Node, path: str, unit: str) -> float | None:
    if unit == DURATION:
        seconds = reader.duration(node, path)
        return None if seconds is None else float(seconds)
    value = reader.number(node, path, integer=unit == COUNT)
    if value is not None and unit == PERCENT and value > 100:
        reader.problem(node, path, "a rate is a percentage between 0 and 100")
        return None
    return value
