"""install.sh, run the way students run it (`curl ... | bash`: the script on stdin), against
a real HTTPS server on 127.0.0.1 serving the real zipapp. macOS itself cannot exist here, so
`uname`, `sysctl`, `xcode-select`, `softwareupdate`, `sudo` and `arch` are small stub
scripts first on PATH that record how they were called."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dist.conftest import PYTHON39, ROOT
from tests.helpers.download_server import DownloadServer

INSTALL_SH = ROOT / "install.sh"
CLT_LABEL = "Command Line Tools for Xcode-15.3"

# name -> sh body. Each appends its argv to $FAKE_LOG first.
FAKES: dict[str, str] = {
    "uname": """
case "$1" in
  -s) echo "${FAKE_UNAME_S:-Darwin}" ;;
  -m) echo "${FAKE_UNAME_M:-arm64}" ;;
  *) exec /bin/uname "$@" ;;
esac
""",
    # On an Intel Mac `sysctl.proc_translated` does not exist: sysctl fails.
    "sysctl": """
case "$2" in
  sysctl.proc_translated) [ -n "${FAKE_TRANSLATED:-}" ] || exit 1; echo "$FAKE_TRANSLATED" ;;
  hw.optional.arm64) [ -n "${FAKE_HW_ARM64:-}" ] || exit 1; echo "$FAKE_HW_ARM64" ;;
  *) exit 1 ;;
esac
""",
    "xcode-select": """
case "$1" in
  -p) [ -f "$FAKE_STATE/clt" ] || exit 2; echo /Library/Developer/CommandLineTools ;;
  *) exit 0 ;;
esac
""",
    "softwareupdate": """
case "$1" in
  -l)
    echo "Software Update Tool"
    echo "Software Update found the following new or updated software:"
    if [ -n "${FAKE_SU_LABEL:-}" ]; then
      echo "* Label: $FAKE_SU_LABEL"
      echo "	Title: Command Line Tools for Xcode, Version: 15.3, Recommended: YES,"
    fi
    ;;
  -i) touch "$FAKE_STATE/clt" ;;
esac
""",
    "sudo": """
[ "$1" = "-n" ] && shift
exec "$@"
""",
    # The tests may run as root (containers); a student never does.
    "id": """
case "$1" in
  -u) echo "${FAKE_UID:-501}" ;;
  *) exec /usr/bin/id "$@" ;;
esac
""",
    "arch": """
