"""The telemetry event's names, defined once (SPEC 4): categories and dimension slots.

Telemetry sends with these defaults and analytics reads with them (both may be configured
otherwise). Dependency-free on purpose: the installer imports it without the analytics extra.
"""

from __future__ import annotations

from collections.abc import Mapping

# `e_c`, by the kind of run that sent the event.
PRODUCTION = "Installer"
TEST = "Installer_TEST"
CI = "Installer_CI"

# Custom-dimension slots: event field -> `dimension<slot>`.
DEFAULT_DIMENSIONS: Mapping[str, int] = {
    "os": 1,
    "arch": 2,
    "sha": 3,
    "duration": 4,
    "error": 5,
    "run": 6,
}
