"""A Mac-shaped sandbox on Linux (SPEC 3, "The Mac sandbox"): bubblewrap as uid 501, stub macOS
programs at their real absolute paths, and `/Applications`, `/Library`, `/opt`, `/usr/local`,
`/Users/<name>` as the sandbox's own directories.

Nothing is created on the host outside `MacSandbox.root` (a test's tmp dir): bubblewrap creates
a missing mount target on whatever filesystem holds it, so the new root is bubblewrap's own
tmpfs with the host's top-level directories bound one by one (never `/` itself), every
Mac-only directory is a fresh mount point on that tmpfs, and `/usr/bin` and `/usr/sbin` are
bound from symlink farms: copies of the host directories made of symbolic links to the host's
programs (bound read-only at /run/host/usr/...), with the stubs (tests/sandbox/stubs) in
place of the macOS programs. The private directories live under `root` on the host, so they
outlive one `run()`: a second run sees what the first installed, like a real Mac.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

STUBS = Path(__file__).resolve().parent / "stubs"
BWRAP = "bwrap"
UID, GID = 501, 20  # a Mac's first user, group staff
USER = "student"
HOME = f"/Users/{USER}"
# The Mac's own directories, private to the sandbox (host side: root/<name>).
PRIVATE = ("Applications", "Library", "Users", "opt", "usr_local", "tmp", "Volumes")
# Host directories the sandbox sees read-only (programs, libraries, the Pythons of pyenv,
# the checkout). Everything else at the top level is absent.
HOST_DIRS = ("usr", "etc", "root", "work", "var")
STUB_PATHS = {
    "uname": "usr/bin",
    "sw_vers": "usr/bin",
    "arch": "usr/bin",
    "xcode-select": "usr/bin",
    "ditto": "usr/bin",
    "sudo": "usr/bin",
    "python3": "usr/bin",
    "sysctl": "usr/sbin",
    "softwareupdate": "usr/sbin",
}
CLT_LABELS = (
    # label|version|title as Software Update lists them (Xcode 26 labels "... 26.0-26.0").
    "Command Line Tools for Xcode 16.4-16.4|16.4|Command Line Tools for Xcode 16.4",
    "Command Line Tools for Xcode 26.1-26.1|26.1|Command Line Tools for Xcode 26.1",
    "Command Line Tools for Xcode 26.0-26.0|26.0|Command Line Tools for Xcode 26.0",
)
# macOS version -> (build, Darwin kernel release), for the versions the tests use.
MACOS_BUILDS = {
    "15.1": ("24B83", "24.1.0"),
    "14.5": ("23F79", "23.5.0"),
    "26.1": ("25B78", "25.1.0"),
    "12.7.4": ("21H1123", "21.6.0"),
}


def bwrap_available() -> str | None:
    """None when bubblewrap can make a user namespace here, else why not."""
    if shutil.which(BWRAP) is None:
        return "bubblewrap (bwrap) is not installed: `make system-deps` installs it"
    probe = subprocess.run(
        [BWRAP, "--unshare-user", "--uid", str(UID), "--ro-bind", "/", "/", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if probe.returncode == 0 else f"bwrap cannot run here: {probe.stderr.strip()}"


@dataclass(frozen=True)
class MacModel:
    """Which Mac the sandbox is."""

    arch: str = "arm64"  # the hardware: arm64 (Apple silicon) or x86_64 (Intel)
    rosetta: bool = False  # the first process (the Terminal) runs under Rosetta 2
    macos: str = "15.1"
    clt: str = "installed"  # installed | missing | none_offered

    def __post_init__(self) -> None:
        assert self.arch in ("arm64", "x86_64"), self.arch
        assert not (self.rosetta and self.arch != "arm64"), "Rosetta exists on Apple silicon only"
        assert self.clt in ("installed", "missing", "none_offered"), self.clt
        assert self.macos in MACOS_BUILDS, self.macos


@dataclass
class MacSandbox:
    root: Path  # host directory holding everything this sandbox owns
    model: MacModel
    clt_python: str  # the host Python 3.9 that plays the Command Line Tools' python3
    binds: dict[str, str] = field(default_factory=dict)  # extra read-only: host -> sandbox

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for name in PRIVATE:
            (self.root / name).mkdir(exist_ok=True)
        (self.root / "Users" / USER).mkdir(exist_ok=True)
        (self.root / "opt" / "homebrew").mkdir(exist_ok=True)  # sandbox-private, empty
        self._farm()
        self._accounts()
        if self.model.clt == "installed":
            clt = self.host_path("/Library/Developer/CommandLineTools/usr/bin")
            clt.mkdir(parents=True, exist_ok=True)
            for name, target in (("git", "/run/host/usr/bin/git"), ("python3", self.clt_python)):
                if not (clt / name).is_symlink():
                    (clt / name).symlink_to(target)

    # ------------------------------------------------------------------ layout
    def host_path(self, mac_path: str) -> Path:
        """Where a path inside the sandbox lives on the host (private directories only)."""
        parts = Path(mac_path).parts[1:]
        if parts[:2] == ("usr", "local"):
            return self.root / "usr_local" / Path(*parts[2:])
        assert parts and parts[0] in PRIVATE, f"{mac_path} is not a sandbox-private path"
        return self.root.joinpath(*parts)

    @property
    def home(self) -> Path:
        return self.host_path(HOME)

    def _farm(self) -> None:
        model = self.model
        build, darwin = MACOS_BUILDS[model.macos]
        labels = "" if model.clt == "none_offered" else "\n".join(CLT_LABELS)
        values = {
            "@ARCH@": model.arch,
            "@MACOS@": model.macos,
            "@BUILD@": build,
            "@DARWIN@": darwin,
            "@CLT_LABELS@": labels,
            "@CLT_PYTHON@": self.clt_python,
            "@HOST_PYTHON@": self.clt_python,
        }
        for sub in ("usr/bin", "usr/sbin"):
            farm = self.root / "farm" / sub
            if farm.exists():
                continue
            farm.mkdir(parents=True)
            for entry in os.listdir(f"/{sub}"):
                (farm / entry).symlink_to(f"/run/host/{sub}/{entry}")
        for name, sub in STUB_PATHS.items():
            target = self.root / "farm" / sub / name
            text = (STUBS / name).read_text()
            for key, value in values.items():
                text = text.replace(key, value)
            if target.is_symlink() or target.exists():
                target.unlink()
            target.write_text(text)
            target.chmod(0o755)

    def _accounts(self) -> None:
        """/etc/passwd and /etc/group with the student in them (bound over the host's)."""
        etc = self.root / "etc"
        etc.mkdir(exist_ok=True)
        passwd = Path("/etc/passwd").read_text()
        group = Path("/etc/group").read_text()
        (etc / "passwd").write_text(passwd + f"{USER}:x:{UID}:{GID}:Student:{HOME}:/bin/zsh\n")
        kept = [
            line
            for line in group.splitlines()
            if line.split(":")[0] not in ("staff", "admin")
            and line.split(":")[2:3] not in (["20"], ["80"])
        ]
        (etc / "group").write_text(
            "\n".join([*kept, f"staff:x:{GID}:{USER}", f"admin:x:80:{USER}"]) + "\n"
        )

    def bwrap_argv(self, env: Mapping[str, str]) -> list[str]:
        argv = [BWRAP, "--unshare-user", "--uid", str(UID), "--gid", str(GID), "--die-with-parent"]
        argv += ["--unshare-pid", "--proc", "/proc", "--dev", "/dev"]
        for name in sorted(os.listdir("/")):
            host = f"/{name}"
            if os.path.islink(host) and name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
                argv += ["--symlink", os.readlink(host), host]
            elif name in HOST_DIRS:
                argv += ["--ro-bind", host, host]
        argv += ["--dir", "/run"]
        for sub in ("usr/bin", "usr/sbin"):
            argv += ["--ro-bind", f"/{sub}", f"/run/host/{sub}"]
            argv += ["--ro-bind", str(self.root / "farm" / sub), f"/{sub}"]
        if not os.path.islink("/bin"):  # a Debian without merged /usr: /bin is its own dir
            argv += ["--symlink", "usr/bin", "/bin"]
        if not os.path.islink("/sbin"):
            argv += ["--symlink", "usr/sbin", "/sbin"]
        for name in PRIVATE:
            mac = "/usr/local" if name == "usr_local" else f"/{name}"
            argv += ["--bind", str(self.root / name), mac]
        argv += ["--ro-bind", str(self.root / "etc" / "passwd"), "/etc/passwd"]
        argv += ["--ro-bind", str(self.root / "etc" / "group"), "/etc/group"]
        for host, inside in self.binds.items():
            argv += ["--ro-bind", host, inside]
        argv += ["--chdir", HOME, "--clearenv"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        return argv

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            "HOME": HOME,
            "USER": USER,
            "LOGNAME": USER,
            "SHELL": "/bin/zsh",
            "PATH": "/usr/bin:/bin:/usr/sbin:/sbin",  # macOS's default PATH
            "TMPDIR": "/tmp",
            "LANG": "en_US.UTF-8",
            "TERM": "dumb",
        }
        if self.model.rosetta:
            env["DTU_SANDBOX_TRANSLATED"] = "1"
        env.update(extra or {})
        return env

    def popen(
        self, argv: Sequence[str], env: Mapping[str, str] | None = None, **kwargs: object
    ) -> subprocess.Popen[str]:
        full = [*self.bwrap_argv(self.environment(env)), "--", *argv]
        return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
            full, text=True, **kwargs
        )

    def run(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        full = [*self.bwrap_argv(self.environment(env)), "--", *argv]
        return subprocess.run(
            full,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            check=False,
        )
