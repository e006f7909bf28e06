"""The publishers on a local HTTPS server and a copy of the real recipes pinning their files."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from installer.recipes.loader import load_recipe_set
from installer.upstream.pins import Pin, find_pins
from tests.helpers.download_server import DownloadServer
from tests.helpers.publishers import ARCHES, sha256
from tests.upstream.publishers import Publishers

REPO = Path(__file__).resolve().parents[2]


def real_pins() -> dict[str, Pin]:
    return {p.component: p for p in find_pins(load_recipe_set([REPO / "recipes"]))}


@dataclass
class World:
    pub: Publishers
    recipes: Path
    pins: dict[str, Pin]  # the real recipes' pins (versions as pinned in the repository)

    @property
    def miniforge(self) -> str:
        return self.pins["miniforge"].version

    @property
    def vscode(self) -> str:
        return self.pins["vscode"].version

    @property
    def homebrew(self) -> str:
        return self.pins["homebrew"].version

    def text(self, name: str) -> str:
        return (self.recipes / f"{name}.yaml").read_text(encoding="utf-8")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The publishers serve the real pinned versions (small artefacts); the recipes copy pins
    those artefacts' sha256s in place of the real ones (everything else as in the repository)."""
    pins = real_pins()
    with DownloadServer() as server:
        pub = Publishers(server)
        pub.publish_miniforge(pins["miniforge"].version)
        pub.publish_vscode(pins["vscode"].version)
        pub.publish_homebrew(pins["homebrew"].version)
        recipes = tmp_path / "recipes"
        shutil.copytree(REPO / "recipes", recipes)
        served = {
            "miniforge": {a: sha256(pub.miniforge[pins["miniforge"].version][a]) for a in ARCHES},
            "vscode": {a: sha256(pub.vscode[pins["vscode"].version][a]) for a in ARCHES},
            "homebrew": {"any": sha256(pub.homebrew[pins["homebrew"].version])},
        }
        for name, pin in pins.items():
            path = recipes / f"{name}.yaml"
            text = path.read_text(encoding="utf-8")
            for target in pin.targets:
                text = text.replace(pin.pinned_sha256(target), served[name][target])
            path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("DTU_INSTALL_MIRRORS", pub.mirrors)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        yield World(pub, recipes, pins)
