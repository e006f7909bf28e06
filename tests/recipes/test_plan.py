"""Planning: targets, requirements, `when`, per-arch values and placeholders, order."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.errors import UsageError
from installer.kinds.actions.command import CommandAction
from installer.kinds.actions.profile_block import ProfileBlockAction
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.recipes.recipe_set import RecipeSet
from installer.steps.download_action import DownloadAction
from tests.helpers.recipes import FIXTURES, load_tree, mac


@pytest.fixture(scope="module")
def basic() -> RecipeSet:
    return load_recipe_set([FIXTURES / "basic"])


def names(plan_steps: tuple[object, ...]) -> list[str]:
    return [s.name for s in plan_steps]  # type: ignore[attr-defined]


def test_default_profile_when_no_target(basic: RecipeSet) -> None:
    plan = build_plan(basic, [], mac())
    assert plan.targets == ("default",)
    assert names(plan.steps)[0] == "rosetta_install"


def test_arch_changes_urls(basic: RecipeSet) -> None:
    arm = build_plan(basic, ["vscode"], mac("arm64"))
    intel = build_plan(basic, ["vscode"], mac("x86_64"))
    assert names(arm.steps)[-3:] == ["vscode_download", "vscode_install", "vscode_settings"]
    arm_dl = next(s.action for s in arm.steps if s.name == "vscode_download")
    intel_dl = next(s.action for s in intel.steps if s.name == "vscode_download")
    assert isinstance(arm_dl, DownloadAction) and isinstance(intel_dl, DownloadAction)
    assert arm_dl.url == "https://update.code.visualstudio.com/latest/darwin-arm64/stable"
    assert intel_dl.url == "https://update.code.visualstudio.com/latest/darwin/stable"
    assert arm_dl.sha256_url and arm_dl.sha256_url.endswith("/darwin-arm64/stable/latest")
    assert arm_dl.sha256_json_key == "sha256hash"
    assert arm_dl.dest == "/Users/student/Library/Caches/dtu-install/vscode-arm64.zip"


def test_arch_placeholder_and_per_arch_variable(basic: RecipeSet) -> None:
    plan = build_plan(basic, ["homebrew"], mac("x86_64"))
    by_name = {s.name: s for s in plan.steps}
    update = by_name["homebrew_update"].action
    assert isinstance(update, CommandAction)
    assert update.argv == ("/usr/local/bin/brew", "update")
    block = by_name["homebrew_shellenv"].action
    assert isinstance(block, ProfileBlockAction)
    assert block.files == ("/Users/student/.zprofile", "/Users/student/.bash_profile")
    assert block.content == 'eval "$(/usr/local/bin/brew shellenv)"'
    assert by_name["homebrew_install"].sudo == "Homebrew creates /usr/local owned by you"


def test_list_variable_expands_into_arguments(basic: RecipeSet) -> None:
    plan = build_plan(basic, ["python"], mac())
    step = next(s for s in plan.steps if s.name == "python_install_3.12")
    assert isinstance(step.action, CommandAction)
    assert step.action.argv == (
        "/Users/student/miniforge3/bin/conda",
        "install",
        "python=3.12",
        "dtumathtools",
        "pandas",
        "scipy",
        "-y",
    )
    assert plan.variables["conda_packages"] == "dtumathtools pandas scipy"


def test_required_recipes_are_pulled_in_first(basic: RecipeSet) -> None:
    plan = build_plan(basic, ["python"], mac())
    assert names(plan.steps) == [
        "miniforge_download",
        "miniforge_install",
        "miniforge_init",
        "python_install_3.12",
    ]
    assert plan.steps[-1].requires == ("miniforge_download", "miniforge_install", "miniforge_init")


def test_step_requiring_a_recipe_orders_after_it(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path,
        {
            "a.yaml": """\
            recipe: a
            steps:
              - name: a_first
                command: [echo]
                requires: [b_only]
              - name: a_second
                command: [echo]
            """,
            "b.yaml": "recipe: b\nsteps:\n  - name: b_only\n    command: [echo]\n",
        },
    )
    plan = build_plan(recipe_set, ["a"], mac())
    assert names(plan.steps) == ["b_only", "a_first", "a_second"]


def test_requires_reorders_within_a_recipe(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path,
        {
            "a.yaml": """\
            recipe: a
            steps:
              - name: a_late
                command: [echo]
                requires: [a_early]
              - name: a_other
                command: [echo]
              - name: a_early
                command: [echo]
            """
        },
    )
    plan = build_plan(recipe_set, ["a"], mac())
    assert names(plan.steps) == ["a_other", "a_early", "a_late"]


def test_when_excludes_by_arch_with_reason(basic: RecipeSet) -> None:
    plan = build_plan(basic, [], mac("x86_64"))
    assert "rosetta_install" not in names(plan.steps)
    excluded = {e.name: e.reason for e in plan.excluded}
    assert excluded["rosetta_install"] == "arch is x86_64, step needs arm64"


def test_when_excludes_by_macos_version(basic: RecipeSet) -> None:
    old = build_plan(basic, ["homebrew", "vscode"], mac("x86_64", "11.7"))
    new = build_plan(basic, ["homebrew", "vscode"], mac("x86_64", "14.5"))
    assert "homebrew_update" not in names(old.steps)
    assert "vscode_legacy_note" in names(old.steps)
    assert "homebrew_update" in names(new.steps)
    assert {e.name: e.reason for e in new.excluded} == {
        "vscode_legacy_note": "macOS 14.5 is not <12"
    }


def test_os_version_compares_as_versions_not_text(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path,
        {
            "a.yaml": """\
            recipe: a
            steps:
              - name: a_new
                command: [echo]
                when: {os_version: ">=10.15"}
            """
        },
    )
    assert names(build_plan(recipe_set, ["a"], mac(version="10.9")).steps) == []
    assert names(build_plan(recipe_set, ["a"], mac(version="10.15.7")).steps) == ["a_new"]


def test_excluded_requirement_counts_as_met(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path,
        {
            "a.yaml": """\
            recipe: a
            steps:
              - name: a_arm_only
                command: [echo]
                when: {arch: arm64}
              - name: a_after
                command: [echo]
                requires: [a_arm_only]
            """
        },
    )
    intel = build_plan(recipe_set, ["a"], mac("x86_64"))
    assert names(intel.steps) == ["a_after"]
    assert intel.steps[0].requires == ()
    arm = build_plan(recipe_set, ["a"], mac("arm64"))
    assert arm.steps[1].requires == ("a_arm_only",)


def test_recipe_level_when_on_linux(basic: RecipeSet) -> None:
    linux = mac()
    linux = type(linux)(**{**linux.__dict__, "os_name": "Linux", "os_version": "6.1.0"})
    plan = build_plan(basic, ["xcode-clt"], linux)
    assert plan.steps == ()
    assert plan.excluded[0].reason == "OS is Linux, step needs Darwin"
    assert plan.verify == ()


def test_unknown_target_did_you_mean(basic: RecipeSet) -> None:
    with pytest.raises(
        UsageError, match=r"unknown profile or recipe 'pyton' \(did you mean 'python'\?\)"
    ):
        build_plan(basic, ["pyton"], mac())


def test_missing_default_profile(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path, {"a.yaml": "recipe: a\nsteps:\n  - name: a_x\n    command: [x]\n"}
    )
    with pytest.raises(UsageError, match="no 'default' profile"):
        build_plan(recipe_set, [], mac())


def test_verify_checks_are_rendered(basic: RecipeSet) -> None:
    plan = build_plan(basic, ["miniforge"], mac())
    assert [v.name for v in plan.verify] == ["miniforge_conda"]
    assert plan.verify[0].check.path == "/Users/student/miniforge3/bin/conda"  # type: ignore[union-attr]


def test_retries_timeout_and_mode(basic: RecipeSet) -> None:
    plan = build_plan(basic, ["miniforge", "homebrew"], mac())
    by_name = {s.name: s for s in plan.steps}
    assert by_name["miniforge_download"].retries.attempts == 4
    assert by_name["miniforge_download"].retries.backoff == 2.0
    assert by_name["miniforge_download"].timeout == 600.0
    download = by_name["homebrew_download"].action
    assert isinstance(download, DownloadAction) and download.mode == 0o755
    assert by_name["homebrew_update"].on_failure == "continue"


def test_literal_braces(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path,
        {"a.yaml": "recipe: a\nsteps:\n  - name: a_x\n    shell: 'echo ${{HOME}} {arch}'\n"},
    )
    plan = build_plan(recipe_set, ["a"], mac("arm64"))
    assert plan.steps[0].action.script == "echo ${HOME} arm64"  # type: ignore[union-attr]


def test_requiring_a_recipe_does_not_block_on_its_continue_steps(tmp_path: Path) -> None:
    recipe_set = load_tree(
        tmp_path,
        {
            "base.yaml": """\
            recipe: base
            steps:
              - name: base_install
                command: [echo]
              - name: base_tweak
                command: [echo]
                on_failure: continue
            """,
            "app.yaml": """\
            recipe: app
            requires: [base]
            steps:
              - name: app_install
                command: [echo]
              - name: app_explicit
                command: [echo]
                requires: [base_tweak]
            """,
        },
    )
    plan = build_plan(recipe_set, ["app"], mac())
    assert names(plan.steps) == ["base_install", "base_tweak", "app_install", "app_explicit"]
    by_name = {s.name: s for s in plan.steps}
    assert by_name["app_install"].requires == ("base_install",)  # still ordered after the tweak
    assert by_name["app_explicit"].requires == ("base_tweak", "base_install")
