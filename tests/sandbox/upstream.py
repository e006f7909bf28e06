"""The upstream simulator of the Mac sandbox: the publishers' URL layouts
(tests/helpers/publishers.py, where they are cited) serving small artefacts that behave like
the real ones (tests/sandbox/artefacts.py: installers, a VS Code zip, Homebrew's install.sh),
plus conda's channel (conda.anaconda.org/conda-forge/<subdir>/repodata.json), reached by the
sandbox's conda through CONDA_CHANNEL_ALIAS.

Two versions of everything: the one the recipes pin and a newer "latest" with other bytes, so
a recipe pointed back at a `latest` URL gets different bytes, and no `.sha256` at all for the
unversioned Miniforge copies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import ClassVar

from tests.helpers.download_server import DownloadServer
from tests.helpers.publishers import (
    ARCHES,
    HOSTS,
    PublisherSite,
    homebrew_url,
    miniforge_url,
    vscode_commit,
    vscode_url,
)
from tests.sandbox import artefacts, conda_packages
from tests.sandbox.artefacts import HostPythons


@dataclass(frozen=True)
class Versions:
    miniforge_pinned: str = "25.3.1-0"
    miniforge_latest: str = "26.3.2-3"  # conda-forge/miniforge Miniforge3/construct.yaml
    vscode_pinned: str = "1.105.1"
    vscode_latest: str = "1.106.3"
    homebrew_pinned: str = "0" * 40
    homebrew_latest: str = "ca0130bd52235f2fcb2bf23cfdda004bc5d250c1"  # Homebrew/install HEAD


@dataclass
class Upstream(PublisherSite):
    pythons: HostPythons
    versions: Versions = field(default_factory=Versions)
    hosts: ClassVar[tuple[str, ...]] = (*HOSTS, "conda.anaconda.org")

    def __post_init__(self) -> None:
        v = self.versions
        for tag in (v.miniforge_pinned, v.miniforge_latest):
            installers = {a: artefacts.miniforge_installer(tag, a, self.pythons) for a in ARCHES}
            self.publish_miniforge_release(tag, installers, latest=tag == v.miniforge_latest)
        for version in (v.vscode_pinned, v.vscode_latest):
            for arch in ARCHES:
                data = artefacts.vscode_zip(version, vscode_commit(version), arch, self.pythons)
                self.publish_vscode_build(version, arch, data, latest=version == v.vscode_latest)
        for commit in (v.homebrew_pinned, v.homebrew_latest):
            data = artefacts.homebrew_install(commit)
            self.publish_homebrew_install(commit, data, newest=commit == v.homebrew_latest)
        self._conda_channel()

    @property
    def channel_alias(self) -> str:
        return self.server.url("/conda.anaconda.org")

    def _conda_channel(self) -> None:
        """conda-forge's layout (`<channel>/<subdir>/repodata.json` and the package files
        beside it) with the packages of tests/sandbox/conda_packages.py."""
        for subdir, (repodata, files) in conda_packages.channel().items():
            base = f"https://conda.anaconda.org/conda-forge/{subdir}"
            self._json(f"{base}/repodata.json", repodata)
            for fn, data in files.items():
                self._file(f"{base}/{fn}", data, "application/x-tar")


def canonical_url(step: str, version: str, arch: str) -> str | None:
    """Where the publisher keeps `version` of a download step's file for `arch` (None: a step
    the simulator does not know)."""
    if step == "miniforge_download":
        return miniforge_url(version, arch)
    if step == "vscode_download":
        return vscode_url(version, arch)
    if step == "homebrew_download":
        return homebrew_url(version)
    return None


def pinned_versions(pins: dict[str, str | None]) -> Versions:
    """The versions the recipes pin (download step -> `version`), and a newer "latest" for
    each; components the recipes do not pin keep the defaults."""
    found: dict[str, str] = {}
    if version := pins.get("miniforge_download"):
        found["miniforge_pinned"] = version
        found["miniforge_latest"] = f"{int(version.split('.')[0]) + 1}.1.0-0"  # newer
    if version := pins.get("vscode_download"):
        found["vscode_pinned"] = version
        major, minor = version.split(".")[:2]
        found["vscode_latest"] = f"{major}.{int(minor) + 1}.0"
    if version := pins.get("homebrew_download"):
        found["homebrew_pinned"] = version
    return Versions(**found)


def add_dtu_install_release(server: DownloadServer, pyz: bytes) -> str:
    """dtu-install's own release, where install.sh looks (`releases/latest/download/` +
    dtu-install.pyz and its `.sha256`), served directly: install.sh fetches with curl, which
    knows no mirrors, so no redirect may point at the real github.com. Returns the base URL."""
    base = "/github.com/dtudk/dtu-install/releases/latest/download"
    server.add(f"{base}/dtu-install.pyz", pyz)
    server.add(
        f"{base}/dtu-install.pyz.sha256",
        f"{hashlib.sha256(pyz).hexdigest()}  dtu-install.pyz\n".encode(),
    )
    return server.url(base)
