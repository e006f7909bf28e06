"""`dtu-install upstream check|bump` on a copy of the REAL recipes against a local HTTPS server
reproducing the publishers' layouts (tests/upstream/publishers.py), reached through
DTU_INSTALL_MIRRORS: up to date, newer (bump changes only the pins), broken (checksum 404,
checksum mismatch, a vanished asset), unreachable."""

from __future__ import annotations

import difflib
import json
import shutil
from typing import Any

import pytest

from installer.cli.main import main
from tests.helpers.publishers import ARCHES, commit_of, sha256
from tests.upstream.conftest import World


def dtu(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys: pytest.CaptureFixture[str], world: World) -> tuple[int, dict[str, Any]]:
    code, out, err = dtu(capsys, "upstream", "check", "--json", "--recipes", str(world.recipes))
    assert "Traceback" not in err
    assert out, err
    return code, json.loads(out)


def by_key(findings: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["component"], f["arch"]): f for f in findings}


# ---------------------------------------------------------------- up to date
def test_every_pin_up_to_date(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, world)
    assert code == 0 and data["ok"] is True
    found = by_key(data["findings"])
    assert set(found) == {
        ("homebrew", "any"),
        ("miniforge", "arm64"),
        ("miniforge", "x86_64"),
        ("vscode", "arm64"),
        ("vscode", "x86_64"),
    }
    assert {f["state"] for f in found.values()} == {"up_to_date"}
    # Every request went to the local server, through the mirrors: the layouts were read.
    assert world.pub.server.hits("/github.com/conda-forge/miniforge/releases/latest") == 1
    assert (
        world.pub.server.hits(
            f"/api.github.com/repos/conda-forge/miniforge/releases/tags/{world.miniforge}"
        )
        == 1
    )
    code, out, _ = dtu(capsys, "upstream", "check", "--recipes", str(world.recipes))
    assert code == 0
    assert "miniforge  arm64   up to date  " + world.miniforge in out
    assert "5 up to date, 0 newer, 0 broken" in out


# ---------------------------------------------------------------- newer, and bump
def _newer_everywhere(world: World) -> tuple[str, str, str]:
    mf, vs, hb = "99.1.0-0", "9.99.0", commit_of("homebrew", "newer")
    world.pub.publish_miniforge(mf)
    world.pub.publish_vscode(vs)
    world.pub.publish_homebrew(hb)
    return mf, vs, hb


