"""Mirrors: rewrite every URL the runner and `upstream` fetch (SPEC 3, "Mirrors").

`mirrors` in recipes/settings.yaml (a mapping PREFIX: REPLACEMENT) and `DTU_INSTALL_MIRRORS`
(whitespace-separated `PREFIX=REPLACEMENT` entries) work like git's `url.<base>.insteadOf`: a
URL that starts with PREFIX is fetched from REPLACEMENT followed by the rest of the URL, the
longest matching prefix wins, and a URL is rewritten once (never the result again). When the
variable is set (and not blank) its entries replace the settings' mapping: the environment
wins. Both sides must be https:// URLs, so HTTPS and checksum rules apply to mirrored URLs
unchanged. It serves a lab's mirror or a campus cache, and it is how the tests point the real
recipes at a local server.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from installer.errors import UsageError

ENV_VAR = "DTU_INSTALL_MIRRORS"
SETTINGS_KEY = "mirrors"
# An https URL with a host: what a PREFIX and a REPLACEMENT must look like.
HTTPS_URL = r"https://[^\s/?#]+\S*"
HTTPS_URL_HELP = "an https:// URL (e.g. https://mirror.example.org/github/)"


class MirrorError(UsageError):
    """A bad mirror entry (exit 2)."""


@dataclass(frozen=True)
class Mirrors:
    """Rewrite rules, longest prefix first."""

    rules: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, mapping: Mapping[str, str]) -> Mirrors:
        ordered = sorted(mapping.items(), key=lambda rule: len(rule[0]), reverse=True)
        return cls(tuple(ordered))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def rewrite(self, url: str) -> str:
        """The URL actually fetched for `url` (itself when no prefix matches)."""
        for prefix, replacement in self.rules:
            if url.startswith(prefix):
                return replacement + url[len(prefix) :]
        return url

    def as_dict(self) -> dict[str, str]:
        return dict(self.rules)


NO_MIRRORS = Mirrors()


def entry_problem(prefix: str, replacement: str) -> str | None:
    """Why a PREFIX -> REPLACEMENT rule is unusable, or None."""
    if not prefix or not replacement:
        return "both sides must be given (PREFIX=REPLACEMENT)"
    for side, value in (("PREFIX", prefix), ("REPLACEMENT", replacement)):
        if not re.fullmatch(HTTPS_URL, value):
            return f"{side} {value!r} is not {HTTPS_URL_HELP}"
    return None


def parse_env(text: str) -> dict[str, str]:
    """`DTU_INSTALL_MIRRORS`'s entries; MirrorError naming the first bad one."""
    rules: dict[str, str] = {}
    for entry in text.split():
        prefix, equals, replacement = entry.partition("=")
        problem = (
            "no '=' (write PREFIX=REPLACEMENT)"
            if not equals
            else entry_problem(prefix, replacement)
        )
        if problem:
            raise MirrorError(f"{ENV_VAR}: bad entry {entry!r}: {problem}")
        rules[prefix] = replacement
    return rules


def resolve(settings: Mapping[str, str], environ: Mapping[str, str] | None = None) -> Mirrors:
    """The mirrors in force: `DTU_INSTALL_MIRRORS` when set and not blank, else the
    settings' `mirrors` (already checked by the settings schema)."""
    env = os.environ if environ is None else environ
    text = env.get(ENV_VAR, "")
    return Mirrors.of(parse_env(text) if text.strip() else settings)
