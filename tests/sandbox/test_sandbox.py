"""The Mac sandbox itself: its stub macOS programs answer like the real ones in each mode,
it leaves nothing on the host, and the upstream simulator serves the publishers' layouts
through DTU_INSTALL_MIRRORS."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.helpers.download_server import DownloadServer
from tests.sandbox.harness import host_pythons
from tests.sandbox.mac import MacModel, MacSandbox
from tests.sandbox.upstream import Upstream

pytestmark = pytest.mark.slow

FACTS = (
    "uname -s; uname -m; arch; /usr/bin/arch -arm64 /usr/bin/uname -m; "
    "sysctl -n hw.optional.arm64; sysctl -n sysctl.proc_translated; sw_vers -productVersion; id -u"
)


def _sandbox(tmp_path: Path, model: MacModel, sandbox_pythons: tuple[object, str]) -> MacSandbox:
    return MacSandbox(tmp_path / "mac", model, sandbox_pythons[1])


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Apple silicon, native: arm64 everywhere, not translated.
        (MacModel(), "Darwin arm64 arm64 arm64 1 0 15.1 501"),
        # Apple silicon, Terminal under Rosetta 2: uname -m and arch say Intel, sysctl gives
        # it away, `arch -arm64` runs natively.
        (MacModel(rosetta=True), "Darwin x86_64 i386 arm64 1 1 15.1 501"),
        # Intel: no arm64 to switch to, no such sysctl keys (empty: the command failed).
        (MacModel(arch="x86_64", macos="14.5"), "Darwin x86_64 i386 14.5 501"),
    ],
)
def test_stub_facts_per_mode(
    tmp_path: Path, sandbox_pythons: tuple[object, str], model: MacModel, expected: str
) -> None:
    done = _sandbox(tmp_path, model, sandbox_pythons).run(["/bin/sh", "-c", FACTS])
    assert " ".join(done.stdout.split()) == expected
    if model.arch == "x86_64":
        assert "Bad CPU type in executable" in done.stderr
        assert "sysctl: unknown oid 'hw.optional.arm64'" in done.stderr


def test_translation_is_inherited_and_left_by_arch(
    tmp_path: Path, sandbox_pythons: tuple[object, str]
) -> None:
    box = _sandbox(tmp_path, MacModel(rosetta=True), sandbox_pythons)
    done = box.run(
        [
            "/bin/sh",
            "-c",
            "sh -c 'uname -m'; /usr/bin/arch -arm64 /bin/sh -c 'uname -m; sh -c \"uname -m\"'",
        ]
    )
    assert done.stdout.split() == ["x86_64", "arm64", "arm64"]


def test_command_line_tools_headless_install(
    tmp_path: Path, sandbox_pythons: tuple[object, str]
) -> None:
    """softwareupdate lists the tools only with the placeholder file, in no fixed order;
    `-i LABEL` installs them; /usr/bin/python3 works only afterwards."""
    box = _sandbox(tmp_path, MacModel(clt="missing"), sandbox_pythons)
    before = box.run(
        ["/bin/sh", "-c", "xcode-select -p; echo rc=$?; /usr/bin/python3 -c 1; echo rc=$?"]
    )
    assert "rc=2" in before.stdout and "rc=1" in before.stdout
    assert "No developer tools were found, requesting install." in before.stderr
    hidden = box.run(["/usr/sbin/softwareupdate", "-l"])
    assert "No new software available." in hidden.stderr and "Label:" not in hidden.stdout
    placeholder = "/tmp/.com.apple.dt.CommandLineTools.installondemand.in-progress"
    orders = set()
    for _ in range(6):
        listing = box.run(["/bin/sh", "-c", f"touch {placeholder}; /usr/sbin/softwareupdate -l"])
        labels = [
            line[len("* Label: ") :]
            for line in listing.stdout.splitlines()
            if line.startswith("* Label: ")
        ]
        assert (
            len(labels) == 4
            and "\tTitle: Command Line Tools for Xcode 26.1, Version: 26.1," in listing.stdout
        )
        orders.add(tuple(labels))
    assert len(orders) > 1  # no fixed order
    done = box.run(
        [
            "/bin/sh",
            "-c",
            "/usr/bin/sudo /usr/sbin/softwareupdate -i 'Command Line Tools for Xcode 26.1-26.1'"
            " && xcode-select -p && /usr/bin/python3 -c 'import sys; print(sys.version_info[:2])'",
        ]
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["/Library/Developer/CommandLineTools", "(3, 9)"]
    assert (box.host_path("/Library/Developer/CommandLineTools/usr/bin/git")).is_symlink()
    assert (
        "/usr/sbin/softwareupdate -i" in box.host_path("/Library/Logs/sandbox-sudo.log").read_text()
    )


def test_no_command_line_tools_offered(tmp_path: Path, sandbox_pythons: tuple[object, str]) -> None:
    box = _sandbox(tmp_path, MacModel(clt="none_offered", macos="26.1"), sandbox_pythons)
    placeholder = "/tmp/.com.apple.dt.CommandLineTools.installondemand.in-progress"
    listing = box.run(["/bin/sh", "-c", f"touch {placeholder}; /usr/sbin/softwareupdate -l"])
    assert "No new software available." in listing.stderr and "Label:" not in listing.stdout


def test_ditto_keeps_modes_and_links(tmp_path: Path, sandbox_pythons: tuple[object, str]) -> None:
    found = host_pythons()
    assert not isinstance(found, str)
    from tests.sandbox.artefacts import vscode_zip

    box = _sandbox(tmp_path, MacModel(), sandbox_pythons)
    (box.host_path("/Users/student") / "VSCode.zip").write_bytes(
        vscode_zip("1.0.0", "c" * 40, "arm64", found[0])
    )
    done = box.run(["/usr/bin/ditto", "-x", "-k", "VSCode.zip", "/Applications"])
    assert done.returncode == 0, done.stderr
    app = box.host_path("/Applications/Visual Studio Code.app/Contents")
    assert os.access(app / "Resources/app/bin/code", os.X_OK)
    link = app / "Frameworks/Electron Framework.framework/Electron Framework"
    assert link.is_symlink() and os.readlink(link) == "Versions/Current/Electron Framework"


def _host_snapshot() -> dict[str, object]:
    """What a sandbox could plausibly leave on the host: the top level, the Mac-only paths,
    the directories it binds over or stubs, and /tmp's CLT placeholder."""
    paths = ["/", "/usr", "/usr/bin", "/usr/sbin", "/usr/local", "/opt", "/etc", "/run", "/tmp"]
    snapshot: dict[str, object] = {p: sorted(os.listdir(p)) for p in paths}
    for mac_only in ("/Applications", "/Library", "/Users", "/Volumes", "/opt/homebrew"):
        snapshot[mac_only] = os.path.lexists(mac_only)
    for name in ("passwd", "group"):
        snapshot[f"/etc/{name}"] = hashlib.sha256(Path(f"/etc/{name}").read_bytes()).hexdigest()
    return snapshot


