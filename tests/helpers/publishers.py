"""The publishers' URL layouts, in one place: the shapes of their URLs, redirects and API
answers, served from one local HTTPS server (tests/helpers/download_server.py) under
`/<host>/<path>` and reached through DTU_INSTALL_MIRRORS
(`https://github.com/=https://127.0.0.1:PORT/github.com/ ...`).

Two simulators build on `PublisherSite`, each publishing its own bytes: the Mac sandbox's
Upstream (tests/sandbox/upstream.py: installers, a conda channel and a VS Code zip that
behave) and the `upstream check|bump` tests' Publishers (tests/upstream/publishers.py:
switches for the ways a pin breaks). When a publisher changes a layout, change it here, from
the publisher's files, then the code (installer/upstream/sources.py reads the same layouts).

Layouts, from the publishers' own files:
- GitHub releases: `releases/download/<tag>/<asset>` answers a 302 to a signed
  release-assets.githubusercontent.com URL (`github-production-release-asset/<repository
  id>/<asset id>`); `releases/latest/download/<asset>` a 302 to the latest tag's asset (for any
  name: a missing asset is the 404 behind it); `releases/latest` a 302 to `releases/tag/<tag>`;
  the releases API (`api.github.com/repos/<o>/<r>/releases/latest`, `/releases/tags/<tag>`)
  answers `tag_name` and `assets[]` (`name`, `size`, `browser_download_url`, `digest` =
  "sha256:<hex>", `content_type`).
- Miniforge (conda-forge/miniforge): each release has `Miniforge3-<tag>-MacOSX-<arch>.sh` with
  a `.sha256` beside it holding the `sha256sum` line (scripts/build.sh), and unversioned copies
  `Miniforge3-MacOSX-<arch>.sh` and `Miniforge3-Darwin-<arch>.sh` without one
  (.github/workflows/ci.yml, "Copy for latest release"), all uploaded by
  svenstaro/upload-release-action (pinned there at 29e53e9, v2.11.5), whose src/main.ts sends
  `content-type: binary/octet-stream`: the assets' `content_type`.
- Homebrew/install: raw.githubusercontent.com/Homebrew/install/<ref>/install.sh for HEAD and
  commits; api.github.com/repos/Homebrew/install/commits?path=install.sh&per_page=1 ("List
  commits") answers `[{"sha": ...}]`, and /commits/HEAD ("Get a commit") `{"sha": ...}`.
- VS Code (update.code.visualstudio.com): `<version|latest|commit:<commit>>/<platform>/stable`
  answers a 302 to `vscode.download.prss.microsoft.com/dbazure/download/stable/<commit>/
  VSCode-<platform>.zip`; `api/update/<platform>/stable/latest` answers JSON whose fields are
  microsoft/vscode src/vs/platform/update/common/update.ts `IUpdate` (`version` = commit,
  `productVersion`, `timestamp`, `url`, `sha256hash`). Platforms: darwin-arm64, darwin (Intel).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import urlsplit

from tests.helpers.download_server import DownloadServer

ARCHES = ("arm64", "x86_64")
VSCODE_PLATFORM = {"arm64": "darwin-arm64", "x86_64": "darwin"}
HOSTS = (
    "github.com",
    "api.github.com",
    "release-assets.githubusercontent.com",
    "raw.githubusercontent.com",
    "update.code.visualstudio.com",
    "vscode.download.prss.microsoft.com",
)
MINIFORGE = "conda-forge/miniforge"
HOMEBREW = "Homebrew/install"
# GitHub's numeric repository id in the signed asset URLs (opaque; Miniforge's, as in its real
# release-assets.githubusercontent.com/github-production-release-asset/221584272/... URLs).
GITHUB_REPOSITORY_ID = {MINIFORGE: "221584272"}
ASSET_CONTENT_TYPE = "binary/octet-stream"  # svenstaro/upload-release-action src/main.ts
VSCODE_UPDATE = "https://update.code.visualstudio.com"
VSCODE_DOWNLOAD = "https://vscode.download.prss.microsoft.com/dbazure/download/stable"
VSCODE_TIMESTAMP = 1764000000000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commit_of(*words: str) -> str:
    """A stand-in commit id, the same for the same words."""
    return hashlib.sha1(" ".join(words).encode()).hexdigest()


def vscode_commit(version: str) -> str:
    return commit_of("vscode", version)


def release_api(repo: str, tag: str) -> str:
    return f"https://api.github.com/repos/{repo}/releases/tags/{tag}"


def miniforge_name(tag: str, arch: str) -> str:
    return f"Miniforge3-{tag}-MacOSX-{arch}.sh"


def miniforge_url(tag: str, arch: str, suffix: str = "") -> str:
    name = miniforge_name(tag, arch) + suffix
    return f"https://github.com/{MINIFORGE}/releases/download/{tag}/{name}"


def homebrew_url(ref: str) -> str:
    return f"https://raw.githubusercontent.com/{HOMEBREW}/{ref}/install.sh"


def vscode_url(version: str, arch: str) -> str:
    return f"{VSCODE_UPDATE}/{version}/{VSCODE_PLATFORM[arch]}/stable"


def vscode_api(arch: str) -> str:
    return f"{VSCODE_UPDATE}/api/update/{VSCODE_PLATFORM[arch]}/stable/latest"


def vscode_zip_url(commit: str, arch: str) -> str:
    return f"{VSCODE_DOWNLOAD}/{commit}/VSCode-{VSCODE_PLATFORM[arch]}.zip"


@dataclass
class PublisherSite:
    """The server's files, laid out as the publishers lay theirs out."""

    server: DownloadServer
    hosts: ClassVar[tuple[str, ...]] = HOSTS

    # ------------------------------------------------------------- addresses
    def path(self, url: str) -> str:
        """The server path that serves a publisher's URL (`https://host/p` -> `/host/p`)."""
        parts = urlsplit(url)
        return f"/{parts.netloc}{parts.path}"

    @property
    def mirrors(self) -> str:
        """DTU_INSTALL_MIRRORS pointing every publisher at this server."""
        return " ".join(f"https://{h}/={self.server.url('/' + h + '/')}" for h in self.hosts)

    def _json(self, url: str, data: object) -> None:
        body = json.dumps(data, indent=2).encode()
        self.server.add(self.path(url), body, headers={"Content-Type": "application/json"})

    def _redirect(self, url: str, location: str) -> None:
        self.server.add_redirect(self.path(url), location)

    def _file(self, url: str, data: bytes, content_type: str) -> None:
        self.server.add(self.path(url), data, headers={"Content-Type": content_type})

    # ------------------------------------------------------------- the files
    def chain(self, url: str, hops: int = 5) -> list[str]:
        """`url` and the URLs the simulator's redirects lead to from it, in order."""
        urls = [url]
        while len(urls) <= hops:
            served = self.server.files.get(self.path(urls[-1]))
            if served is None or not served.redirect:
                break
            urls.append(served.redirect.split("?")[0])
        return urls

    def content(self, url: str) -> bytes | None:
        """What a client gets for a publisher's URL, following the simulator's redirects."""
        served = self.server.files.get(self.path(self.chain(url)[-1]))
        if served is None or served.redirect:
            return None
        body = served.content
        return body if isinstance(body, bytes) else body.read_bytes()

    def final_path(self, url: str) -> str:
        """The server path of the bytes behind `url` (after redirects): for faults and counts."""
        return self.path(self.chain(url)[-1])

    def remove(self, url: str) -> None:
        """The publisher no longer serves `url` (after its redirect): 404 from now on."""
        for hop in self.chain(url):
            self.server.files.pop(self.path(hop), None)

    def replace(self, url: str, data: bytes) -> None:
        """The publisher serves other bytes at `url` (after its redirect)."""
        self.server.files[self.final_path(url)].content = data

    # ------------------------------------------------------------ GitHub releases
    def github_asset(self, repo: str, tag: str, name: str, data: bytes) -> dict[str, object]:
        """One release asset: the signed file, the 302 to it, and its entry in `assets[]`."""
        asset_id = hashlib.sha256(f"{repo} {tag} {name}".encode()).hexdigest()[:32]
        signed = (
            "https://release-assets.githubusercontent.com/github-production-release-asset/"
            f"{GITHUB_REPOSITORY_ID[repo]}/{asset_id}"
        )
        self._file(signed, data, "application/octet-stream")
        download = f"https://github.com/{repo}/releases/download/{tag}/{name}"
        self._redirect(download, f"{signed}?sp=r&sr=b&rscd=attachment%3B+filename%3D{name}")
        return {
            "name": name,
            "size": len(data),
            "browser_download_url": download,
            "digest": f"sha256:{sha256(data)}",
            "content_type": ASSET_CONTENT_TYPE,
        }

    def github_release(
        self, repo: str, tag: str, assets: list[dict[str, object]], latest: bool
    ) -> None:
        """The release's API answer; when it is the latest, the `latest` redirects too."""
        release = {
            "tag_name": tag,
            "name": tag,
            "html_url": f"https://github.com/{repo}/releases/tag/{tag}",
            "draft": False,
            "prerelease": False,
            "assets": assets,
        }
        self._json(release_api(repo, tag), release)
        if latest:
            self._json(f"https://api.github.com/repos/{repo}/releases/latest", release)
            base = f"https://github.com/{repo}/releases"
            self._redirect(f"{base}/latest", f"{base}/tag/{tag}")
            for asset in assets:
                for name in (asset["name"], f"{asset['name']}.sha256"):
                    self._redirect(
                        f"{base}/latest/download/{name}", f"{base}/download/{tag}/{name}"
                    )

    def github_release_answer(self, repo: str, tag: str) -> dict[str, object]:
        data: dict[str, object] = json.loads(self.content(release_api(repo, tag)) or b"null")
        return data

    def publish_miniforge_release(
        self, tag: str, installers: Mapping[str, bytes], latest: bool
    ) -> None:
        """A Miniforge release: per arch the versioned installer, its `.sha256`, and the
        unversioned copies (no `.sha256` beside them)."""
        assets = []
        for arch, data in installers.items():
            name = miniforge_name(tag, arch)
            line = f"{sha256(data)}  {name}\n".encode()
            assets.append(self.github_asset(MINIFORGE, tag, name, data))
            assets.append(self.github_asset(MINIFORGE, tag, f"{name}.sha256", line))
            for alias in (f"Miniforge3-MacOSX-{arch}.sh", f"Miniforge3-Darwin-{arch}.sh"):
                assets.append(self.github_asset(MINIFORGE, tag, alias, data))
        self.github_release(MINIFORGE, tag, assets, latest)

    # ------------------------------------------------------------ Homebrew/install
    def publish_homebrew_install(self, commit: str, data: bytes, newest: bool) -> None:
        """install.sh at `commit`; the newest commit is also HEAD and what the API answers."""
        self.server.add(self.path(homebrew_url(commit)), data)
        if newest:
            self.server.add(self.path(homebrew_url("HEAD")), data)
            commits = f"https://api.github.com/repos/{HOMEBREW}/commits"
            self._json(commits, [{"sha": commit, "commit": {}}])
            self._json(
                f"{commits}/HEAD",
                {"sha": commit, "html_url": f"https://github.com/{HOMEBREW}/commit/{commit}"},
            )

    # ------------------------------------------------------------ VS Code
    def publish_vscode_build(self, version: str, arch: str, data: bytes, latest: bool) -> None:
        """One build of VS Code: the zip, the update service's redirects to it and, for the
        latest, its `api/update` answer."""
        commit = vscode_commit(version)
        url = vscode_zip_url(commit, arch)
        self._file(url, data, "application/zip")
        platform = VSCODE_PLATFORM[arch]
        self._redirect(vscode_url(version, arch), url)
        self._redirect(f"{VSCODE_UPDATE}/commit:{commit}/{platform}/stable", url)
        if latest:
            self._redirect(vscode_url("latest", arch), url)
            self._json(
                vscode_api(arch),
                {
                    "url": url,
                    "name": version,
                    "version": commit,
                    "productVersion": version,
                    "hash": hashlib.sha1(data).hexdigest(),
                    "timestamp": VSCODE_TIMESTAMP,
                    "sha256hash": sha256(data),
                    "supportsFastUpdate": True,
                },
            )
