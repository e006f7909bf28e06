"""Pinned downloads (SPEC 3, "Upstream versions"): `version` + per-arch `sha256`, `{version}`
in the URL, a `livecheck` block as data; each mistake is a located problem (exit 2)."""

from __future__ import annotations

from pathlib import Path

from installer.recipes.plan import build_plan
from installer.steps.download_action import DownloadAction
from tests.helpers.recipes import load_tree, mac, problems_of

A = "a" * 64
B = "b" * 64


def _recipe(download: str, extra_step: str = "") -> dict[str, str]:
    return {
        "tool.yaml": f"""\
recipe: tool
steps:
  - name: tool_download
    download:
{download}
{extra_step}"""
    }


PINNED = f"""\
      version: 2.0-1
      url: https://example.org/releases/download/{{version}}/tool-{{version}}-{{arch}}.sh
      sha256: {{arm64: {A}, x86_64: {B}}}
      dest: "{{cache_dir}}/tool-{{version}}.sh"
      livecheck:
        github_release: {{repo: acme/tool, checksums: [sha256_file, asset_digest]}}"""


def test_a_pin_renders_version_into_url_and_dest(tmp_path: Path) -> None:
    recipe_set = load_tree(tmp_path, _recipe(PINNED))
    for arch, digest in (("arm64", A), ("x86_64", B)):
        action = build_plan(recipe_set, ["tool"], mac(arch)).steps[0].action
        assert isinstance(action, DownloadAction)
        assert action.url == f"https://example.org/releases/download/2.0-1/tool-2.0-1-{arch}.sh"
        assert action.dest.endswith("/tool-2.0-1.sh")
        assert (action.version, action.sha256) == ("2.0-1", digest)


def test_pin_mistakes_are_each_reported_with_their_place(tmp_path: Path) -> None:
    files = _recipe(
        """\
      version: "1.0"
      url: https://example.org/tool.sh
      unverified_reason: none
      min_size: 1
      dest: "{cache_dir}/t.sh"
      livecheck: {github_release: {repo: not-a-repo}, vscode_update: {platform: darwin}}""",
        extra_step="""\
  - name: tool_run
    command: [echo, "{version}"]
  - name: tool_other
    download:
      url: https://example.org/{version}/t.sh
      sha256: """
        + A
        + """
      dest: "{cache_dir}/o.sh"
      livecheck: {github_commit: {repo: acme/tool, path: install.sh}}
""",
    )
    problems = problems_of(tmp_path, files)
    text = "\n".join(problems)
    assert "steps[0].download.version: needs 'sha256' beside it" in text
    assert "livecheck needs exactly one of github_release, github_commit, vscode_update" in text
    assert "'not-a-repo' is not a GitHub repository owner/name" in text
    assert "must use {version} in its url" in text
    assert "steps[1].command[1]: unknown placeholder {version}" in text
    assert "steps[2].download.url: unknown placeholder {version}" in text
    assert "steps[2].download.livecheck: needs 'version' beside it" in text


def test_a_variable_may_not_be_named_version(tmp_path: Path) -> None:
    files = _recipe(PINNED)
    files["settings.yaml"] = "variables:\n  version: '1'\n"
    text = "\n".join(problems_of(tmp_path, files))
    assert "variables.version: 'version' is a download's pinned version" in text


def test_the_real_recipes_pin_every_download_they_livecheck() -> None:
    from installer.recipes.loader import load_recipe_set
    from tests.helpers.recipes import REPO

    recipe_set = load_recipe_set([REPO / "recipes"])
    pinned = {
        s.recipe: s.data["download"]["livecheck"]
        for s in recipe_set.steps().values()
        if "download" in s.data and "livecheck" in s.data["download"]
    }
    assert set(pinned) == {"homebrew", "miniforge", "vscode"}
    assert set(pinned["miniforge"]) == {"github_release"}
    assert set(pinned["homebrew"]) == {"github_commit"}
    assert set(pinned["vscode"]) == {"vscode_update"}


def test_livecheck_kinds_in_the_schema_are_the_sources_upstream_has() -> None:
    from installer.kinds.fields import LIVECHECK_FIELDS
    from installer.upstream.sources import SOURCES

    assert list(LIVECHECK_FIELDS) == list(SOURCES)
