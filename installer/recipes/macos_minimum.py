"""The oldest macOS each component runs on (a recipe's `minimum_macos`), and the sentence an
older Mac gets instead of an opaque installer error after a long download.

The check is a `when` on the macOS version (`os_version: ">=V"`, conditions.py), evaluated
for the recipes a plan includes; `run` refuses before anything is downloaded (exit 1), and
`plan` shows the same sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from packaging.version import InvalidVersion, Version

from installer.platform.facts import Facts
from installer.recipes.conditions import why_excluded
from installer.steps.model import TooOldMac


def too_old(name: str, minimum: Mapping[str, str] | None, facts: Facts) -> TooOldMac | None:
    """The recipe's component when this Mac's macOS is older than its minimum, else None.
    Nothing is refused where the facts are not a Mac's (Linux planning) or the version is
    unknown: the recipes' own `when: {os: Darwin}` decides those."""
    if not minimum or not facts.is_macos:
        return None
    try:
        Version(facts.os_version)
    except InvalidVersion:
        return None
    if why_excluded({"os_version": f">={minimum['version']}"}, facts) is None:
        return None
    return TooOldMac(name, minimum["component"], minimum["version"])


def _update_place(os_version: str) -> str:
    """Where Software Update lives: "System Settings" from macOS 13 (Ventura), "System
    Preferences" before (as Homebrew/brew `Library/Homebrew/os/mac/xcode.rb` words it)."""
    try:
        settings = Version(os_version) >= Version("13")
    except InvalidVersion:
        settings = True
    return (
        "System Settings > General > Software Update"
        if settings
        else "System Preferences > Software Update"
    )


def _joined(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def refusal(items: Iterable[TooOldMac], os_version: str) -> str:
    """One plain sentence: which component needs which macOS, and what to do."""
    needs = [f"{item.component} needs macOS {item.minimum} or newer" for item in items]
    return (
        f"This Mac has macOS {os_version}, but {_joined(needs)}: update macOS "
        f"({_update_place(os_version)}), then run the installer again."
    )
