"""`when:` conditions: does a step apply to this Mac, and if not, why not (in plain words)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from installer.platform.facts import Facts


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def why_excluded(when: Mapping[str, Any] | None, facts: Facts) -> str | None:
    """None when every condition holds; otherwise the first one that does not, explained."""
    if not when:
        return None
    if "arch" in when:
        wanted = _as_list(when["arch"])
        if facts.arch not in wanted:
            return f"arch is {facts.arch}, step needs {' or '.join(wanted)}"
    if "os" in when:
        wanted = _as_list(when["os"])
        if facts.os_name not in wanted:
            return f"OS is {facts.os_name}, step needs {' or '.join(wanted)}"
    if "os_version" in when:
        spec = SpecifierSet(when["os_version"])
        if not facts.is_macos:
            return f"not macOS, step needs macOS {spec}"
        try:
            version = Version(facts.os_version)
        except InvalidVersion:
            return f"macOS version {facts.os_version!r} is not a version, step needs {spec}"
        if not spec.contains(version, prereleases=True):
            return f"macOS {facts.os_version} is not {spec}"
    return None
