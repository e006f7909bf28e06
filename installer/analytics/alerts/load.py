"""Loading `alerts.yaml`: rules (and the `notify` settings) with `FILE:LINE:COL` errors.

Format (every key optional except each rule's `id`):

    scope: {categories: [Installer]}
    runbook_url: https://.../docs/runbook.md
    dashboard_url: https://...      # optional: linked from every notification
    repeat_interval: 4h             # an open incident is reminded of after this
    rules:
      - id: success_rate_low        # kind defaults to the id
        severity: critical
        window: 2h
        events_more_than: 10
        success_rate_below: 75
        clear_success_rate_at_least: 85   # the incident's clear condition
    notify: {...}                   # see installer.analytics.notify.settings

The schema is declared with `installer.yaml_source` (as the recipes are), built from the
`RULE_KINDS` table: each kind is a variant with its own settings and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

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
from installer.analytics.notify.settings import NOTIFY, NotifySettings, notify_settings
from installer.errors import InputFileError, Problem, UsageError
from installer.events.schema import PRODUCTION
from installer.yaml_source.checked import Checked
from installer.yaml_source.choice import Tagged
from installer.yaml_source.containers import Field, Map, Seq
from installer.yaml_source.document import parse_yaml, read_yaml_file
from installer.yaml_source.duration import Duration
from installer.yaml_source.scalars import Bool, Int, Number, Str
from installer.yaml_source.schema import Schema, check_document

SHIPPED_NAME = "alerts.yaml (shipped defaults)"
# (longer, shorter): the baseline window [T - longer, T - shorter) must not be empty.
WINDOW_ORDER = {"new_failure_pattern": (("baseline_from", "recent"),)}
RULE_ID = r"[a-z][a-z0-9_]*"

# A setting's unit -> how YAML writes it.
UNIT_SCHEMAS: Mapping[str, Schema] = {
    DURATION: Duration(),
    COUNT: Int(minimum=0),
    PERCENT: Number(minimum=0, maximum=100),
}
POINTS_SCHEMA = Number(minimum=0)  # a difference in percentage points


def _rule_schema(kind: str) -> Map:
    settings = {
        name: Field(
            UNIT_SCHEMAS.get(spec.unit, POINTS_SCHEMA), default=spec.default, doc=spec.meaning
        )
        for name, spec in RULE_KINDS[kind].items()
    }
    common = {
        "id": Field(
            Str(pattern=RULE_ID, pattern_help="lower-case letters, digits and _", name="a rule id"),
            required=True,
        ),
        "kind": Field(Str(enum=tuple(RULE_KINDS)), doc="default: the id"),
        "severity": Field(Str(enum=SEVERITIES), default=DEFAULT_SEVERITY[kind]),
        "enabled": Field(Bool(), default=True),
        "repeat_interval": Field(Duration(), doc="default: the file's repeat_interval"),
    }
    return Map({**common, **settings}, name="a rule")


RULE = Tagged(
    "kind",
    {kind: _rule_schema(kind) for kind in RULE_KINDS},
    default_from="id",
    tag_name="rule kind",
    name="a rule",
)

ALERTS = Map(
    {
        "scope": Field(
            Map(
                {
                    "categories": Field(
                        Seq(Str(pattern=r"[\s\S]+", name="a category"), min_items=1),
                        default=[PRODUCTION],
                    )
                },
                name="{categories}",
            ),
            default={"categories": [PRODUCTION]},
        ),
        "runbook_url": Field(Str(), default=DEFAULT_RUNBOOK_URL),
        "dashboard_url": Field(
            Str(pattern=r"https?://\S+", pattern_help="an http(s) URL", name="a URL"),
            doc="linked from every notification (e.g. `analytics serve`'s address)",
        ),
        "repeat_interval": Field(Duration(), default=DEFAULT_REPEAT_INTERVAL),
        "rules": Field(Seq(RULE), required=True),
        "notify": Field(NOTIFY, default=None),
    },
    name="a mapping with `rules:`",
)


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
        name = SHIPPED_NAME
        root, problems = parse_yaml(shipped_text(), name)
    elif not path.is_file():
        raise UsageError(f"--rules: no such file: {path}")
    else:
        name = str(path)
        root, problems = read_yaml_file(path, name)
    if root is None:
        raise InputFileError(problems or [Problem(name, 1, 1, "", "file is empty")])
    doc = check_document(root, ALERTS, name)
    config = _config(doc) if isinstance(doc.value, dict) else None
    if doc.problems or config is None:
        raise InputFileError(doc.problems)
    return config


def _config(doc: Checked) -> AlertsConfig:
    """The checked document as values, with the checks that span several keys. Parts that
    did not pass their schema are left out here: their problems are already reported."""
    top: dict[str, Any] = doc.value
    repeat = top.get("repeat_interval", DEFAULT_REPEAT_INTERVAL)
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, value in enumerate(top.get("rules", [])):
        if not isinstance(value, dict) or "id" not in value:
            continue
        path = ("rules", index)
        rule = _rule(value, repeat)
        if rule.id in seen:
            doc.problem(path, (*path, "id"), f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        for later, earlier in WINDOW_ORDER.get(rule.kind, ()):
            if later in rule.settings and earlier in rule.settings and rule[later] <= rule[earlier]:
                at = (*path, later) if (*path, later) in doc.marks else (*path, earlier)
                message = f"must be longer than {earlier} (the windows follow)"
                doc.problem(at, (*path, later), message)
        rules.append(rule)
    categories = tuple(top.get("scope", {}).get("categories", ())) or (PRODUCTION,)
    runbook_url = top.get("runbook_url", DEFAULT_RUNBOOK_URL)
    notify = notify_settings(doc, top["notify"], ("notify",)) if top.get("notify") else None
    rule_set = RuleSet(tuple(rules), categories, runbook_url, doc.file, top.get("dashboard_url"))
    return AlertsConfig(rule_set, notify or NotifySettings())


def _rule(value: dict[str, Any], repeat: int) -> Rule:
    kind = value.get("kind", value["id"])
    return Rule(
        id=value["id"],
        kind=kind,
        severity=value.get("severity", DEFAULT_SEVERITY[kind]),
        settings={name: float(value[name]) for name in RULE_KINDS[kind] if name in value},
        repeat_interval=value.get("repeat_interval", repeat),
        enabled=value.get("enabled", True),
    )
