"""`{placeholder}` syntax: finding names for validation, substituting them for a Mac.

`{name}` is a placeholder, `{{` and `}}` are literal braces, any other brace is an error.
The fact placeholders are fixed here; maintainer variables (recipes/settings.yaml) add more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Union

from installer.kinds import fields
from installer.platform.facts import Facts

# Placeholders every recipe may use, with what they mean (docs/recipes.md lists them).
FACT_PLACEHOLDERS: Mapping[str, str] = {
    "arch": "native architecture: arm64 or x86_64",
    "os_name": "Darwin (or Linux when planning on Linux)",
    "os_version": "macOS product version, e.g. 14.5",
    "home": "the user's home directory",
    "shell": "the user's login shell name, e.g. zsh",
    "cache_dir": "where downloads go: ~/Library/Caches/dtu-install on macOS",
    "zdotdir": "where zsh reads .zprofile and .zshrc: $ZDOTDIR when set, else the home directory",
}

# Known only inside a `download` that names a `version` (its url and dest); the download
# kind renders it, so it is declared with the kinds' value types.
VERSION_PLACEHOLDER = fields.VERSION_PLACEHOLDER

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z_][a-z0-9_]*")

Value = Union[str, Sequence[str]]


class PlaceholderError(ValueError):
    pass


def names_in(text: str) -> list[str]:
    """Placeholder names used in `text`; PlaceholderError for stray braces or bad names."""
    names = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        inner = match.group(1)
        if inner is None:
            raise PlaceholderError(f"unmatched {token!r} (write {token * 2} for a literal brace)")
        if not _NAME.fullmatch(inner):
            raise PlaceholderError(
                f"{{{inner}}} is not a placeholder name (write {{{{ and }}}} for literal braces)"
            )
        names.append(inner)
    return names


def substitute(text: str, values: Mapping[str, Value]) -> str:
    """Fill in placeholders (already validated); a list value is joined with spaces."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        value = values[match.group(1)]
        return value if isinstance(value, str) else " ".join(value)

    return _TOKEN.sub(replace, text)


def whole_placeholder(text: str) -> str | None:
    """The name, when `text` is exactly one placeholder such as `"{conda_packages}"`."""
    match = re.fullmatch(r"\{([a-z_][a-z0-9_]*)\}", text)
    return match.group(1) if match else None


def cache_dir(facts: Facts) -> str:
    if facts.is_macos:
        return f"{facts.home}/Library/Caches/dtu-install"
    return f"{facts.home}/.cache/dtu-install"


def fact_values(facts: Facts) -> dict[str, str]:
    values = {
        "arch": facts.arch,
        "os_name": facts.os_name,
        "os_version": facts.os_version,
        "home": facts.home,
        "shell": facts.shell,
        "cache_dir": cache_dir(facts),
        "zdotdir": facts.zsh_dir,
    }
    assert set(values) == set(FACT_PLACEHOLDERS)
    return values