shift
exec "$@"
""",
}


@dataclass
class Bootstrap:
    server: DownloadServer
    home: Path
    fakes: Path
    state: Path
    log: Path
    zipapp: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.fakes}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LC_ALL": "C.UTF-8",
            "NONINTERACTIVE": "1",
            "DTU_INSTALL_NO_TELEMETRY": "1",
            "DTU_INSTALL_BASE_URL": self.server.url(""),
            "DTU_INSTALL_PYTHON": PYTHON39 or sys.executable,
            "CURL_CA_BUNDLE": self.server.ca_path,  # curl trusts the test CA
            "FAKE_STATE": str(self.state),
            "FAKE_LOG": str(self.log),
        }
        env.update(extra)
        return env

    def run(
        self, *args: str, shell: str = "bash", **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """`curl -fsSL .../install.sh | bash -s -- ARGS`."""
        return subprocess.run(
            [shell, "-s", "--", *args],
            input=INSTALL_SH.read_text(),
            capture_output=True,
            text=True,
            env=self.env(**extra),
            timeout=60,
            check=False,
        )

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    @property
    def cached(self) -> Path:
        return self.home / "Library" / "Caches" / "dtu-install" / "dtu-install.pyz"


def _write_fake(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f'#!/bin/sh\necho "{name} $*" >> "$FAKE_LOG"\n{body.lstrip()}')
    path.chmod(0o755)


@pytest.fixture
def boot(zipapp: Path, tmp_path: Path) -> Iterator[Bootstrap]:
    fakes, state, home = tmp_path / "fakes", tmp_path / "state", tmp_path / "home"
    for directory in (fakes, state, home):
        directory.mkdir(exist_ok=True)
    for name, body in FAKES.items():
        _write_fake(fakes, name, body)
    (state / "clt").touch()  # Command Line Tools present unless a test removes them
    digest = hashlib.sha256(zipapp.read_bytes()).hexdigest()
    with DownloadServer() as server:
        server.add("/dtu-install.pyz", zipapp)
        server.add("/dtu-install.pyz.sha256", f"{digest}  dtu-install.pyz\n".encode())
        yield Bootstrap(server, home, fakes, state, tmp_path / "calls.log", zipapp)


def test_shellcheck_finds_nothing() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: `make shellcheck` installs the Debian package"
    for dialect in ("sh", "bash"):
        result = subprocess.run(
            [shellcheck, "-s", dialect, str(INSTALL_SH)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_apple_silicon_fetches_verifies_and_runs_the_zipapp(boot: Bootstrap, shell: str) -> None:
    result = boot.run("--version", shell=shell)
    assert result.returncode == 0, result.stderr
    assert "This Mac: arm64" in result.stdout
    assert "dtu-install 0.1.0" in result.stdout  # the zipapp ran, with our arguments
    assert boot.cached.read_bytes() == boot.zipapp.read_bytes()
    assert boot.server.hits("/dtu-install.pyz") == 1
    assert not any(call.startswith("arch ") for call in boot.calls())
    assert not list(boot.cached.parent.glob("*.part"))


def test_second_run_reuses_the_verified_download(boot: Bootstrap) -> None:
    assert boot.run("--version").returncode == 0
    result = boot.run("--version")
    assert result.returncode == 0, result.stderr
    assert boot.server.hits("/dtu-install.pyz") == 1  # only the checksum is fetched again
    assert boot.server.hits("/dtu-install.pyz.sha256") == 2


# macOS's login shell is zsh, so `curl ... | zsh` gets pasted too; zsh does not split an
# unquoted `$var` into words and has a read-only `$status`.
SHELLS = [
    "bash",
    "sh",
    pytest.param(
        "zsh", marks=pytest.mark.skipif(shutil.which("zsh") is None, reason="no zsh here")
    ),
]


@pytest.mark.parametrize("shell", SHELLS)
def test_rosetta_terminal_gets_arm64_and_a_native_python(boot: Bootstrap, shell: str) -> None:
    result = boot.run("--version", shell=shell, FAKE_UNAME_M="x86_64", FAKE_TRANSLATED="1")
    assert result.returncode == 0, result.stderr
    assert "Apple silicon (arm64)" in result.stdout
    assert "runs under Rosetta" in result.stdout
    arch_calls = [c for c in boot.calls() if c.startswith("arch ")]
    assert len(arch_calls) == 1 and arch_calls[0].startswith("arch -arm64 ")
    assert "dtu-install 0.1.0" in result.stdout


def test_intel_mac(boot: Bootstrap) -> None:
    result = boot.run("--version", FAKE_UNAME_M="x86_64", FAKE_HW_ARM64="0")
    assert result.returncode == 0, result.stderr
    assert "This Mac: x86_64" in result.stdout
    assert not any(call.startswith("arch ") for call in boot.calls())


def test_refuses_root_before_downloading_anything(boot: Bootstrap) -> None:
    result = boot.run("--version", FAKE_UID="0")
    assert result.returncode == 1
    assert "do not run this with sudo" in result.stderr
    assert boot.server.requests == {}


def test_refuses_other_systems(boot: Bootstrap) -> None:
    result = boot.run("--version", FAKE_UNAME_S="Linux")
    assert result.returncode == 1
    assert "for macOS" in result.stderr and "Linux" in result.stderr
    assert "pythonsupport.dtu.dk" in result.stderr  # where to get help


def test_damaged_download_is_not_run(boot: Bootstrap) -> None:
    boot.server.add("/dtu-install.pyz", b"#!/usr/bin/env python3\nprint('tampered')\n")
    result = boot.run("--version")
    assert result.returncode == 1
    assert "damaged" in result.stderr
    assert "tampered" not in result.stdout
    assert not boot.cached.exists()
    assert not list(boot.cached.parent.glob("*"))  # no .part left behind


def test_pinned_checksum_wins_over_the_published_one(boot: Bootstrap) -> None:
    result = boot.run("--version", DTU_INSTALL_SHA256="0" * 64)
    assert result.returncode == 1
    assert "damaged" in result.stderr
    assert boot.server.hits("/dtu-install.pyz.sha256") == 0


def test_transient_server_error_is_retried(boot: Bootstrap) -> None:
    boot.server.add("/dtu-install.pyz", boot.zipapp, script=["status:503", "ok"])
    result = boot.run("--version")
    assert result.returncode == 0, result.stderr
    assert boot.server.hits("/dtu-install.pyz") == 2


def test_connection_cut_mid_file_is_retried(boot: Bootstrap) -> None:
    boot.server.add("/dtu-install.pyz", boot.zipapp, script=["drop:1000", "ok"])
    result = boot.run("--version")
    assert result.returncode == 0, result.stderr
    assert "attempt 1 of 4" in result.stderr
    assert boot.server.hits("/dtu-install.pyz") == 2
    assert boot.cached.read_bytes() == boot.zipapp.read_bytes()


def test_plain_http_is_refused(boot: Bootstrap) -> None:
    with DownloadServer(tls=False) as plain:
        plain.add("/dtu-install.pyz.sha256", b"0" * 64 + b"  dtu-install.pyz\n")
        result = boot.run("--version", DTU_INSTALL_BASE_URL=plain.url(""))
        assert plain.requests == {}
    assert result.returncode == 1
    assert "could not download" in result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_ctrl_c_during_the_download_cleans_up_and_says_so(boot: Bootstrap, shell: str) -> None:
    boot.server.add("/dtu-install.pyz", boot.zipapp, rate=100_000)  # seconds, not ms
    part = boot.cached.with_name("dtu-install.pyz.part")
    process = subprocess.Popen(
        [shell, "-s", "--", "--version"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=boot.env(),
        start_new_session=True,  # its own process group, as a Terminal tab's job is
    )
    assert process.stdin is not None
    process.stdin.write(INSTALL_SH.read_text())
    process.stdin.close()
    deadline = time.monotonic() + 20
    while not part.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert part.exists(), "the download never started"
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    process.wait(timeout=30)
    assert process.stderr is not None
    stderr = process.stderr.read()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "pythonsupport.dtu.dk" in stderr
    assert not list(boot.cached.parent.glob("*"))  # no .part left behind


def test_missing_release_says_404_not_internet(boot: Bootstrap) -> None:
    del boot.server.files["/dtu-install.pyz"]
    result = boot.run("--version")
    assert result.returncode == 1
    assert "no such file (HTTP 404)" in result.stderr
    assert "internet connection" not in result.stderr


def test_redirect_to_plain_http_is_refused_and_says_why(boot: Bootstrap) -> None:
    boot.server.add_redirect("/dtu-install.pyz", "http://127.0.0.1:9/dtu-install.pyz")
    result = boot.run("--version")
    assert result.returncode == 1
    assert "only HTTPS is accepted" in result.stderr
    assert not list(boot.cached.parent.glob("*"))


def test_full_disk_says_so(boot: Bootstrap) -> None:
    # /dev/full fails every write with ENOSPC, as a full disk does (no tmpfs mount needed).
    boot.cached.parent.mkdir(parents=True)
    boot.cached.with_name("dtu-install.pyz.part").symlink_to("/dev/full")
    result = boot.run("--version")
    assert result.returncode == 1
    assert "is the disk full?" in result.stderr
    assert not list(boot.cached.parent.glob("*"))


def test_missing_checksum_file_is_one_clear_error(boot: Bootstrap) -> None:
    del boot.server.files["/dtu-install.pyz.sha256"]  # 404
    result = boot.run("--version")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("dtu-install:")]
    assert "dtu-install.pyz.sha256" in errors[0]
    assert len(errors) == 2, result.stderr  # the reason and the support link, once
    assert "not a sha256" not in result.stderr
    assert boot.server.hits("/dtu-install.pyz") == 0


@pytest.mark.parametrize("shell", SHELLS)
def test_missing_command_line_tools_are_installed_headless(boot: Bootstrap, shell: str) -> None:
    (boot.state / "clt").unlink()
    result = boot.run("--version", shell=shell, FAKE_SU_LABEL=CLT_LABEL)
    assert result.returncode == 0, result.stderr
    calls = boot.calls()
    assert f"sudo -n softwareupdate -i {CLT_LABEL}" in calls
    assert "dtu-install 0.1.0" in result.stdout


def test_missing_command_line_tools_without_a_person_says_what_to_do(boot: Bootstrap) -> None:
    (boot.state / "clt").unlink()
    result = boot.run("--version")  # softwareupdate lists nothing
    assert result.returncode == 1
    assert "xcode-select --install" in result.stderr
    assert boot.server.requests == {}


def test_no_arguments_means_run_the_default_profile(boot: Bootstrap) -> None:
    # A stand-in Python that shows what it was asked to run (the real `run` would install).
    fake_python = boot.fakes / "python3"
    fake_python.write_text('#!/bin/sh\n[ "$1" = "-c" ] && exit 0\necho "python $*"\n')
    fake_python.chmod(0o755)
    result = boot.run(DTU_INSTALL_PYTHON=str(fake_python))
    assert result.returncode == 0, result.stderr
    assert f"python {boot.cached} run" in result.stdout
