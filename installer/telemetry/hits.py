"""One tracking hit per step outcome: SPEC section 4's parameters, nothing else.

A hit is kept as its encoded query string (`?idsite=...&cdt=...`), the form Piwik PRO's bulk
API takes; it carries its own time (`cdt`), so a hit sent late from the spool keeps it.
"""

from __future__ import annotations

import datetime
import math
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from installer.common.datetimes import NoSuchTime, parse_written_time
from installer.events.outcome import ErrorCategory, Status, StepOutcome
from installer.platform.facts import Facts
from installer.telemetry.config import Environment, TelemetryConfig

# `e_a` per outcome (SPEC 4). NOT_RUN is absent on purpose: a step that was never attempted
# (an earlier step aborted the run, or one of its requirements failed) sends no event, so
# that one real failure is not counted again as failures of every component after it.
# See docs/telemetry.md, "Which steps send an event".
ACTIONS: dict[Status, str] = {
    Status.SUCCESS: "Event",
    Status.FAILED: "Event",
    Status.INTERRUPTED: "Event",
    Status.SKIPPED: "Skipped",
}
# `e_v`: 1 success, 0 failure; a skipped step (already installed) is a success.
VALUES: dict[Status, str] = {
    Status.SUCCESS: "1",
    Status.SKIPPED: "1",
    Status.FAILED: "0",
    Status.INTERRUPTED: "0",
}
# The category used when the runner did not give one (it should).
FALLBACK_CATEGORY: dict[Status, ErrorCategory] = {
    Status.FAILED: ErrorCategory.UNKNOWN,
    Status.INTERRUPTED: ErrorCategory.INTERRUPTED,
}
URL_PREFIX = "app://dtu-install/"
CDT_FORMAT = "%Y-%m-%d %H:%M:%S"  # UTC; Piwik PRO and Matomo read this form


@dataclass(frozen=True)
class RunContext:
    """What every hit of one run shares. Built once per run; nothing personal in it."""

    site_id: str
    category: str
    os_label: str
    arch: str
    sha: str
    run_id: str  # dimension6: groups one installation's events
    visitor_id: str  # `_id`: 16 hex chars, random per run (never derived from the machine)
    dimensions: dict[str, int]


def new_run_context(
    facts: Facts, config: TelemetryConfig, environment: Environment, sha: str
) -> RunContext:
    return RunContext(
        site_id=config.site_id,
        category=config.category(environment),
        os_label=facts.os_label,
        arch=facts.arch,
        sha=sha,
        run_id=uuid.uuid4().hex,
        visitor_id=secrets.token_hex(8),
        dimensions=dict(config.dimensions),
    )


def format_cdt(unix_seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(int(unix_seconds), tz=datetime.timezone.utc)
    return moment.strftime(CDT_FORMAT)


def hit_params(
    outcome: StepOutcome, ctx: RunContext, *, now: float
) -> list[tuple[str, str]] | None:
    """The parameters of the step's event in SPEC order, or None for a step never attempted."""
    action = ACTIONS.get(outcome.status)
    if action is None:
        return None
    category: ErrorCategory | None = None
    if outcome.status in FALLBACK_CATEGORY:
        category = outcome.category or FALLBACK_CATEGORY[outcome.status]
    error = category.value if category else ""
    name = f"{outcome.step}_{error}" if error else outcome.step
    # A clock oddity must not make a hit the collector rejects (it refuses nan/inf).
    duration = outcome.duration if math.isfinite(outcome.duration) else 0.0
    duration = max(duration, 0.0)
    when = outcome.finished_at if outcome.finished_at > 0 else now
    dims = ctx.dimensions
    page = URL_PREFIX + outcome.step
    return [
        ("idsite", ctx.site_id),
        ("rec", "1"),
        ("e_c", ctx.category),
        ("e_a", action),
        ("e_n", name),
        ("e_v", VALUES[outcome.status]),
        (f"dimension{dims['os']}", ctx.os_label),
        (f"dimension{dims['arch']}", ctx.arch),
        (f"dimension{dims['sha']}", ctx.sha),
        (f"dimension{dims['duration']}", f"{duration:.3f}"),
        (f"dimension{dims['error']}", error),
        (f"dimension{dims['run']}", ctx.run_id),
        ("_id", ctx.visitor_id),
        ("cdt", format_cdt(when)),
        ("url", page),
        ("action_name", page),
    ]


def encode(params: list[tuple[str, str]]) -> str:
    """The bulk API's form of one hit: a query string with its leading `?`."""
    return "?" + urlencode(params, quote_via=quote, safe="")


def decode(hit: str) -> dict[str, str]:
    return dict(parse_qsl(hit.lstrip("?"), keep_blank_values=True))


def hit_time(hit: str) -> float | None:
    """The event time (`cdt`) of an encoded hit, for the spool's age limit."""
    text = decode(hit).get("cdt")
    if not text:
        return None
    try:
        written = parse_written_time(text)
    except NoSuchTime:
        return None
    return float(written.utc_seconds()) if written is not None and written.plain else None
