"""The upstream simulator: one local HTTPS server (tests/helpers/download_server.py, a
throw-away CA from trustme) that reproduces the publishers' URL layouts under
`/<host>/<path>`, reached through DTU_INSTALL_MIRRORS
(`https://github.com/=https://127.0.0.1:PORT/github.com/ ...`).

Layouts, from the publishers' own files:
- Miniforge (conda-forge/miniforge): each release has `Miniforge3-<tag>-MacOSX-<arch>.sh` with a
  `.sha256` beside it holding the `sha256sum` line (scripts/build.sh), and unversioned copies
  `Miniforge3-MacOSX-<arch>.sh` without one (.github/workflows/ci.yml, "Copy for latest
  release"). GitHub answers `releases/download/<tag>/<asset>` with a 302 to a signed
  release-assets.githubusercontent.com URL, `releases/latest/download/<asset>` with a 302 to the
  latest tag's asset, `releases/latest` with a 302 to `releases/tag/<tag>`, and the releases API
  (`api.github.com/repos/<o>/<r>/releases/latest`, `/releases/tags/<tag>`) with `tag_name` and
  `assets[]` (`name`, `size`, `browser_download_url`, `digest` = "sha256:<hex>").
- VS Code (update.code.visualstudio.com): `<version|latest>/<platform>/stable` answers a 302 to
  `vscode.download.prss.microsoft.com/dbazure/download/stable/<commit>/VSCode-<platform>.zip`;
  `api/update/<platform>/stable/latest` answers JSON whose fields are microsoft/vscode
  src/vs/platform/update/common/update.ts `IUpdate` (`version` = commit, `productVersion`,
  `timestamp`, `url`, `sha256hash`). Platforms: darwin-arm64, darwin (Intel).
- Homebrew's installer: raw.githubusercontent.com/Homebrew/install/<ref>/install.sh for HEAD and
  commits; api.github.com/repos/Homebrew/install/commits/HEAD gives the newest `sha`.
- conda's channel (conda.anaconda.org/conda-forge/<subdir>/repodata.json), reached by the
  sandbox's conda through CONDA_CHANNEL_ALIAS.

Two versions of everything: the one the recipes pin and a newer "latest" with other bytes, so
a recipe pointed back at a `latest` URL gets different bytes, and no `.sha256` at all for the
unversioned Miniforge copies.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.helpers.download_server import DownloadServer
from tests.sandbox import artefacts, conda_packages
from tests.sandbox.artefacts import HostPythons

ARCHES = ("arm64", "x86_64")
VSCODE_PLATFORM = {"arm64": "darwin-arm64", "x86_64": "darwin"}
MIRRORED_HOSTS = (
    "github.com",
    "api.github.com",
    "release-assets.githubusercontent.com",
    "raw.githubusercontent.com",
    "update.code.visualstudio.com",
    "vscode.download.prss.microsoft.com",
    "conda.anaconda.org",
)
MINIFORGE = "conda-forge/miniforge"
MINIFORGE_REPO_ID = "221584272"  # GitHub's numeric repository id in asset URLs (opaque)


@dataclass(frozen=True)
class Versions:
    miniforge_pinned: str = "25.3.1-0"
    miniforge_latest: str = "26.3.2-3"  # conda-forge/miniforge Miniforge3/construct.yaml
    vscode_pinned: str = "1.105.1"
    vscode_latest: str = "1.106.3"
    homebrew_pinned: str = "0" * 40
    homebrew_latest: str = "ca0130bd52235f2fcb2bf23cfdda004bc5d250c1"  # Homebrew/install HEAD


def _commit_of(version: str) -> str:
    return hashlib.sha1(f"vscode {version}".encode()).hexdigest()


@dataclass
class Upstream:
    server: DownloadServer
    pythons: HostPythons
    versions: Versions = field(default_factory=Versions)

    def __post_init__(self) -> None:
        self._miniforge()
        self._vscode()
        self._homebrew()
        self._conda_channel()

    # ------------------------------------------------------------- addresses
    def path(self, url: str) -> str:
        """The server path that serves a publisher's URL (`https://host/p` -> `/host/p`)."""
        parts = urlsplit(url)
        return f"/{parts.netloc}{parts.path}"

    @property
    def mirrors(self) -> str:
        """DTU_INSTALL_MIRRORS pointing every publisher at this server."""
        return " ".join(
            f"https://{host}/={self.server.url('/' + host + '/')}" for host in MIRRORED_HOSTS
        )

    @property
    def channel_alias(self) -> str:
        return self.server.url("/conda.anaconda.org")

    def _json(self, url: str, data: object) -> None:
        body = json.dumps(data, indent=2).encode()
        self.server.add(self.path(url), body, headers={"Content-Type": "application/json"})

    def _redirect(self, url: str, location: str) -> None:
        self.server.add_redirect(self.path(url), location)

    # ------------------------------------------------------------ publishers
    def _github_asset(self, repo: str, tag: str, name: str, data: bytes) -> dict[str, object]:
        asset_id = hashlib.sha256(f"{repo} {tag} {name}".encode()).hexdigest()[:32]
        signed = (
            f"https://release-assets.githubusercontent.com/github-production-release-asset/"
            f"{MINIFORGE_REPO_ID}/{asset_id}"
        )
        self.server.add(
            self.path(signed), data, headers={"Content-Type": "application/octet-stream"}
        )
        download = f"https://github.com/{repo}/releases/download/{tag}/{name}"
        self._redirect(download, f"{signed}?sp=r&sr=b&rscd=attachment%3B+filename%3D{name}")
        return {
            "name": name,
            "size": len(data),
            "browser_download_url": download,
            "digest": f"sha256:{artefacts.sha256(data)}",
            "content_type": "application/x-sh",
        }

    def _miniforge(self) -> None:
        v = self.versions
        for tag in (v.miniforge_pinned, v.miniforge_latest):
            assets = []
            for arch in ARCHES:
                data = artefacts.miniforge_installer(tag, arch, self.pythons)
                name = f"Miniforge3-{tag}-MacOSX-{arch}.sh"
                line = f"{artefacts.sha256(data)}  {name}\n".encode()
                assets.append(self._github_asset(MINIFORGE, tag, name, data))
                assets.append(self._github_asset(MINIFORGE, tag, f"{name}.sha256", line))
                # The unversioned copies: no .sha256 beside them.
                for alias in (f"Miniforge3-MacOSX-{arch}.sh", f"Miniforge3-Darwin-{arch}.sh"):
                    assets.append(self._github_asset(MINIFORGE, tag, alias, data))
            release = {
                "tag_name": tag,
                "name": tag,
                "html_url": f"https://github.com/{MINIFORGE}/releases/tag/{tag}",
                "draft": False,
                "prerelease": False,
                "assets": assets,
            }
            self._json(f"https://api.github.com/repos/{MINIFORGE}/releases/tags/{tag}", release)
            if tag == v.miniforge_latest:
                self._json(f"https://api.github.com/repos/{MINIFORGE}/releases/latest", release)
                base = f"https://github.com/{MINIFORGE}/releases"
                self._redirect(f"{base}/latest", f"{base}/tag/{tag}")
                for asset in assets:
                    for name in (asset["name"], f"{asset['name']}.sha256"):
                        self._redirect(
                            f"{base}/latest/download/{name}", f"{base}/download/{tag}/{name}"
                        )

    def _vscode(self) -> None:
        v = self.versions
        for version in (v.vscode_pinned, v.vscode_latest):
            commit = _commit_of(version)
            for arch in ARCHES:
                platform = VSCODE_PLATFORM[arch]
                data = artefacts.vscode_zip(version, commit, arch, self.pythons)
                url = (
                    "https://vscode.download.prss.microsoft.com/dbazure/download/stable/"
                    f"{commit}/VSCode-{platform}.zip"
                )
                self.server.add(self.path(url), data, headers={"Content-Type": "application/zip"})
                update = "https://update.code.visualstudio.com"
                self._redirect(f"{update}/{version}/{platform}/stable", url)
                self._redirect(f"{update}/commit:{commit}/{platform}/stable", url)
                if version == v.vscode_latest:
                    self._redirect(f"{update}/latest/{platform}/stable", url)
                    self._json(
                        f"{update}/api/update/{platform}/stable/latest",
                        {
                            "url": url,
                            "name": version,
                            "version": commit,
                            "productVersion": version,
                            "hash": hashlib.sha1(data).hexdigest(),
                            "timestamp": 1764000000000,
                            "sha256hash": artefacts.sha256(data),
                            "supportsFastUpdate": True,
                        },
                    )

    def _homebrew(self) -> None:
        v = self.versions
        for ref in ("HEAD", v.homebrew_pinned, v.homebrew_latest):
            commit = v.homebrew_latest if ref == "HEAD" else ref
            data = artefacts.homebrew_install(commit)
            self.server.add(
                self.path(f"https://raw.githubusercontent.com/Homebrew/install/{ref}/install.sh"),
                data,
            )
        self._json(
            "https://api.github.com/repos/Homebrew/install/commits/HEAD",
            {
                "sha": v.homebrew_latest,
                "html_url": f"https://github.com/Homebrew/install/commit/{v.homebrew_latest}",
            },
        )

    def _conda_channel(self) -> None:
        """conda-forge's layout (`<channel>/<subdir>/repodata.json` and the package files
        beside it) with the packages of tests/sandbox/conda_packages.py."""
        for subdir, (repodata, files) in conda_packages.channel().items():
            base = f"https://conda.anaconda.org/conda-forge/{subdir}"
            self._json(f"{base}/repodata.json", repodata)
            for fn, data in files.items():
                self.server.add(
                    self.path(f"{base}/{fn}"),
                    data,
                    headers={"Content-Type": "application/x-tar"},
                )

    # ------------------------------------------------------------- the files
    def content(self, url: str, hops: int = 5) -> bytes | None:
        """What a client gets for a publisher's URL, following the simulator's redirects."""
        served = self.server.files.get(self.path(url))
        if served is None:
            return None
        if served.redirect:
            return self.content(served.redirect.split("?")[0], hops - 1) if hops else None
        body = served.content
        return body if isinstance(body, bytes) else body.read_bytes()

    def final_path(self, url: str) -> str:
        """The server path of the bytes behind `url` (after redirects): for faults and counts."""
        served = self.server.files.get(self.path(url))
        if served is not None and served.redirect:
            return self.final_path(served.redirect.split("?")[0])
        return self.path(url)


def canonical_url(step: str, version: str, arch: str) -> str | None:
    """Where the publisher keeps `version` of a download step's file for `arch` (None: a step
    the simulator does not know)."""
    if step == "miniforge_download":
        return (
            f"https://github.com/{MINIFORGE}/releases/download/{version}/"
            f"Miniforge3-{version}-MacOSX-{arch}.sh"
        )
    if step == "vscode_download":
        return f"https://update.code.visualstudio.com/{version}/{VSCODE_PLATFORM[arch]}/stable"
    if step == "homebrew_download":
        return f"https://raw.githubusercontent.com/Homebrew/install/{version}/install.sh"
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
