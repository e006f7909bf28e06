"""The publishers of the real recipes' pins, reproduced on one local HTTPS server and reached
through DTU_INSTALL_MIRRORS (`https://<host>/` -> `https://127.0.0.1:PORT/<host>/`), with
small artefacts and switches for the ways a pin breaks.

Layouts (from the publishers' own files; installer/upstream/sources.py cites them):
- GitHub releases: `releases/latest` -> 302 to `releases/tag/<tag>`; a versioned asset
  `releases/download/<tag>/<name>` -> 302 to a signed release-assets.githubusercontent.com
  URL; Miniforge's `.sha256` (sha256sum's line) only beside versioned installers, none beside
  the unversioned `latest/download` copies; the releases API
  `api.github.com/repos/<repo>/releases/tags/<tag>` with `assets[].name` and `digest`
  ("sha256:<hex>").
- Homebrew/install: `api.github.com/repos/<repo>/commits?path=install.sh&per_page=1` ->
  `[{"sha": ...}]`; `raw.githubusercontent.com/<repo>/<sha>/install.sh`.
- VS Code: `update.code.visualstudio.com/api/update/<platform>/stable/latest` -> IUpdate JSON
  (`url`, `version` = commit, `productVersion`, `sha256hash`); `<version>/<platform>/stable`
  -> 302 to `vscode.download.prss.microsoft.com/dbazure/download/stable/<commit>/
  VSCode-<platform>.zip`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.helpers.download_server import DownloadServer

ARCHES = ("arm64", "x86_64")
VSCODE_PLATFORM = {"arm64": "darwin-arm64", "x86_64": "darwin"}
MINIFORGE = "conda-forge/miniforge"
HOMEBREW = "Homebrew/install"
HOSTS = (
    "github.com",
    "api.github.com",
    "release-assets.githubusercontent.com",
    "raw.githubusercontent.com",
    "update.code.visualstudio.com",
    "vscode.download.prss.microsoft.com",
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def artefact(*words: str) -> bytes:
    return ("#!/bin/sh\n# " + " ".join(words) + "\n").encode()


def commit_of(*words: str) -> str:
    return hashlib.sha1(" ".join(words).encode()).hexdigest()


@dataclass
class Publishers:
    server: DownloadServer
    # What each publisher has published: version -> arch -> bytes (install.sh: commit -> bytes).
    miniforge: dict[str, dict[str, bytes]] = field(default_factory=dict)
    vscode: dict[str, dict[str, bytes]] = field(default_factory=dict)
    homebrew: dict[str, bytes] = field(default_factory=dict)

    @property
    def mirrors(self) -> str:
        return " ".join(f"https://{h}/={self.server.url('/' + h + '/')}" for h in HOSTS)

    def path(self, url: str) -> str:
        parts = urlsplit(url)
        return f"/{parts.netloc}{parts.path}"

    def _json(self, url: str, data: object) -> None:
        self.server.add(self.path(url), json.dumps(data).encode())

    def _redirect(self, url: str, location: str) -> None:
        self.server.add_redirect(self.path(url), location)

    def remove(self, url: str) -> None:
        """The publisher no longer serves `url` (after its redirect): 404 from now on."""
        served = self.server.files.get(self.path(url))
        if served is not None and served.redirect:
            self.remove(served.redirect.split("?")[0])
        self.server.files.pop(self.path(url), None)

    def replace(self, url: str, data: bytes) -> None:
        """The publisher serves other bytes at `url` (after its redirect)."""
        served = self.server.files[self.path(url)]
        if served.redirect:
            self.replace(served.redirect.split("?")[0], data)
        else:
            served.content = data

    # ------------------------------------------------------------ GitHub releases
    def _asset(self, repo: str, tag: str, name: str, data: bytes) -> dict[str, object]:
        signed = (
            "https://release-assets.githubusercontent.com/github-production-release-asset/1/"
            + hashlib.sha256(f"{repo} {tag} {name}".encode()).hexdigest()[:32]
        )
        self.server.add(self.path(signed), data)
        download = f"https://github.com/{repo}/releases/download/{tag}/{name}"
        self._redirect(download, f"{signed}?sp=r&sr=b&rscd=attachment%3B+filename%3D{name}")
        return {
            "name": name,
            "size": len(data),
            "browser_download_url": download,
            "digest": f"sha256:{sha256(data)}",
        }

    def publish_miniforge(self, tag: str, latest: bool = True) -> None:
        self.miniforge[tag] = {arch: artefact("Miniforge3", tag, arch) for arch in ARCHES}
        assets = []
        for arch, data in self.miniforge[tag].items():
            name = f"Miniforge3-{tag}-MacOSX-{arch}.sh"
            assets.append(self._asset(MINIFORGE, tag, name, data))
            line = f"{sha256(data)}  {name}\n".encode()
            assets.append(self._asset(MINIFORGE, tag, f"{name}.sha256", line))
            assets.append(self._asset(MINIFORGE, tag, f"Miniforge3-MacOSX-{arch}.sh", data))
        api = f"https://api.github.com/repos/{MINIFORGE}/releases/tags/{tag}"
        self._json(api, {"tag_name": tag, "draft": False, "prerelease": False, "assets": assets})
        if latest:
            base = f"https://github.com/{MINIFORGE}/releases"
            self._redirect(f"{base}/latest", f"{base}/tag/{tag}")
            for arch in ARCHES:
                name = f"Miniforge3-MacOSX-{arch}.sh"
                self._redirect(f"{base}/latest/download/{name}", f"{base}/download/{tag}/{name}")

    def miniforge_url(self, tag: str, arch: str, suffix: str = "") -> str:
        name = f"Miniforge3-{tag}-MacOSX-{arch}.sh{suffix}"
        return f"https://github.com/{MINIFORGE}/releases/download/{tag}/{name}"

    def miniforge_release(self, tag: str) -> dict[str, object]:
        api = f"https://api.github.com/repos/{MINIFORGE}/releases/tags/{tag}"
        data: dict[str, object] = json.loads(self.server.files[self.path(api)].content)  # type: ignore[arg-type]
        return data

    def set_miniforge_release(self, tag: str, release: dict[str, object]) -> None:
        self._json(f"https://api.github.com/repos/{MINIFORGE}/releases/tags/{tag}", release)

    # ------------------------------------------------------------ Homebrew/install
    def publish_homebrew(self, commit: str, newest: bool = True) -> None:
        self.homebrew[commit] = artefact("Homebrew install.sh at", commit)
        self.server.add(self.path(self.homebrew_url(commit)), self.homebrew[commit])
        if newest:
            self._json(
                f"https://api.github.com/repos/{HOMEBREW}/commits", [{"sha": commit, "commit": {}}]
            )

    def homebrew_url(self, commit: str) -> str:
        return f"https://raw.githubusercontent.com/{HOMEBREW}/{commit}/install.sh"

    # ------------------------------------------------------------ VS Code
    def publish_vscode(
        self, version: str, latest: bool = True, arches: tuple[str, ...] = ARCHES
    ) -> None:
        commit = commit_of("vscode", version)
        self.vscode.setdefault(version, {})
        for arch in arches:
            platform = VSCODE_PLATFORM[arch]
            data = artefact("VSCode", version, platform)
            self.vscode[version][arch] = data
            url = (
                "https://vscode.download.prss.microsoft.com/dbazure/download/stable/"
                f"{commit}/VSCode-{platform}.zip"
            )
            self.server.add(self.path(url), data)
            self._redirect(self.vscode_url(version, arch), url)
            if latest:
                self._json(
                    f"https://update.code.visualstudio.com/api/update/{platform}/stable/latest",
                    {
                        "url": url,
                        "name": version,
                        "version": commit,
                        "productVersion": version,
                        "hash": hashlib.sha1(data).hexdigest(),
                        "timestamp": 1764000000000,
                        "sha256hash": sha256(data),
                        "supportsFastUpdate": True,
                    },
                )

    def vscode_url(self, version: str, arch: str) -> str:
        return f"https://update.code.visualstudio.com/{version}/{VSCODE_PLATFORM[arch]}/stable"

    def vscode_api(self, arch: str) -> str:
        return (
            f"https://update.code.visualstudio.com/api/update/{VSCODE_PLATFORM[arch]}/stable/latest"
        )
