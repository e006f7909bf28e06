"""install.sh, run the way students run it (`curl ... | bash`: the script on stdin), against
a real HTTPS server on 127.0.0.1 serving the real zipapp. macOS itself cannot exist here, so
`uname`, `sysctl`, `xcode-select`, `softwareupdate`, `sudo` and `arch` are small stub
scripts first on PATH that record how they were called."""

from __future__ import annotations

import hashlib
import os
import random
import re
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
    # `-l` hangs with FAKE_SU_HANG (Apple's server not answering), prints $FAKE_STATE/listing
    # when there is one; `-i` installs: git appears and `xcode-select -p` passes.
    "softwareupdate": """
case "$1" in
  -l)
    echo $$ > "$FAKE_STATE/lister.pid"
    [ -n "${FAKE_SU_HANG:-}" ] && exec sleep 600
    echo "Software Update Tool"
    echo "Software Update found the following new or updated software:"
    if [ -f "$FAKE_STATE/listing" ]; then cat "$FAKE_STATE/listing"; fi
    if [ -n "${FAKE_SU_LABEL:-}" ]; then
      echo "* Label: $FAKE_SU_LABEL"
      echo "	Title: Command Line Tools for Xcode, Version: 15.3, Recommended: YES,"
    fi
    ;;
  -i)
    touch "$FAKE_STATE/clt"
    mkdir -p "$FAKE_CLT_DIR/usr/bin" && touch "$FAKE_CLT_DIR/usr/bin/git"
    ;;
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
            "FAKE_CLT_DIR": str(self.clt_dir),
        }
        env.update(extra)
        return env

    @property
    def clt_dir(self) -> Path:
        return self.state / "CommandLineTools"

    def script(self, **settings: str) -> str:
        """install.sh as published, except that the Command Line Tools folder (a fixed path
        under /Library on a Mac) is in this test's directory, and any `NAME=value` settings
        given here (e.g. a shorter CLT_LIST_SECONDS)."""
        text = INSTALL_SH.read_text()
        settings = {"CLT_DIR": f'"{self.clt_dir}"', **settings}
        for name, value in settings.items():
            text, count = re.subn(rf"^{name}=\S+", f"{name}={value}", text, flags=re.M)
            assert count == 1, name
        return text

    def run(
        self, *args: str, shell: str = "bash", script: str | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """`curl -fsSL .../install.sh | bash -s -- ARGS`."""
        return subprocess.run(
            [shell, "-s", "--", *args],
            input=self.script() if script is None else script,
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
    (state / "CommandLineTools" / "usr" / "bin").mkdir(parents=True)
    (state / "CommandLineTools" / "usr" / "bin" / "git").touch()
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
    process.stdin.write(boot.script())
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
    """Software Update offers none (macOS 26.1, Homebrew/install issue 1090): plain steps."""
    (boot.state / "clt").unlink()
    result = boot.run("--version")  # softwareupdate lists nothing
    assert result.returncode == 1
    assert "Software Update offers no Command Line Tools for this Mac." in result.stderr
    assert "Open https://developer.apple.com/download/all/ in a web browser" in result.stderr
    assert "xcode-select --install" in result.stderr
    assert boot.server.requests == {}
    assert not any("xcode-select --install" in c for c in boot.calls())  # no GUI: nobody there


def _clt_entry(label: str, version: str) -> str:
    return f"* Label: {label}\n\tTitle: Command Line Tools, Version: {version}, Size: 1KiB,\n"


@pytest.mark.parametrize(
    ("seed", "shell"),
    [
        (0, "bash"),
        (1, "sh"),
        pytest.param(
            2,
            "zsh",
            marks=pytest.mark.skipif(shutil.which("zsh") is None, reason="no zsh here"),
        ),
    ],
)
def test_the_newest_command_line_tools_label_by_version(
    boot: Bootstrap, seed: int, shell: str
) -> None:
    """Xcode 26 labels ("... 26.0-26.0") sort before "...Xcode-16.4" in `sort -V`."""
    entries = [
        _clt_entry("Command Line Tools for Xcode-16.4", "16.4"),
        _clt_entry("Command Line Tools for Xcode 26.0-26.0", "26.0"),
        _clt_entry("Command Line Tools for Xcode-15.3", "15.3"),
        _clt_entry("Safari26.2SequoiaAuto-26.2", "26.2"),
    ]
    random.Random(seed).shuffle(entries)
    (boot.state / "listing").write_text("".join(entries))
    (boot.state / "clt").unlink()
    result = boot.run("--version", shell=shell)
    assert result.returncode == 0, result.stderr
    installs = [c for c in boot.calls() if c.startswith("softwareupdate -i")]
    assert installs == ["softwareupdate -i Command Line Tools for Xcode 26.0-26.0"]


def test_xcode_select_alone_is_not_enough(boot: Bootstrap) -> None:
    """`xcode-select -p` passes but git is gone (a macOS upgrade): the tools are installed."""
    shutil.rmtree(boot.clt_dir)
    result = boot.run("--version", FAKE_SU_LABEL=CLT_LABEL)
    assert result.returncode == 0, result.stderr
    assert f"sudo -n softwareupdate -i {CLT_LABEL}" in boot.calls()
    assert (boot.clt_dir / "usr" / "bin" / "git").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_a_hanging_softwareupdate_list_is_cut_off_and_explained(
    boot: Bootstrap, shell: str
) -> None:
    (boot.state / "clt").unlink()
    started = time.monotonic()
    result = boot.run(
        "--version", shell=shell, script=boot.script(CLT_LIST_SECONDS="2"), FAKE_SU_HANG="1"
    )
    assert time.monotonic() - started < 20  # cut off after 2 s, not the stub's 600 s
    assert result.returncode == 1
    assert "softwareupdate -l timed out" in result.stderr
    assert "no answer within 2 s" in result.stderr
    assert "https://developer.apple.com/download/all/" in result.stderr
    assert "Software Update offers no Command Line Tools" not in result.stderr
    assert not any("softwareupdate -i" in c for c in boot.calls())
    lister = int((boot.state / "lister.pid").read_text())
    with pytest.raises(ProcessLookupError):  # the hung lister was killed, not left behind
        os.kill(lister, 0)


def test_no_arguments_means_run_the_default_profile(boot: Bootstrap) -> None:
    # A stand-in Python that shows what it was asked to run (the real `run` would install).
    fake_python = boot.fakes / "python3"
    fake_python.write_text('#!/bin/sh\n[ "$1" = "-c" ] && exit 0\necho "python $*"\n')
    fake_python.chmod(0o755)
    result = boot.run(DTU_INSTALL_PYTHON=str(fake_python))
    assert result.returncode == 0, result.stderr
    assert f"python {boot.cached} run" in result.stdout
