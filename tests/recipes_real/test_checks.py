"""The real recipes' checks and commands, run for real (subprocesses, files in a temporary
home) with stub `code`, `conda` and `brew` programs where macOS software cannot exist.

A check that never passes makes every run redo the step (and the macOS CI's "second run
skips everything" fail); one that passes too early skips an install. So each check is run
before and after the thing it checks for."""

from __future__ import annotations

import dataclasses
import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.kinds.actions.command import CommandAction
from installer.kinds.actions.json_settings import JsonSettingsAction
from installer.kinds.actions.profile_block import ProfileBlockAction
from installer.kinds.checks.command import CommandCheck
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from installer.steps import files
from installer.steps.model import Plan, PlannedStep
from tests.helpers.recipes import mac

ROOT = Path(__file__).resolve().parents[2]


def _plan(home: Path, arch: str = "arm64") -> Plan:
    return build_plan(
        load_recipe_set([ROOT / "recipes"]), ["with-homebrew"], mac(arch, "15.1", str(home))
    )


def _step(plan: Plan, name: str) -> PlannedStep:
    return next(s for s in plan.steps if s.name == name)


def _passes(check: object, env: dict[str, str] | None = None, argv0: str | None = None) -> bool:
    assert isinstance(check, CommandCheck)
    argv = list(check.argv)
    if argv0 is not None:
        argv[0] = argv0
    done = subprocess.run(argv, capture_output=True, check=False, env=env, timeout=30)
    return done.returncode == 0


def _all_pass(step: PlannedStep) -> bool:
    return all(_passes(c) for c in step.checks)