def test_newer_versions_are_reported_with_their_sha256(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    mf, vs, hb = _newer_everywhere(world)
    code, data = check_json(capsys, world)
    assert code == 0  # newer is news, not a failure
    found = by_key(data["findings"])
    arm = found[("miniforge", "arm64")]
    assert (arm["state"], arm["version"], arm["newest"]) == ("newer", world.miniforge, mf)
    assert arm["newest_sha256"] == sha256(world.pub.miniforge[mf]["arm64"])
    assert arm["newest_from"] == ["sha256_file", "asset_digest"]
    assert arm["newest_url"] == world.pub.miniforge_url(mf, "arm64")
    assert found[("vscode", "x86_64")]["newest_sha256"] == sha256(world.pub.vscode[vs]["x86_64"])
    assert found[("vscode", "x86_64")]["newest_from"] == ["sha256hash"]
    brew = found[("homebrew", "any")]
    assert (brew["newest"], brew["newest_sha256"]) == (hb, sha256(world.pub.homebrew[hb]))


def test_bump_write_changes_only_the_pins_then_check_is_up_to_date(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    mf, vs, hb = _newer_everywhere(world)
    before = {name: world.text(name) for name in ("miniforge", "vscode", "homebrew", "python")}
    code, out, err = dtu(capsys, "upstream", "bump", "--recipes", str(world.recipes))
    assert code == 0, out + err
    assert "would bump (add --write): miniforge" in out
    assert {n: world.text(n) for n in before} == before  # without --write nothing changes

    code, out, err = dtu(capsys, "upstream", "bump", "--write", "--recipes", str(world.recipes))
    assert code == 0, out + err
    assert f"bumped: miniforge {world.miniforge} -> {mf}" in out
    assert world.text("python") == before["python"]
    expected = {
        "miniforge": {world.miniforge: mf}
        | {
            sha256(world.pub.miniforge[world.miniforge][a]): sha256(world.pub.miniforge[mf][a])
            for a in ARCHES
        },
        "vscode": {world.vscode: vs}
        | {
            sha256(world.pub.vscode[world.vscode][a]): sha256(world.pub.vscode[vs][a])
            for a in ARCHES
        },
        "homebrew": {
            world.homebrew: hb,
            sha256(world.pub.homebrew[world.homebrew]): sha256(world.pub.homebrew[hb]),
        },
    }
    for name, changes in expected.items():
        diff = [
            line
            for line in difflib.unified_diff(
                before[name].splitlines(), world.text(name).splitlines(), lineterm="", n=0
            )
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        removed = [line[1:] for line in diff if line.startswith("-")]
        added = [line[1:] for line in diff if line.startswith("+")]
        # Each changed line is a pin line with the old value swapped for the new: nothing else.
        assert len(removed) == len(added) == len(changes), diff
        for old_line, new_line in zip(removed, added):
            old, new = next((o, n) for o, n in changes.items() if o in old_line)
            assert old_line.replace(old, new) == new_line

    code, data = check_json(capsys, world)
    assert code == 0
    assert {f["state"] for f in data["findings"]} == {"up_to_date"}
    plan = json.loads(
        dtu(capsys, "plan", "--recipes", str(world.recipes), "--arch", "arm64", "--json")[1]
    )
    urls = [s["action"].get("url") for s in plan["steps"]]
    assert any(
        f"/releases/download/{mf}/Miniforge3-{mf}-MacOSX-arm64.sh" in (u or "") for u in urls
    )


def test_bump_refuses_a_file_that_does_not_match_its_published_checksum(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    mf, _, _ = _newer_everywhere(world)
    world.pub.replace(world.pub.miniforge_url(mf, "x86_64"), b"tampered bytes")
    before = world.text("miniforge")
    code, out, _err = dtu(capsys, "upstream", "bump", "--write", "--recipes", str(world.recipes))
    assert code == 1
    assert "not bumped: miniforge: x86_64:" in out and "not the published" in out
    assert world.text("miniforge") == before
    assert "bumped: vscode" in out  # the others still move


def test_architectures_mid_release_are_pending_not_failed(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.pub.publish_vscode("9.99.0", arches=("arm64",))  # Intel still answers the old one
    before = world.text("vscode")
    code, out, _ = dtu(capsys, "upstream", "bump", "--write", "--recipes", str(world.recipes))
    assert code == 0
    assert "not bumped: vscode: the architectures' newest versions differ" in out
    assert world.text("vscode") == before


# ---------------------------------------------------------------- broken
def _broken(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {k: f for k, f in by_key(data["findings"]).items() if f["state"] == "broken"}


def test_checksum_404_is_broken_naming_component_arch_and_url(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    checksum = world.pub.miniforge_url(world.miniforge, "arm64", ".sha256")
    world.pub.remove(checksum)
    code, data = check_json(capsys, world)
    assert code == 1 and data["ok"] is False
    broken = _broken(data)
    assert list(broken) == [("miniforge", "arm64")]
    assert broken[("miniforge", "arm64")]["broken_url"] == checksum
    assert broken[("miniforge", "arm64")]["reason"] == "checksum file: HTTP 404"
    code, out, _ = dtu(capsys, "upstream", "check", "--recipes", str(world.recipes))
    assert code == 1
    assert "miniforge  arm64   BROKEN      " in out and f"at {checksum}" in out


def test_checksum_mismatch_in_each_publishers_statement(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    pub = world.pub
    name = f"Miniforge3-{world.miniforge}-MacOSX-x86_64.sh"
    pub.replace(
        pub.miniforge_url(world.miniforge, "x86_64", ".sha256"), f"{'e' * 64}  {name}\n".encode()
    )
    release = pub.miniforge_release(world.miniforge)
    for asset in release["assets"]:  # type: ignore[attr-defined]
        if asset["name"] == f"Miniforge3-{world.miniforge}-MacOSX-arm64.sh":
            asset["digest"] = "sha256:" + "d" * 64
    pub.set_miniforge_release(world.miniforge, release)
    api = json.loads(pub.server.files[pub.path(pub.vscode_api("arm64"))].content)  # type: ignore[arg-type]
    api["sha256hash"] = "c" * 64
    pub.server.add(pub.path(pub.vscode_api("arm64")), json.dumps(api).encode())
    pub.replace(pub.homebrew_url(world.homebrew), b"install.sh changed under the same commit?")
    code, data = check_json(capsys, world)
    assert code == 1
    broken = _broken(data)
    assert set(broken) == {
        ("miniforge", "x86_64"),
        ("miniforge", "arm64"),
        ("vscode", "arm64"),
        ("homebrew", "any"),
    }
    assert broken[("miniforge", "x86_64")]["reason"].startswith(
        "checksum mismatch: sha256_file states eeeeeeeeeeee"
    )
    assert broken[("miniforge", "arm64")]["reason"].startswith(
        "checksum mismatch: asset_digest states dddddddddddd"
    )
    assert broken[("vscode", "arm64")]["reason"].startswith(
        "checksum mismatch: sha256hash states cccccccccccc"
    )
    assert broken[("vscode", "arm64")]["broken_url"] == pub.vscode_api("arm64")
    assert broken[("homebrew", "any")]["reason"].startswith("checksum mismatch: download states")


def test_vanished_assets_are_broken(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    pub = world.pub
    installer = pub.miniforge_url(world.miniforge, "x86_64")
    pub.remove(installer)
    release = pub.miniforge_release(world.miniforge)
    release["assets"] = [
        a
        for a in release["assets"]  # type: ignore[attr-defined]
        if a["name"] != f"Miniforge3-{world.miniforge}-MacOSX-arm64.sh"
    ]
    pub.set_miniforge_release(world.miniforge, release)
    pub.remove(pub.vscode_url(world.vscode, "arm64"))
    code, data = check_json(capsys, world)
    assert code == 1
    broken = _broken(data)
    assert broken[("miniforge", "x86_64")]["reason"] == "the pinned file is gone (HTTP 404)"
    assert broken[("miniforge", "x86_64")]["broken_url"] == installer
    assert "has no asset Miniforge3-" in broken[("miniforge", "arm64")]["reason"]
    assert "(vanished)" in broken[("miniforge", "arm64")]["reason"]
    assert broken[("vscode", "arm64")]["broken_url"] == pub.vscode_url(world.vscode, "arm64")
    assert ("vscode", "x86_64") not in broken


def test_a_newer_release_without_its_checksum_file_is_broken(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A layout change in the next release (no .sha256 beside it) must not pass as newer."""
    world.pub.publish_miniforge("99.1.0-0")
    world.pub.remove(world.pub.miniforge_url("99.1.0-0", "arm64", ".sha256"))
    code, data = check_json(capsys, world)
    assert code == 1
    broken = _broken(data)
    assert broken[("miniforge", "arm64")]["reason"] == "checksum file: HTTP 404"
    assert by_key(data["findings"])[("miniforge", "x86_64")]["state"] == "newer"


# ---------------------------------------------------------------- the network and secrets
def test_unreachable_network_is_a_clear_exit_1(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = world.recipes.parent / "ca.pem"
    shutil.copy(world.pub.server.ca_path, ca)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    world.pub.server.stop()  # nothing listens on the mirror's port any more
    code, out, err = dtu(capsys, "upstream", "check", "--recipes", str(world.recipes))
    assert code == 1
    assert "cannot reach 127.0.0.1:" in err and "Check the network connection" in err
    assert "Traceback" not in out + err
    ca.unlink()  # a CA bundle that is not there: also a clear exit 1, not a crash
    code, out, err = dtu(capsys, "upstream", "check", "--recipes", str(world.recipes))
    assert code == 1 and "cannot connect securely" in err and "Traceback" not in out + err


def test_a_publisher_answering_503_is_unreachable_not_broken(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.pub.server.add(
        "/update.code.visualstudio.com/api/update/darwin-arm64/stable/latest", b"", ["status:503"]
    )
    code, out, err = dtu(capsys, "upstream", "check", "vscode", "--recipes", str(world.recipes))
    assert code == 1
    assert "answered HTTP 503" in err and "try again later" in err and "BROKEN" not in out


def test_github_token_never_goes_to_a_mirror(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secret_for_test")
    code, _, _ = dtu(capsys, "upstream", "check", "--recipes", str(world.recipes))
    assert code == 0
    seen = [h for reqs in world.pub.server.requests.values() for h in reqs]
    assert seen and not any("Authorization" in h for h in seen)


def test_unknown_component_and_bad_mirror_are_usage_errors(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = dtu(capsys, "upstream", "check", "python", "--recipes", str(world.recipes))
    assert code == 2 and "no pinned download with a livecheck in python" in err
    monkeypatch.setenv("DTU_INSTALL_MIRRORS", "https://github.com/=http://127.0.0.1/")
    code, _, err = dtu(capsys, "upstream", "check", "--recipes", str(world.recipes))
    assert code == 2 and "DTU_INSTALL_MIRRORS: bad entry" in err


def test_bump_json_lists_what_would_change(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    mf, _, _ = _newer_everywhere(world)
    code, out, _ = dtu(
        capsys, "upstream", "bump", "miniforge", "--json", "--recipes", str(world.recipes)
    )
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["failed"] == {} and data["pending"] == {}
    [bump] = data["bumps"]
    assert (bump["component"], bump["from"], bump["to"], bump["written"]) == (
        "miniforge",
        world.miniforge,
        mf,
        False,
    )
    assert bump["sha256"] == {a: sha256(world.pub.miniforge[mf][a]) for a in ARCHES}
    assert {f["component"] for f in data["findings"]} == {"miniforge"}


def test_a_pinned_file_that_changed_is_broken_when_the_publisher_states_only_its_newest(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """VS Code's update service states the sha256 of its newest build only. Once a newer
    build is out, the pinned build's bytes are what students' runs verify against the pin:
    when they no longer match, the pin is broken, not merely behind."""
    pub = world.pub
    pub.publish_vscode("9.99.0")
    pub.replace(pub.vscode_url(world.vscode, "x86_64"), b"the pinned build, re-published")
    code, data = check_json(capsys, world)
    assert code == 1
    broken = _broken(data)
    assert set(broken) == {("vscode", "x86_64")}
    assert broken[("vscode", "x86_64")]["reason"].startswith("checksum mismatch: download states")
    assert broken[("vscode", "x86_64")]["broken_url"] == pub.vscode_url(world.vscode, "x86_64")
    assert by_key(data["findings"])[("vscode", "arm64")]["state"] == "newer"
