"""Platform facts: the one seam through which the program learns about the machine.

Tests and `plan --arch/--os-version` build a `Facts` directly (or use `override_facts`);
only `detect_facts()` looks at the real machine, and it asks through one command-runner
callable (the seam tests replace to simulate a Mac, e.g. one under Rosetta 2).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Optional

from installer.common.quiet_command import quiet_output
from installer.errors import UsageError
from installer.platform.env_flags import is_ci, says_noninteractive

ARCHITECTURES: tuple[str, ...] = ("arm64", "x86_64")

# DTU_INSTALL_PLATFORM=darwin: read every fact as on macOS, through the macOS commands found
# on PATH (`uname`, `sw_vers`, `sysctl`), whatever the OS (SPEC 3, "The Mac sandbox"): how the
# real recipes run in the bubblewrap Mac sandbox on Linux (tests/sandbox).
PLATFORM_ENV = "DTU_INSTALL_PLATFORM"
PLATFORM_VALUES: Mapping[str, str] = {"darwin": "Darwin"}


def platform_override(env: Mapping[str, str] | None = None) -> str | None:
    """The `uname -s` name DTU_INSTALL_PLATFORM asks for, or None when it is unset.

    An unknown value is bad usage (exit 2): silently running as Linux would install nothing.
    """
    value = (os.environ if env is None else env).get(PLATFORM_ENV, "")
    if not value:
        return None
    if value not in PLATFORM_VALUES:
        raise UsageError(
            f"{PLATFORM_ENV}={value!r} is not a platform dtu-install knows; "
            f"use {' or '.join(PLATFORM_VALUES)}, or unset it"
        )
    return PLATFORM_VALUES[value]


def runs_as_macos(env: Mapping[str, str] | None = None) -> bool:
    """Whether platform-dependent choices (paths, tools) are macOS's: the real OS, or
    DTU_INSTALL_PLATFORM=darwin. For callers that cannot report usage errors (paths): an
    unknown value counts as unset here and is reported by `detect_facts`."""
    try:
        return (platform_override(env) or platform.system()) == "Darwin"
    except UsageError:
        return platform.system() == "Darwin"


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
    # $ZDOTDIR when set: zsh then reads .zprofile/.zshrc there, not in home, and `conda init`
    # writes `$ZDOTDIR/.zshrc` (conda/conda `conda/core/initialize.py`, "ZDOTDIR" in
    # os.environ), as Homebrew's installer writes `${ZDOTDIR:-$HOME}/.zprofile`
    # (Homebrew/install `install.sh`, "Next steps").
    zdotdir: str = ""

    @property
    def zsh_dir(self) -> str:
        """Where zsh reads its startup files: $ZDOTDIR, or the home directory."""
        return self.zdotdir or self.home

    @property
    def is_macos(self) -> bool:
        return self.os_name == "Darwin"

    @property
    def os_label(self) -> str:
        """`dimension1` of the telemetry event: `uname -s` + product version, "Darwin14.5"."""
        return f"{self.os_name}{self.os_version}"


# ---------------------------------------------------------------- detection
# Runs a command and returns its stdout, or None when it is missing or fails. The one seam
# through which detection asks the machine; tests pass a fake to simulate a Mac (Rosetta).
CommandRunner = Callable[[Sequence[str]], Optional[str]]

# `uname -m` / platform.machine() spellings of the two architectures we support.
ARCH_ALIASES: Mapping[str, str] = {
    "arm64": "arm64",
    "aarch64": "arm64",
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "AMD64": "x86_64",
}
ADMIN_GROUPS: Mapping[str, tuple[str, ...]] = {
    "Darwin": ("admin",),
    "Linux": ("sudo", "wheel", "admin"),
}
COMMAND_TIMEOUT = 5.0  # seconds; detection must never hang the installer
# Planning for a Mac from another OS with only `--arch` given: a current macOS release.
DEFAULT_PLANNING_MACOS = "15.0"
# Under Rosetta 2, every command a step runs is started through this, so that it runs as a
# native arm64 process (SPEC 3, "Rosetta"): installers that pick their build or prefix from
# `uname -m` (Homebrew's: Homebrew/install `install.sh`, `UNAME_MACHINE="$(/usr/bin/uname -m)"`)
# then install for Apple silicon, into the prefix the recipes check. `arch(1)` runs the
# program with the same arguments and environment and exits with its status.
ROSETTA_LAUNCHER: tuple[str, ...] = ("/usr/bin/arch", "-arm64")


def run_command(argv: Sequence[str]) -> str | None:
    return quiet_output(argv, COMMAND_TIMEOUT)


def _is_tty(stream: object) -> bool:
    """False also for a missing (None) or closed stream, as under launchd or `nohup`."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty is not None and isatty())
    except (ValueError, OSError):
        return False