@pytest.fixture
def host_unchanged() -> Iterator[None]:
    before = _host_snapshot()
    yield
    after = _host_snapshot()
    # /tmp is shared with other tests running at the same time: compare only what a sandbox
    # would write there.
    for snap in (before, after):
        snap["/tmp"] = [n for n in snap["/tmp"] if n.startswith(".com.apple")]  # type: ignore[union-attr]
    assert after == before


def test_nothing_is_left_on_the_host(
    tmp_path: Path, sandbox_pythons: tuple[object, str], host_unchanged: None
) -> None:
    """A sandbox that writes everywhere a Mac installer writes leaves it all under its own
    root; bubblewrap created no mount target on the host."""
    box = _sandbox(tmp_path, MacModel(clt="missing"), sandbox_pythons)
    script = (
        "set -e; mkdir -p /Applications/X.app /Library/Developer /opt/homebrew/bin /usr/local/bin;"
        " touch /tmp/.com.apple.dt.CommandLineTools.installondemand.in-progress ~/.zprofile"
        " /usr/local/bin/brew /opt/homebrew/bin/brew;"
        " /usr/bin/sudo /usr/sbin/softwareupdate -i 'Command Line Tools for Xcode 26.1-26.1'"
        " >/dev/null;"
        " ! touch /usr/bin/new 2>/dev/null; ! touch /etc/new 2>/dev/null; echo ok"
    )
    done = box.run(["/bin/sh", "-c", script])
    assert done.stdout.strip() == "ok", done.stderr
    for mac_path in (
        "/Applications/X.app",
        "/opt/homebrew/bin/brew",
        "/usr/local/bin/brew",
        "/Users/student/.zprofile",
        "/tmp/.com.apple.dt.CommandLineTools.installondemand.in-progress",
        "/Library/Developer/CommandLineTools/usr/bin/git",
    ):
        assert os.path.lexists(box.host_path(mac_path)), mac_path


