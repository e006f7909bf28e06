"""A step's outcome is a value.

The live progress, the end-of-run summary table, the `--json` result and the telemetry event
are all made from `StepOutcome`; nothing else about a step's run is needed by them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol


class Status(str, enum.Enum):
    SUCCESS = "success"
    SKIPPED = "skipped"  # the step's check showed it was already done
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # Ctrl-C during the step
    NOT_RUN = "not_run"  # an earlier step aborted the run, or a requirement failed


class ErrorCategory(str, enum.Enum):
    """SPEC section 3. The value is also the `e_n` suffix and `dimension5` of the event."""

    PERMISSION = "permission_error"
    NETWORK = "network_error"
    DISK = "disk_error"
    MISSING_DEPENDENCY = "missing_dependency"
    CHECKSUM = "checksum_error"
    TIMEOUT = "timeout_error"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown_error"


ERROR_CATEGORY_NAMES: tuple[str, ...] = tuple(c.value for c in ErrorCategory)


@dataclass(frozen=True)
class StepOutcome:
    """What happened to one step of one run."""

    step: str  # the step's name, which is also its event name
    recipe: str
    status: Status
    duration: float  # seconds, monotonic clock; 0.0 for steps that never ran
    attempts: int = 0
    category: ErrorCategory | None = None  # set for FAILED and INTERRUPTED
    reason: str = ""  # one plain-words line for the summary; never sent as telemetry
    finished_at: float = 0.0  # wall clock (unix seconds, UTC) when the outcome was decided
    details: dict[str, Any] = field(default_factory=dict)  # for the log and --json only

    @property
    def ok(self) -> bool:
        return self.status in (Status.SUCCESS, Status.SKIPPED)

    def serialize(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "recipe": self.recipe,
            "status": self.status.value,
            "duration": round(self.duration, 3),
            "attempts": self.attempts,
            "error_category": self.category.value if self.category else None,
            "reason": self.reason,
        }


class OutcomeSink(Protocol):
    """Receives every outcome as it is decided (telemetry, progress display, log).

    `record` must never raise and never block for long: it runs on the install's path.
    """

    def record(self, outcome: StepOutcome) -> None: ...

    def close(self) -> None: ...