def native_arch(system: str, machine: str, run: CommandRunner) -> str:
    """The machine's own architecture, not the process's.

    A Python running under Rosetta 2 reports x86_64 on an Apple-silicon Mac; the original
    scripts trusted `uname -m` and so gave those Macs Intel builds (SPEC section 3). We ask
    sysctl: `sysctl.proc_translated` is 1 for a translated process, `hw.optional.arm64` is 1
    on Apple silicon whatever the process runs as (rust-lang/rustup `rustup-init.sh` reads
    `hw.optional.arm64` the same way). Homebrew's installer does NOT: it reads
    `/usr/bin/uname -m` only (Homebrew/install `install.sh`), which is why a translated run
    starts step commands through `ROSETTA_LAUNCHER`.
    """
    arch = ARCH_ALIASES.get(machine, machine)
    if system == "Darwin" and arch == "x86_64":
        translated = run(["sysctl", "-n", "sysctl.proc_translated"])
        has_arm64 = run(["sysctl", "-n", "hw.optional.arm64"])
        if translated == "1" or has_arm64 == "1":
            return "arm64"
    return arch


def detect_facts(
    *,
    run: CommandRunner = run_command,
    env: Mapping[str, str] | None = None,
    system: str | None = None,
    machine: str | None = None,
    tty: bool | None = None,
    euid: int | None = None,
) -> Facts:
    """Facts about the real machine; every argument is a seam for tests."""
    environ = os.environ if env is None else env
    override = platform_override(environ)
    if override is not None and system is None:
        # As on a Mac: the process's architecture is what `uname -m` says (under Rosetta
        # "x86_64"), not the kernel this Python happens to run on.
        system = override
        machine = machine or run(["uname", "-m"]) or platform.machine()
    system = system or platform.system()
    machine = machine or platform.machine()
    home = environ.get("HOME") or os.path.expanduser("~")
    if system == "Darwin":
        version = run(["sw_vers", "-productVersion"]) or platform.mac_ver()[0] or "0"
        translated = run(["sysctl", "-n", "sysctl.proc_translated"]) == "1"
    else:
        version = platform.release()
        translated = False
    groups = (run(["id", "-Gn"]) or "").split()
    if euid is None:
        euid = os.geteuid() if hasattr(os, "geteuid") else -1
    is_root = euid == 0
    ci = is_ci(environ)
    if tty is None:
        tty = _is_tty(sys.stdin) and _is_tty(sys.stdout)
    try:
        free = shutil.disk_usage(home).free
    except OSError:
        free = 0
    return Facts(
        os_name=system,
        os_version=version,
        arch=native_arch(system, machine, run),
        translated=translated,
        shell=os.path.basename(environ.get("SHELL", "")),
        home=home,
        free_disk_bytes=free,
        is_admin=is_root or any(g in ADMIN_GROUPS.get(system, ()) for g in groups),
        is_root=is_root,
        ci=ci,
        interactive=tty and not says_noninteractive(environ),
        zdotdir=environ.get("ZDOTDIR", ""),
    )


def override_facts(
    facts: Facts, *, arch: str | None = None, os_version: str | None = None
) -> Facts:
    """Facts for planning another Mac (`plan --arch/--os-version`).

    On a machine that is not a Mac, any override plans for macOS (Darwin), so maintainers
    can see what an arm64 or Intel Mac would do from Linux.
    """
    if arch is None and os_version is None:
        return facts
    if arch is not None and arch not in ARCHITECTURES:
        raise UsageError(f"--arch must be one of {', '.join(ARCHITECTURES)}, not {arch!r}")
    if os_version is not None:
        from packaging.version import InvalidVersion, Version

        try:
            Version(os_version)
        except InvalidVersion:
            raise UsageError(
                f"--os-version must be a macOS version such as 14.5, not {os_version!r}"
            ) from None
    if facts.is_macos:
        version = os_version or facts.os_version
    else:
        version = os_version or DEFAULT_PLANNING_MACOS
    return replace(
        facts,
        os_name="Darwin",
        os_version=version,
        arch=arch or facts.arch,
        translated=False,
    )


def step_launcher(facts: Facts) -> tuple[str, ...]:
    """What step commands are started through on this Mac: `ROSETTA_LAUNCHER` when this
    process is translated, nothing on an Intel Mac or a native arm64 process."""
    return ROSETTA_LAUNCHER if facts.is_macos and facts.translated else ()
