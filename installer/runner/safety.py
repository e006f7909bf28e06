"""Who may run the installer: not root, except where root is normal (containers, CI).

Homebrew's install.sh and rustup refuse root the same way: files created as root in a
student's home break every later, normal run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from installer.errors import UsageError
from installer.platform.env_flags import flag_on, is_ci
from installer.platform.facts import Facts

CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
ALLOW_ROOT_VAR = "DTU_INSTALL_ALLOW_ROOT"


def root_is_normal(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if any(os.path.exists(marker) for marker in CONTAINER_MARKERS):
        return True
    return is_ci(env) or flag_on(env, ALLOW_ROOT_VAR)


def refuse_root(facts: Facts, environ: Mapping[str, str] | None = None) -> None:
    if facts.is_root and not root_is_normal(environ):
        raise UsageError(
            "do not run dtu-install as root (with sudo): it would leave files in your home "
            "that your own account cannot change. Run it as yourself; it asks for your "
            "password only for the steps that need it."
        )
