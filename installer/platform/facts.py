"""Platform facts: the one seam through which the program learns about the machine.

Tests and `plan --arch/--os-version` build a `Facts` directly (or override fields with
`dataclasses.replace`); only `detect_facts()` looks at the real machine.
"""

from __future__ import annotations

from dataclasses import dataclass

ARCHITECTURES: tuple[str, ...] = ("arm64", "x86_64")


@dataclass(frozen=True)
class Facts:
    os_name: str  # `uname -s`: "Darwin", "Linux"
    os_version: str  # macOS product version ("14.5") from sw_vers; platform.release() elsewhere
    arch: str  # NATIVE architecture: "arm64" or "x86_64" (Rosetta-aware)
    translated: bool  # this process runs under Rosetta 2 (sysctl.proc_translated == 1)
    shell: str  # the user's login shell basename: "zsh", "bash", ...
    home: str  # the user's home directory (never sent anywhere)
    free_disk_bytes: int  # free space in home
    is_admin: bool  # member of the admin group (macOS) / can sudo
    is_root: bool
    ci: bool  # CI=true, GITHUB_ACTIONS=true or GITHUB_CI=true
    interactive: bool  # stdin and stdout are TTYs and not CI/NONINTERACTIVE

    @property
    def is_macos(self) -> bool:
        return self.os_name == "Darwin"

    @property
    def os_label(self) -> str:
        """`dimension1` of the telemetry event: `uname -s` + product version, "Darwin14.5"."""
        return f"{self.os_name}{self.os_version}"
