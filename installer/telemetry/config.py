"""Telemetry settings: SPEC section 4's values as defaults, a few environment overrides.

A maintainer changes the defaults here (one place); tests, CI and self-hosters point the
installer elsewhere with `DTU_INSTALL_TELEMETRY_URL` and `DTU_INSTALL_SITE_ID`.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from installer.events import schema as event_schema
from installer.events.schema import DEFAULT_DIMENSIONS
from installer.platform.env_flags import any_flag_on, flag_on, is_ci

# The DTU Python-support Piwik PRO account (seed guide, "Enhanced Piwik Utility").
DEFAULT_ENDPOINT = "https://pythonsupport.piwik.pro/ppms.php"
DEFAULT_SITE_ID = "0bc7bce7-fb4d-4159-a809-e6bab2b3a431"

ENV_URL = "DTU_INSTALL_TELEMETRY_URL"
ENV_SITE_ID = "DTU_INSTALL_SITE_ID"
ENV_POLICY = "DTU_INSTALL_TELEMETRY_POLICY"  # maintainers' builds and CI images


class Environment(str, enum.Enum):
    """Which kind of run sends the event; decides `e_c`."""

    PRODUCTION = "production"
    TEST = "test"
    CI = "ci"


class Policy(str, enum.Enum):
    """The maintainer's default when the user has not chosen (SPEC 4, "Consent")."""

    ASK = "ask"
    ON = "on"
    OFF = "off"


DEFAULT_CATEGORIES: Mapping[Environment, str] = {
    Environment.PRODUCTION: event_schema.PRODUCTION,
    Environment.TEST: event_schema.TEST,
    Environment.CI: event_schema.CI,
}

TEST_FLAGS = ("TESTING_MODE",)
OPT_OUT_FLAGS = ("DO_NOT_TRACK", "DTU_INSTALL_NO_TELEMETRY")

# Piwik PRO's bulk endpoint takes at most 100 hits per request; 95 leaves headroom.
MAX_HITS_PER_REQUEST = 95
# Whatever the network does, closing the sink takes at most this long (SPEC 4).
DEFAULT_FLUSH_SECONDS = 2.0
# One bulk POST: connect + answer (Piwik PRO answers in well under a second). Shorter than
# the flush bound, so that a black hole is usually noticed while the install still runs and
# the exit does not wait for it; what times out is spooled, not lost.
DEFAULT_REQUEST_TIMEOUT = 1.5
# Piwik PRO accepts events backdated by about 24 h; keep an hour's margin for clock skew.
DEFAULT_SPOOL_MAX_AGE = 23 * 3600.0
# About 2,500 hits: months of failed deliveries for one student, a few KiB each day.
DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TelemetryConfig:
    endpoint: str = DEFAULT_ENDPOINT
    site_id: str = DEFAULT_SITE_ID
    policy: Policy = Policy.ASK
    categories: Mapping[Environment, str] = field(default_factory=lambda: DEFAULT_CATEGORIES)
    dimensions: Mapping[str, int] = field(default_factory=lambda: DEFAULT_DIMENSIONS)
    max_hits_per_request: int = MAX_HITS_PER_REQUEST
    flush_seconds: float = DEFAULT_FLUSH_SECONDS
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    spool_max_age: float = DEFAULT_SPOOL_MAX_AGE
    spool_max_bytes: int = DEFAULT_SPOOL_MAX_BYTES

    def category(self, environment: Environment) -> str:
        return self.categories[environment]


def load_config(environ: Mapping[str, str] | None = None) -> TelemetryConfig:
    """The defaults above with the environment's overrides; a bad policy value is ignored."""
    env = os.environ if environ is None else environ
    config = TelemetryConfig()
    url = env.get(ENV_URL, "").strip()
    site = env.get(ENV_SITE_ID, "").strip()
    policy_text = env.get(ENV_POLICY, "").strip().lower()
    policy = config.policy
    if policy_text in {p.value for p in Policy}:
        policy = Policy(policy_text)
    return TelemetryConfig(
        endpoint=url or config.endpoint,
        site_id=site or config.site_id,
        policy=policy,
    )


def environment_of(environ: Mapping[str, str], *, test_mode: bool, ci: bool) -> Environment:
    """TESTING_MODE/--test wins over CI: a maintainer testing in CI is still testing."""
    if test_mode or any_flag_on(environ, TEST_FLAGS):
        return Environment.TEST
    if ci or is_ci(environ):
        return Environment.CI
    return Environment.PRODUCTION


def opted_out(environ: Mapping[str, str]) -> str | None:
    """The variable that forbids telemetry, if any (`DO_NOT_TRACK=1` always wins)."""
    for name in OPT_OUT_FLAGS:
        if flag_on(environ, name):
            return name
    return None