def _stub(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.mark.parametrize(
    ("step_name", "line"),
    [
        ("homebrew_shellenv", 'eval "$(/opt/homebrew/bin/brew shellenv)"'),
        (
            "vscode_shell_path",
            'export PATH="$PATH:/Applications/Visual Studio Code.app/Contents/Resources/app/bin"',
        ),
    ],
)
def test_profile_block_checks_pass_once_the_block_is_written(
    tmp_path: Path, step_name: str, line: str
) -> None:
    step = _step(_plan(tmp_path), step_name)
    assert not _all_pass(step)  # no profile files yet
    action = step.action
    assert isinstance(action, ProfileBlockAction) and action.content == line
    (tmp_path / ".zprofile").write_text("# the student's own line\n")
    files.apply_profile_block(action.files, action.marker, action.content)
    assert _all_pass(step)
    (tmp_path / ".bash_profile").unlink()  # one file lost: the step must run again
    assert not _all_pass(step)


def test_conda_init_check_needs_both_shells(tmp_path: Path) -> None:
    step = _step(_plan(tmp_path), "miniforge_init")
    block = "# >>> conda initialize >>>\n...\n# <<< conda initialize <<<\n"
    (tmp_path / ".zshrc").write_text(block)
    assert not _all_pass(step)
    (tmp_path / ".bash_profile").write_text(block)
    assert _all_pass(step)


def test_conda_config_checks(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    usage = _step(plan, "miniforge_config_usage").checks[0]
    channels = _step(plan, "miniforge_config_channels").checks[0]
    conda = tmp_path / "miniforge3" / "bin" / "conda"
    assert not _passes(usage)  # conda not installed yet: not done
    # Miniforge's conda does not know the setting (Anaconda's plugin is absent): done.
    _stub(conda, "echo \"CondaKeyError: 'anaconda_anon_usage': unknown parameter\" >&2; exit 1\n")
    assert _passes(usage)
    _stub(conda, 'echo "anaconda_anon_usage: True"\n')
    assert not _passes(usage)
    _stub(conda, 'echo "anaconda_anon_usage: False"\n')
    assert _passes(usage)
    assert not _passes(channels)
    (tmp_path / ".condarc").write_text("channels:\n  - conda-forge\nchannel_priority: flexible\n")
    assert _passes(channels)


def test_vscode_extensions_check_and_install(tmp_path: Path) -> None:
    """`code` stands in for VS Code's CLI (`--list-extensions`, `--install-extension`)."""
    step = _step(_plan(tmp_path), "vscode_install_extensions")
    installed = tmp_path / "extensions.txt"
    installed.write_text("ms-python.python\n")
    code = _stub(
        tmp_path / "bin" / "code",
        f"""case "$1" in
  --list-extensions) cat '{installed}' ;;
  --install-extension) grep -qx "$2" '{installed}' || echo "$2" >> '{installed}' ;;
esac
""",
    )
    check, action = step.checks[0], step.action
    assert isinstance(check, CommandCheck) and isinstance(action, CommandAction)
    # argv: /bin/sh -c SCRIPT <code> <extension>...; the variable became one arg each.
    assert list(check.argv[-2:]) == ["ms-python.python", "ms-toolsai.jupyter"]
    rewired = [*check.argv[:3], str(code), *check.argv[4:]]
    assert subprocess.run(rewired, check=False).returncode == 1  # jupyter missing
    install = [*action.argv[:3], str(code), *action.argv[4:]]
    assert subprocess.run(install, check=False).returncode == 0
    assert subprocess.run(rewired, check=False).returncode == 0
    assert sorted(installed.read_text().split()) == ["ms-python.python", "ms-toolsai.jupyter"]


def test_homebrew_check_finds_brew_on_path(tmp_path: Path) -> None:
    check = _step(_plan(tmp_path), "homebrew_install").checks[0]
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    assert not _passes(check, env=bare)
    _stub(tmp_path / "bin" / "brew", "exit 0\n")
    assert _passes(check, env={**bare, "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"})


def test_vscode_settings_written_then_skipped(tmp_path: Path) -> None:
    step = _step(_plan(tmp_path), "vscode_settings_python")
    assert not _all_pass(step)
    action = step.action
    assert isinstance(action, JsonSettingsAction)
    files.apply_json_settings(action.path, action.settings)
    assert _all_pass(step)
    assert action.settings == {"python.defaultInterpreterPath": f"{tmp_path}/miniforge3/bin/python"}


def _interpreters() -> list[str]:
    found = {sys.executable}
    for version in ("3.9", "3.12"):  # macOS's, and the one the recipes install
        found.update(glob.glob(f"/root/.pyenv/versions/{version}.*/bin/python"))
    return sorted(p for p in found if os.access(p, os.X_OK))


def test_python_version_check_is_exact(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    version_check = _step(plan, "python_install").checks[0]
    wanted = plan.variables["python_version"]
    for python in _interpreters():
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert _passes(version_check, argv0=python) == (out == wanted), python


def test_python_imports_check(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    imports = _step(plan, "python_install").checks[1]
    assert isinstance(imports, CommandCheck)
    assert list(imports.argv[3:]) == plan.variables["python_imports"].split()
    argv = [sys.executable, *imports.argv[1:3]]
    assert subprocess.run([*argv, "json", "csv"], check=False).returncode == 0
    assert subprocess.run([*argv, "json", "no_such_module_x"], check=False).returncode != 0


@pytest.mark.parametrize(
    "suffix",
    ["", " zsh", " bash"],  # Homebrew's installer now prints the line with the shell's name
)
def test_homebrew_s_own_shellenv_lines_count_as_done(tmp_path: Path, suffix: str) -> None:
    step = _step(_plan(tmp_path), "homebrew_shellenv")
    (tmp_path / ".zprofile").write_text(f'eval "$(/opt/homebrew/bin/brew shellenv{suffix})"\n')
    assert not _all_pass(step)  # bash's profile still lacks it
    (tmp_path / ".bash_profile").write_text(
        f'export X=1\n\neval "$(/opt/homebrew/bin/brew shellenv{suffix})"\n'
    )
    assert _all_pass(step)


def test_another_prefix_s_shellenv_line_does_not_count(tmp_path: Path) -> None:
    """Intel Homebrew's line (/usr/local) does not put arm64 Homebrew on PATH."""
    step = _step(_plan(tmp_path), "homebrew_shellenv")
    line = 'eval "$(/usr/local/bin/brew shellenv zsh)"\n'
    (tmp_path / ".zprofile").write_text(line)
    (tmp_path / ".bash_profile").write_text(line)
    assert not _all_pass(step)


def _plan_with_zdotdir(home: Path, zdotdir: Path) -> Plan:
    facts = dataclasses.replace(mac("arm64", "15.1", str(home)), zdotdir=str(zdotdir))
    return build_plan(load_recipe_set([ROOT / "recipes"]), ["with-homebrew"], facts)


def test_zdotdir_is_where_zsh_files_are_checked_and_written(tmp_path: Path) -> None:
    """With ZDOTDIR set, zsh reads $ZDOTDIR/.zshrc and .zprofile, and `conda init` writes
    $ZDOTDIR/.zshrc (conda/conda conda/core/initialize.py): a block in ~/.zshrc means nothing."""
    home, zdot = tmp_path / "student", tmp_path / "zdot"
    home.mkdir()
    zdot.mkdir()
    plan = _plan_with_zdotdir(home, zdot)
    init = _step(plan, "miniforge_init")
    block = "# >>> conda initialize >>>\n...\n# <<< conda initialize <<<\n"
    (home / ".bash_profile").write_text(block)
    (home / ".zshrc").write_text(block)
    assert not _all_pass(init)  # zsh would not read ~/.zshrc
    (zdot / ".zshrc").write_text(block)
    assert _all_pass(init)

    for name in ("homebrew_shellenv", "vscode_shell_path"):
        action = _step(plan, name).action
        assert isinstance(action, ProfileBlockAction)
        assert action.files == (f"{zdot}/.zprofile", f"{home}/.bash_profile")


def test_zdotdir_comes_from_the_environment(tmp_path: Path) -> None:
    from installer.platform.facts import detect_facts

    def ask(argv: object) -> None:
        return None

    env = {"HOME": str(tmp_path), "SHELL": "/bin/zsh"}
    assert detect_facts(run=ask, env=env, system="Darwin", machine="arm64").zsh_dir == str(tmp_path)
    with_zdotdir = {**env, "ZDOTDIR": str(tmp_path / "zsh")}
    facts = detect_facts(run=ask, env=with_zdotdir, system="Darwin", machine="arm64")
    assert facts.zsh_dir == str(tmp_path / "zsh")
