"""Environment variables read as yes/no flags, one way everywhere.

`CI=true`, `DO_NOT_TRACK=1`, `NONINTERACTIVE=1`: the platform facts, the runner, the root
check and telemetry must agree on what "set" means. When each read them its own way,
`CI=yes` made telemetry tag a run `Installer_CI` while the facts said "not CI", and
`NONINTERACTIVE=0` made the facts non-interactive and the runner interactive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# A CI run (SPEC 4: CI=true, GITHUB_ACTIONS=true or GITHUB_CI=true).
CI_VARIABLES: tuple[str, ...] = ("CI", "GITHUB_ACTIONS", "GITHUB_CI")
# install.sh and Homebrew's install script use it to say "nobody is there to answer".
NONINTERACTIVE = "NONINTERACTIVE"
ON_VALUES = frozenset({"1", "true", "yes", "on"})
# Values that plainly say "no". For NONINTERACTIVE anything else counts as set (even `y`):
# someone who tried to say "nobody is there" must not be left waiting at a prompt.
OFF_VALUES = frozenset({"", "0", "false", "no", "off"})


def _value(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip().lower()


def flag_on(environ: Mapping[str, str], name: str) -> bool:
    """`name` is set to 1, true, yes or on (any case)."""
    return _value(environ, name) in ON_VALUES


def any_flag_on(environ: Mapping[str, str], names: Iterable[str]) -> bool:
    return any(flag_on(environ, name) for name in names)


def is_ci(environ: Mapping[str, str]) -> bool:
    return any_flag_on(environ, CI_VARIABLES)


def says_noninteractive(environ: Mapping[str, str]) -> bool:
    """NONINTERACTIVE is set to anything but a plain "no", or this is a CI run."""
    return _value(environ, NONINTERACTIVE) not in OFF_VALUES or is_ci(environ)