def test_simulator_layouts_through_mirrors(sandbox_pythons: tuple[object, str]) -> None:
    """The publishers' layouts as a client sees them through the mirror entries."""
    found = host_pythons()
    assert not isinstance(found, str)
    with DownloadServer() as server:
        up = Upstream(server, found[0])
        mirrors = dict(entry.split("=", 1) for entry in up.mirrors.split())

        def get(url: str, redirects: bool = False) -> requests.Response:
            prefix = max((p for p in mirrors if url.startswith(p)), key=len)
            return requests.get(
                mirrors[prefix] + url[len(prefix) :],
                verify=server.ca_path,
                allow_redirects=False,
                timeout=10,
            )

        v = up.versions
        gh = "https://github.com/conda-forge/miniforge/releases"
        latest = get(f"{gh}/latest")
        assert (latest.status_code, latest.headers["Location"]) == (
            302,
            f"{gh}/tag/{v.miniforge_latest}",
        )
        moved = get(f"{gh}/latest/download/Miniforge3-MacOSX-arm64.sh")
        assert (
            moved.headers["Location"]
            == f"{gh}/download/{v.miniforge_latest}/Miniforge3-MacOSX-arm64.sh"
        )
        # No .sha256 beside the unversioned copy: the redirect leads to a 404.
        sums = get(f"{gh}/latest/download/Miniforge3-MacOSX-arm64.sh.sha256")
        assert get(sums.headers["Location"]).status_code == 404
        # The versioned installer: 302 to a signed asset URL; its .sha256 is sha256sum's line.
        name = f"Miniforge3-{v.miniforge_pinned}-MacOSX-arm64.sh"
        asset = get(f"{gh}/download/{v.miniforge_pinned}/{name}")
        assert asset.headers["Location"].startswith("https://release-assets.githubusercontent.com/")
        body = get(asset.headers["Location"]).content
        line = get(
            get(f"{gh}/download/{v.miniforge_pinned}/{name}.sha256").headers["Location"]
        ).text
        assert line == f"{hashlib.sha256(body).hexdigest()}  {name}\n"
        assert body.startswith(b"#!/bin/sh") and b"@@END_HEADER@@" in body
        api = get("https://api.github.com/repos/conda-forge/miniforge/releases/latest").json()
        assert api["tag_name"] == v.miniforge_latest
        digests = {a["name"]: a["digest"] for a in api["assets"]}
        newer = f"Miniforge3-{v.miniforge_latest}-MacOSX-arm64.sh"
        assert (
            digests[newer]
            == "sha256:"
            + hashlib.sha256(
                up.content(f"{gh}/download/{v.miniforge_latest}/{newer}") or b""
            ).hexdigest()
        )
        assert up.content(f"{gh}/download/{v.miniforge_latest}/{newer}") != body  # other bytes
        # VS Code: the update API's url and sha256hash describe the file `latest` redirects to.
        update = get(
            "https://update.code.visualstudio.com/api/update/darwin-arm64/stable/latest"
        ).json()
        redirect = get("https://update.code.visualstudio.com/latest/darwin-arm64/stable")
        assert redirect.headers["Location"] == update["url"]
        assert update["url"].endswith(f"/{update['version']}/VSCode-darwin-arm64.zip")
        assert hashlib.sha256(get(update["url"]).content).hexdigest() == update["sha256hash"]
        assert json.loads(json.dumps(update))["productVersion"] == v.vscode_latest
        brew = get(
            f"https://raw.githubusercontent.com/Homebrew/install/{v.homebrew_latest}/install.sh"
        )
        assert brew.status_code == 200 and b"Don't run this as root!" in brew.content


def test_stubs_pass_shellcheck() -> None:
    """The stubs run under macOS's /bin/sh; Homebrew's installer stand-in under bash."""
    here = Path(__file__).resolve().parent
    stubs = [p for p in sorted((here / "stubs").iterdir()) if p.read_text().startswith("#!/bin/sh")]
    done = subprocess.run(
        ["shellcheck", "-s", "sh", *map(str, stubs)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout
    brew = here / "programs" / "homebrew-install.sh"
    done = subprocess.run(
        ["shellcheck", "-s", "bash", str(brew)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout
