"""Who may run the installer: not root, except where root is normal (containers, CI).

Homebrew's install.sh and rustup refuse root the same way: files created as root in a
student's home break every later, normal run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from installer.errors import UsageError
from installer.platform.facts import Facts

CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
CI_VARS = ("CI", "GITHUB_ACTIONS", "GITHUB_CI")
ALLOW_ROOT_VAR = "DTU_INSTALL_ALLOW_ROOT"


def root_is_normal(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if any(os.path.exists(marker) for marker in CONTAINER_MARKERS):
        return True
    truthy = ("1", "true", "yes")
    return any(env.get(v, "").lower() in truthy for v in (*CI_VARS, ALLOW_ROOT_VAR))


def refuse_root(facts: Facts, environ: Mapping[str, str] | None = None) -> None:
    if facts.is_root and not root_is_normal(environ):
        raise UsageError(
            "do not run dtu-install as root (with sudo): it would leave files in your home "
            "that your own account cannot change. Run it as yourself; it asks for your "
            "password only for the steps that need it."
        )
