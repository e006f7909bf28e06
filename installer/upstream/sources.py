"""How each kind of publisher states its newest version and the sha256 of a version's file:
one small class per `livecheck` kind, registered in `SOURCES` (the schema's kinds,
installer/kinds/fields.py LIVECHECK_FIELDS, are checked against it by a test).

Each layout is the publisher's own, cited where it is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

from installer.upstream.client import Client, Unexpected
from installer.upstream.pins import Pin

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
COMMIT = re.compile(r"[0-9a-f]{40}")
GITHUB = "https://github.com"
GITHUB_API = "https://api.github.com"
VSCODE_UPDATE = "https://update.code.visualstudio.com"

# What a publisher states about one version's file: source name -> (sha256, where it is stated).
Stated = Mapping[str, "tuple[str, str]"]


class Source(Protocol):
    def newest(self, client: Client, pin: Pin, target: str) -> str:
        """The publisher's newest version (or commit)."""
        ...  # pragma: no cover

    def stated(self, client: Client, pin: Pin, target: str, version: str) -> Stated:
        """The sha256s the publisher states for `version`'s file for `target` (may be none
        for an older version); Unexpected when the layout is not what it was."""
        ...  # pragma: no cover


def _sha256(value: object, url: str, what: str) -> str:
    if not isinstance(value, str) or not SHA256_HEX.fullmatch(value):
        raise Unexpected(url, f"{what} is not a sha256 ({str(value)[:40]!r})")
    return value.lower()


class GithubRelease:
    """A GitHub release per version, assets named with the version.

    Newest: `https://github.com/<repo>/releases/latest` answers with a redirect to
    `.../releases/tag/<tag>` (what Homebrew's `:github_latest` livecheck reads). Checksums:
    `sha256_file`, the `<asset>.sha256` beside a versioned asset holding `sha256sum`'s line
    (conda-forge/miniforge scripts/build.sh; its unversioned latest/download copies have none,
    .github/workflows/ci.yml "Copy for latest release"), and `asset_digest`, the releases API's
    `assets[].digest`, "sha256:<hex>" (GitHub REST API "Get a release by tag name",
    https://docs.github.com/en/rest/releases/releases; GitHub changelog 2025-06-03 "Releases now
    expose digests for release assets"; null for assets uploaded before it).
    """

    def newest(self, client: Client, pin: Pin, target: str) -> str:
        url = f"{GITHUB}/{pin.spec['repo']}/releases/latest"
        location = client.redirect(url)
        match = re.search(r"/releases/tag/([^/?#]+)$", urlsplit(location).path)
        if not match:
            raise Unexpected(url, f"redirects to {location}, not to a release tag")
        return unquote(match.group(1))

    def stated(self, client: Client, pin: Pin, target: str, version: str) -> Stated:
        url = pin.url_for(target, version)
        out: dict[str, tuple[str, str]] = {}
        for checksum in pin.spec["checksums"]:
            if checksum == "sha256_file":
                where = url + ".sha256"
                try:
                    words = client.text(where).split()
                except Unexpected as exc:
                    raise Unexpected(where, f"checksum file: {exc.reason}") from exc
                out[checksum] = (_sha256(words[0] if words else "", where, "its first word"), where)
            else:
                digest = self._asset_digest(client, pin, url, version)
                if digest is not None:
                    out[checksum] = digest
        return out

    def _asset_digest(
        self, client: Client, pin: Pin, url: str, version: str
    ) -> tuple[str, str] | None:
        api = f"{GITHUB_API}/repos/{pin.spec['repo']}/releases/tags/{quote(version, safe='')}"
        release = client.json(api)
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        assets = release.get("assets") if isinstance(release, dict) else None
        if not isinstance(assets, list):
            raise Unexpected(api, "the release has no assets list")
        asset = next((a for a in assets if isinstance(a, dict) and a.get("name") == name), None)
        if asset is None:
            raise Unexpected(api, f"release {version} has no asset {name} (vanished)")
        digest = asset.get("digest")
        if digest is None:
            return None  # uploaded before GitHub computed digests: nothing stated here
        algorithm, _, hexdigest = str(digest).partition(":")
        if algorithm != "sha256":
            raise Unexpected(api, f"asset {name} digest {str(digest)[:40]!r} is not sha256")
        return _sha256(hexdigest, api, f"asset {name} digest"), api


class GithubCommit:
    """A file in a GitHub repository, pinned to a commit.

    Newest: the newest commit of the default branch that changed the file (GitHub REST API
    "List commits", `GET /repos/{owner}/{repo}/commits?path=...&per_page=1`, field `sha`), so a
    commit elsewhere in the repository proposes no bump. Nothing is published about the file
    (Homebrew/install has no checksum for install.sh): its sha256 is of the file fetched at that
    commit from raw.githubusercontent.com.
    """

    def newest(self, client: Client, pin: Pin, target: str) -> str:
        url = (
            f"{GITHUB_API}/repos/{pin.spec['repo']}/commits"
            f"?path={quote(pin.spec['path'])}&per_page=1"
        )
        commits = client.json(url)
        sha = commits[0].get("sha") if isinstance(commits, list) and commits else None
        if not isinstance(sha, str) or not COMMIT.fullmatch(sha):
            raise Unexpected(url, "no commit sha in the answer")
        return sha

    def stated(self, client: Client, pin: Pin, target: str, version: str) -> Stated:
        url = pin.url_for(target, version)
        return {"download": (client.sha256(url), url)}


class VscodeUpdate:
    """VS Code's update service: `api/update/<platform>/<quality>/latest` answers one JSON
    object whose fields are microsoft/vscode src/vs/platform/update/common/update.ts `IUpdate`:
    `productVersion` (1.2.3), `url`, `sha256hash` of the file at `url` (updateService.win32.ts
    checks the downloaded package against it). It states the newest version only."""

    def _answer(self, client: Client, pin: Pin, target: str) -> tuple[str, dict[str, object]]:
        platform = pin.value(target, pin.spec["platform"])
        url = f"{VSCODE_UPDATE}/api/update/{platform}/{pin.spec['quality']}/latest"
        answer = client.json(url)
        if not isinstance(answer, dict) or not isinstance(answer.get("productVersion"), str):
            raise Unexpected(url, "the answer has no productVersion")
        return url, answer

    def newest(self, client: Client, pin: Pin, target: str) -> str:
        _, answer = self._answer(client, pin, target)
        return str(answer["productVersion"])

    def stated(self, client: Client, pin: Pin, target: str, version: str) -> Stated:
        url, answer = self._answer(client, pin, target)
        if answer["productVersion"] != version:
            return {}
        return {"sha256hash": (_sha256(answer.get("sha256hash"), url, "sha256hash"), url)}


SOURCES: Mapping[str, Source] = {
    "github_release": GithubRelease(),
    "github_commit": GithubCommit(),
    "vscode_update": VscodeUpdate(),
}
