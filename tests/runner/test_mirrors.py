"""Mirrors (SPEC 3): `mirrors` in settings.yaml and `DTU_INSTALL_MIRRORS` rewrite every URL
fetched, redirect targets included, like git's insteadOf; `plan` shows the URL fetched; a bad
entry is exit 2. Real `dtu-install` runs against a real local HTTPS server."""

from __future__ import annotations

import json

import pytest

from installer.cli.main import main
from installer.errors import UsageError
from installer.mirrors import MirrorError, Mirrors, parse_env, resolve
from tests.helpers.download_server import DownloadServer
from tests.runner.conftest import Recorder, sha
from tests.runner.test_cli import write_recipes

# What the recipe names: GitHub's own addresses, as in the real recipes.
LATEST = "https://github.com/acme/tool/releases/latest/download/tool.sh"
VERSIONED = "https://github.com/acme/tool/releases/download/1.2/tool.sh"


def _recipe(url: str) -> str:
    return f"""recipe: tool
description: a tool from GitHub
steps:
  - name: tool_download
    description: Fetch the tool
    check: {{path_exists: "{{home}}/tool.sh"}}
    download:
      url: {url}
      unverified_reason: a test of where the bytes come from
      min_size: 1
      dest: "{{home}}/tool.sh"
"""


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- the rules
def test_longest_prefix_wins_and_a_url_is_rewritten_once() -> None:
    mirrors = Mirrors.of(
        {
            "https://github.com/": "https://m.example/gh/",
            "https://github.com/acme/": "https://m.example/acme/",
            # A replacement that starts with a prefix is not rewritten again (git's rule).
            "https://m.example/": "https://other.example/",
        }
    )
    assert mirrors.rewrite(LATEST) == "https://m.example/acme/tool/releases/latest/download/tool.sh"
    assert mirrors.rewrite("https://github.com/x/y") == "https://m.example/gh/x/y"
    assert mirrors.rewrite("https://example.org/a") == "https://example.org/a"


def test_environment_replaces_the_settings_mapping() -> None:
    settings = {"https://github.com/": "https://campus.example/gh/"}
    env = {"DTU_INSTALL_MIRRORS": "  https://github.com/=https://127.0.0.1:1/gh/\n"}
    assert resolve(settings, env).as_dict() == {"https://github.com/": "https://127.0.0.1:1/gh/"}
    assert resolve(settings, {"DTU_INSTALL_MIRRORS": " "}).as_dict() == settings
    assert resolve(settings, {}).as_dict() == settings


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ("https://github.com/", "no '='"),
        ("https://github.com/=", "both sides"),
        ("=https://m.example/", "both sides"),
        ("https://github.com/=http://m.example/", "REPLACEMENT 'http://m.example/' is not"),
        ("github.com=https://m.example/", "PREFIX 'github.com' is not"),
    ],
)
def test_a_bad_entry_is_a_usage_error_naming_it(entry: str, why: str) -> None:
    with pytest.raises(MirrorError) as info:
        parse_env(f"https://ok.example/=https://m.example/ {entry}")
    assert isinstance(info.value, UsageError)
    assert f"DTU_INSTALL_MIRRORS: bad entry {entry!r}" in str(info.value)
    assert why in str(info.value)


# ---------------------------------------------------------------- plan
def test_plan_shows_the_url_actually_fetched(tmp_path, capsys, monkeypatch):
    recipes = write_recipes(tmp_path / "r", {"tool": _recipe(LATEST)})
    monkeypatch.setenv("DTU_INSTALL_MIRRORS", "https://github.com/=https://127.0.0.1:9/gh/")
    code, out, _ = cli(["plan", "p", "--recipes", str(recipes), "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    step = data["steps"][0]["action"]
    assert step["url"] == "https://127.0.0.1:9/gh/acme/tool/releases/latest/download/tool.sh"
    assert data["mirrors"] == {"https://github.com/": "https://127.0.0.1:9/gh/"}
    code, out, _ = cli(["plan", "p", "--recipes", str(recipes)], capsys)
    assert code == 0
    assert "Mirror: https://github.com/ is fetched from https://127.0.0.1:9/gh/" in out
    assert "download https://127.0.0.1:9/gh/acme/tool/" in out


def test_plan_with_a_bad_environment_entry_exits_2(tmp_path, capsys, monkeypatch):
    recipes = write_recipes(tmp_path / "r", {"tool": _recipe(LATEST)})
    monkeypatch.setenv("DTU_INSTALL_MIRRORS", "https://github.com/")
    code, out, err = cli(["plan", "p", "--recipes", str(recipes)], capsys)
    assert code == 2
    assert "DTU_INSTALL_MIRRORS: bad entry 'https://github.com/': no '='" in err
    assert "Traceback" not in out + err


def test_settings_mirrors_are_checked_with_file_and_line(tmp_path, capsys):
    recipes = write_recipes(tmp_path / "r", {"tool": _recipe(LATEST)})
    (recipes / "settings.yaml").write_text(
        "mirrors:\n  https://github.com/: http://m.example/\n  '': https://m.example/\n"
    )
    code, _, err = cli(["validate", str(recipes)], capsys)
    assert code == 2
    assert "settings.yaml:2:24: mirrors.https://github.com/: 'http://m.example/' is not" in err
    assert "settings.yaml:3:3: mirrors.: '' is not an https:// URL" in err


# ---------------------------------------------------------------- run
def test_download_and_its_redirects_go_through_the_mirror(
    tmp_path, isolated_home, capsys, monkeypatch
):
    """GitHub's `latest/download` answers with a redirect to the versioned asset on
    github.com itself: the runner must follow it on the mirror, not at GitHub."""
    data = b"#!/bin/sh\necho tool 1.2\n"
    with DownloadServer() as server:
        # The local server stands for github.com under /gh/; its redirect names GitHub.
        server.add_redirect("/gh/acme/tool/releases/latest/download/tool.sh", VERSIONED)
        server.add("/gh/acme/tool/releases/download/1.2/tool.sh", data)
        recipes = write_recipes(tmp_path / "r", {"tool": _recipe(LATEST)})
        (recipes / "settings.yaml").write_text(
            f"mirrors:\n  https://github.com/: {server.url('/gh/')}\n"
        )
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        monkeypatch.setattr(
            "installer.runner.command.telemetry_sink", lambda facts, **kw: Recorder()
        )
        code, out, err = cli(["run", "p", "--recipes", str(recipes), "--yes"], capsys)
        assert code == 0, out + err
        assert (isolated_home / "tool.sh").read_bytes() == data
        assert server.hits("/gh/acme/tool/releases/download/1.2/tool.sh") == 1
        log = next((isolated_home).rglob("*.log")).read_text()
        assert f"-> {server.url('/gh/acme/tool/releases/download/1.2/tool.sh')}" in log


def test_environment_mirror_wins_over_settings(tmp_path, isolated_home, capsys, monkeypatch):
    data = b"payload"
    with DownloadServer() as server:
        server.add("/env/acme/tool/releases/download/1.2/tool.sh", data)
        recipes = write_recipes(tmp_path / "r", {"tool": _recipe(VERSIONED)})
        # The settings' mirror would 404 (nothing is served under /settings/).
        (recipes / "settings.yaml").write_text(
            f"mirrors:\n  https://github.com/: {server.url('/settings/')}\n"
        )
        monkeypatch.setenv("DTU_INSTALL_MIRRORS", f"https://github.com/={server.url('/env/')}")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        monkeypatch.setattr(
            "installer.runner.command.telemetry_sink", lambda facts, **kw: Recorder()
        )
        code, out, err = cli(["run", "p", "--recipes", str(recipes), "--yes"], capsys)
        assert code == 0, out + err
        assert (isolated_home / "tool.sh").read_bytes() == data
        assert server.hits("/settings/acme/tool/releases/download/1.2/tool.sh") == 0


def test_checksum_rules_apply_to_mirrored_urls(tmp_path, isolated_home, capsys, monkeypatch):
    """A mirror serving other bytes is caught by the pin, exactly as the publisher would be."""
    with DownloadServer() as server:
        server.add("/gh/acme/tool/releases/download/1.2/tool.sh", b"not the pinned bytes")
        recipe = _recipe(VERSIONED).replace(
            "unverified_reason: a test of where the bytes come from\n      min_size: 1",
            f'sha256: "{sha(b"the pinned bytes")}"',
        )
        recipes = write_recipes(tmp_path / "r", {"tool": recipe})
        monkeypatch.setenv("DTU_INSTALL_MIRRORS", f"https://github.com/={server.url('/gh/')}")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_path)
        monkeypatch.setattr(
            "installer.runner.command.telemetry_sink", lambda facts, **kw: Recorder()
        )
        code, out, err = cli(["run", "p", "--recipes", str(recipes), "--yes"], capsys)
        assert code == 1
        assert "checksum_error" in out + err
        assert not (isolated_home / "tool.sh").exists()


def test_unmirrored_redirect_target_is_left_alone() -> None:
    from installer.steps.download import redirect_target

    mirrors = Mirrors.of({"https://github.com/": "https://m.example/gh/"})
    here = "https://m.example/gh/a/b"
    assert redirect_target(mirrors, here, "/gh/c") == "https://m.example/gh/c"
    assert redirect_target(mirrors, here, "https://github.com/c") == "https://m.example/gh/c"
    assert redirect_target(mirrors, here, "https://cdn.example/c") == "https://cdn.example/c"
