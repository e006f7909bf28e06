"""The result of a run: every step's outcome, and the versioned `--json` envelope."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.errors import ExitCode
from installer.events.outcome import Status, StepOutcome

RESULT_SCHEMA = "dtu-install/run-result"
RESULT_VERSION = 1
SUPPORT_ID_LENGTH = 8  # SPEC 6: the support id is the first 8 hex characters of the run id


@dataclass(frozen=True)
class RunResult:
    targets: tuple[str, ...]
    outcomes: tuple[StepOutcome, ...]
    log_path: Path | None
    interrupted: bool = False
    dry_run: bool = False
    duration: float = 0.0
    support_url: str = ""
    run_id: str | None = None  # the telemetry run id (dimension 6); None with telemetry off

    @property
    def support_id(self) -> str | None:
        """What a student quotes to support; `dtu-install analytics run ID` finds the run."""
        return self.run_id[:SUPPORT_ID_LENGTH] if self.run_id else None

    @property
    def failed(self) -> tuple[StepOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status is Status.FAILED)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return ExitCode.FAILED if self.failed else ExitCode.OK

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for outcome in self.outcomes:
            counts[outcome.status.value] += 1
        return counts

    def serialize(self) -> dict[str, Any]:
        return {
            "schema": RESULT_SCHEMA,
            "version": RESULT_VERSION,
            "targets": list(self.targets),
            "exit_code": self.exit_code,
            "interrupted": self.interrupted,
            "dry_run": self.dry_run,
            "duration": round(self.duration, 3),
            "counts": self.counts(),
            "log": str(self.log_path) if self.log_path else None,
            "support_url": self.support_url,
            "run_id": self.run_id,
            "support_id": self.support_id,
            "steps": [{**o.serialize(), **_extra(o)} for o in self.outcomes],
        }


def _extra(outcome: StepOutcome) -> dict[str, Any]:
    return {"details": outcome.details} if outcome.details else {}
