"""The publishers of the real recipes' pins for the `upstream check|bump` tests: the
publishers' URL layouts (tests/helpers/publishers.py, where they are cited) serving small
artefacts, with switches for the ways a pin breaks (a file removed or replaced, a release's
API answer rewritten, a newer version published for some architectures only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.helpers.publishers import (
    ARCHES,
    MINIFORGE,
    VSCODE_PLATFORM,
    PublisherSite,
    homebrew_url,
    miniforge_url,
    release_api,
    vscode_api,
    vscode_url,
)


def artefact(*words: str) -> bytes:
    return ("#!/bin/sh\n# " + " ".join(words) + "\n").encode()


@dataclass
class Publishers(PublisherSite):
    # What each publisher has published: version -> arch -> bytes (install.sh: commit -> bytes).
    miniforge: dict[str, dict[str, bytes]] = field(default_factory=dict)
    vscode: dict[str, dict[str, bytes]] = field(default_factory=dict)
    homebrew: dict[str, bytes] = field(default_factory=dict)

    # The layouts' URLs, as the tests name them.
    miniforge_url = staticmethod(miniforge_url)
    homebrew_url = staticmethod(homebrew_url)
    vscode_url = staticmethod(vscode_url)
    vscode_api = staticmethod(vscode_api)

    def publish_miniforge(self, tag: str, latest: bool = True) -> None:
        self.miniforge[tag] = {arch: artefact("Miniforge3", tag, arch) for arch in ARCHES}
        self.publish_miniforge_release(tag, self.miniforge[tag], latest)

    def miniforge_release(self, tag: str) -> dict[str, object]:
        return self.github_release_answer(MINIFORGE, tag)

    def set_miniforge_release(self, tag: str, release: dict[str, object]) -> None:
        self._json(release_api(MINIFORGE, tag), release)

    def publish_homebrew(self, commit: str, newest: bool = True) -> None:
        self.homebrew[commit] = artefact("Homebrew install.sh at", commit)
        self.publish_homebrew_install(commit, self.homebrew[commit], newest)

    def publish_vscode(
        self, version: str, latest: bool = True, arches: tuple[str, ...] = ARCHES
    ) -> None:
        self.vscode.setdefault(version, {})
        for arch in arches:
            data = artefact("VSCode", version, VSCODE_PLATFORM[arch])
            self.vscode[version][arch] = data
            self.publish_vscode_build(version, arch, data, latest)
