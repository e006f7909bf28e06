"""A firing alert: a value with `serialize()`, made once and used by JSON, text and notices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from installer.analytics.timeutil import format_moment


@dataclass(frozen=True)
class Firing:
    at: int  # T, unix seconds
    rule: str  # the rule's id
    kind: str
    key: str | None  # component, architecture or SHA; None for keyless rules
    severity: str
    summary: str  # one line for humans
    runbook: str  # link to the rule's runbook section
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def state_key(self) -> tuple[str, str]:
        return (self.rule, self.key or "")

    def serialize(self) -> dict[str, Any]:
        return {
            "at": format_moment(self.at),
            "rule": self.rule,
            "key": self.key,
            "severity": self.severity,
            "summary": self.summary,
            "runbook": self.runbook,
            "context": dict(self.context),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, at: int, kind: str) -> Firing:
        return cls(
            at=at,
            rule=str(data["rule"]),
            kind=kind,
            key=data.get("key"),
            severity=str(data["severity"]),
            summary=str(data.get("summary", "")),
            runbook=str(data.get("runbook", "")),
            context=dict(data.get("context") or {}),
        )
