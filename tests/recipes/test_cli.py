"""The foundation commands as users meet them: real `python -m installer` subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer import __version__
from installer.recipes.schema import json_schema
from tests.helpers.recipes import FIXTURES, GOOD_RECIPE, REPO, write_tree

BASIC = str(FIXTURES / "basic")


def dtu(*args: str, home: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if home is not None:
        env["HOME"] = home
    return subprocess.run(
        [sys.executable, "-m", "installer", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    done = dtu("--version")
    assert (done.returncode, done.stdout) == (0, f"dtu-install {__version__}\n")


def test_validate_project_recipes() -> None:
    done = dtu("validate")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: ")


def test_validate_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "tool.yaml": GOOD_RECIPE + "descripton: x\n",
            "other.yaml": (
                "recipe: other\nsteps:\n  - name: other_get\n"
                "    download: {url: 'http://x', dest: /tmp/x}\n"
            ),
            "profiles/default.yaml": "- not a mapping\n",
        },
    )
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[-1] == "4 problem(s) in 3 file(s)"
    rel = os.path.relpath(tmp_path, REPO)
    prefix = str(tmp_path) if rel.startswith("..") else rel
    assert lines[:-1] == [
        f"{prefix}/other.yaml:4:15: steps[0].download: a download needs exactly one of sha256, "
        "sha256_url or unverified_reason",
        f"{prefix}/other.yaml:4:21: steps[0].download.url: must be an https:// URL, got 'http://x'",
        f"{prefix}/profiles/default.yaml:1:1: expected a profile, got a list",
        f"{prefix}/tool.yaml:7:1: descripton: unknown key (did you mean 'description'?)",
    ]


def test_plan_json_is_the_golden_serialization() -> None:
    done = dtu("plan", "--recipes", BASIC, "--arch", "arm64", "--os-version", "14.5", "--json",
               home="/Users/student")  # fmt: skip
    assert done.returncode == 0, done.stderr
    golden = REPO / "tests" / "recipes" / "golden" / "basic-default-arm64-14.5.json"
    assert json.loads(done.stdout) == json.loads(golden.read_text())


def test_plan_arch_changes_rendered_urls() -> None:
    arm = dtu("plan", "vscode", "--recipes", BASIC, "--arch", "arm64", "--os-version", "14.5")
    intel = dtu("plan", "vscode", "--recipes", BASIC, "--arch", "x86_64", "--os-version", "14.5")
    assert arm.returncode == intel.returncode == 0
    assert "https://update.code.visualstudio.com/latest/darwin-arm64/stable" in arm.stdout
    assert "https://update.code.visualstudio.com/latest/darwin/stable" in intel.stdout
    assert "Plan for vscode on Darwin 14.5 arm64" in arm.stdout
    assert "Left out on this Mac:" in intel.stdout


def test_plan_for_linux_says_machine_not_mac() -> None:
    # Only a plan made for macOS (on a Mac, or with --arch/--os-version) says "this Mac".
    linux = dtu("plan", "vscode", "--recipes", BASIC, home="/home/student")
    assert linux.returncode == 0, linux.stderr
    where = "Mac" if sys.platform == "darwin" else "machine"
    assert f"Left out on this {where}:" in linux.stdout


def test_plan_on_linux_with_overrides_plans_for_macos() -> None:
    done = dtu("plan", "--recipes", BASIC, "--arch", "x86_64", "--os-version", "12.7", "--json")
    plan = json.loads(done.stdout)
    assert plan["platform"] == {"os_name": "Darwin", "os_version": "12.7", "arch": "x86_64"}
    assert "xcode_clt_install" in [s["name"] for s in plan["steps"]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arch", "arm"], "--arch must be one of arm64, x86_64, not 'arm'"),
        (["--os-version", "sonoma"], "--os-version must be a macOS version such as 14.5"),
        (["pyton"], "unknown profile or recipe 'pyton' (did you mean 'python'?)"),
    ],
)
def test_plan_usage_errors(args: list[str], message: str) -> None:
    done = dtu("plan", "--recipes", BASIC, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_list_shows_profiles_and_recipes_with_descriptions() -> None:
    done = dtu("list", "--recipes", BASIC)
    assert done.returncode == 0
    assert "Profiles:" in done.stdout and "Recipes:" in done.stdout
    assert "default" in done.stdout and "Everything a DTU student needs" in done.stdout
    assert "Rosetta 2 on Apple silicon" in done.stdout
    listed = json.loads(dtu("list", "--recipes", BASIC, "--json").stdout)
    assert [p["name"] for p in listed["profiles"]] == ["default", "minimal"]


def test_schema_command() -> None:
    done = dtu("schema")
    assert done.returncode == 0
    assert json.loads(done.stdout) == json_schema("recipe")
    bad = dtu("schema", "--kind", "nope")
    assert bad.returncode == 2 and "--kind must be one of" in bad.stderr


def test_garbage_recipe_file_never_shows_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_bytes(b"\x00\xff{[: !!python/object:os.system ls")
    for command in (["validate", str(tmp_path)], ["plan", "--recipes", str(tmp_path)]):
        done = dtu(*command)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr


def test_other_commands_report_bad_recipes_the_same_way(tmp_path: Path) -> None:
    """`run` loads recipes through the top-level handler: same located lines, exit 2."""
    write_tree(tmp_path, {"tool.yaml": GOOD_RECIPE + "descripton: x\n"})
    done = dtu("run", "--dry-run", "--yes", "--recipes", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "tool.yaml:7:1: descripton: unknown key (did you mean 'description'?)"
    )
    assert "Traceback" not in done.stderr and "error:" not in done.stderr


def _deep_recipe(levels: int) -> str:
    """A recipe whose json_settings value nests `levels` mappings inside its 5 own levels
    (recipe, steps, step, json_settings, settings)."""
    nested = "{a: " * levels + "1" + "}" * levels
    return f"""recipe: deep
description: deeply nested settings
steps:
  - name: deep_settings
    description: deep settings
    json_settings:
      path: "~/settings.json"
      settings: {{"k": {nested}}}
"""


@pytest.mark.parametrize("levels", [96, 340, 480, 5000])
def test_nesting_too_deep_is_a_located_problem_at_any_depth(tmp_path: Path, levels: int) -> None:
    # Issue 14 item 9: a few hundred levels passed the YAML parser and crashed a later stage
    # with RecursionError (exit 3); thousands were "malformed YAML" at 1:1.
    (tmp_path / "deep.yaml").write_text(_deep_recipe(levels))
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2, done.stderr
    column = len('      settings: {"k": ') + len("{a: ") * 95 + 1  # the 101st level's `{`
    assert f"deep.yaml:8:{column}: nested too deeply (more than 100 levels)" in done.stderr
    assert "Traceback" not in done.stderr


def test_nesting_at_the_limit_is_validated_and_planned(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text(_deep_recipe(95))
    assert dtu("validate", str(tmp_path)).returncode == 0
    done = dtu("plan", "--recipes", str(tmp_path), "deep", "--json")
    assert done.returncode == 0, done.stderr


def test_analytics_settings_nested_too_deep_are_located(tmp_path: Path) -> None:
    config = tmp_path / "analytics.yaml"
    config.write_text("categories: " + "[" * 600 + "]" * 600 + "\n")  # PyYAML: RecursionError
    done = dtu("analytics", "dashboard", "overview", "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert f"{config}:1:{len('categories: ') + 100}: nested too deeply" in done.stderr


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("tool.yaml", "recipe: tool\n? [a]\n: 1\ndescription: x\n", "tool.yaml:2:3"),
        ("other.yaml", "profile: p\n? {a: 1}\n: 1\nrecipes: [tool]\n", "other.yaml:2:3"),
    ],
)
def test_a_non_scalar_top_level_key_is_located(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    # Issue 14 item 10: `? [a]` made telling recipes from profiles hash a list: TypeError,
    # exit 3 and a crash log, instead of the schema's located problem.
    write_tree(tmp_path, {"tool.yaml": GOOD_RECIPE, name: text})
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert f"{where}: keys must be strings, got a" in done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr


def test_a_recipe_that_is_not_a_regular_file_is_refused_unread(tmp_path: Path) -> None:
    # Issue 14 item 11: a FIFO hung `validate` (its open waits for a writer); a link to
    # /dev/zero was read until MemoryError. Now each is a problem, and the rest is checked.
    write_tree(tmp_path, {"tool.yaml": GOOD_RECIPE})
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "huge.yaml").write_bytes(b"# " + b"x" * 2_000_000 + b"\n")
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert f"{tmp_path}/fifo.yaml:1:1: not a regular file (a FIFO)" in lines
    assert f"{tmp_path}/zero.yaml:1:1: not a regular file (a device)" in lines
    assert f"{tmp_path}/huge.yaml:1:1: file larger than 1000000 bytes" in lines
    assert "3 problem(s) in 3 file(s)" in lines


def test_relative_paths_are_validation_errors(tmp_path: Path) -> None:
    # Issue 14 item 15: a relative `dest`, `files` or `path` resolved against the directory
    # dtu-install was started in (the Downloads folder one day, the home the next).
    recipe = """recipe: rel
description: relative paths
steps:
  - name: rel_download
    description: d
    download: {url: "https://example.org/f", sha256: "%s", dest: "f.bin"}
  - name: rel_files
    description: f
    check: {path_exists: "marker"}
    profile_block: {files: ["~/.zprofile", ".bash_profile"], marker: m, content: x}
  - name: rel_settings
    description: s
    json_settings: {path: "settings.json", settings: {a: 1}}
  - name: rel_extract
    description: e
    extract: {archive: "./a.zip", dest: "{home}/ok"}
  - name: rel_cwd
    description: c
    command: {argv: [ls], cwd: "sub"}
  - name: rel_fine
    description: every form that is fine
    check: {path_exists: "/opt/x"}
    json_settings: {path: "~/s.json", settings: {a: 1}}
""" % ("0" * 64)
    (tmp_path / "rel.yaml").write_text(recipe)
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2, done.stderr
    bad = [line.split(": ", 2)[1] for line in done.stderr.splitlines() if "absolute path" in line]
    assert bad == [
        "steps[0].download.dest",
        "steps[1].check.path_exists",
        "steps[1].profile_block.files[1]",
        "steps[2].json_settings.path",
        "steps[3].extract.archive",
        "steps[4].command.cwd",
    ]


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("{arch}/settings.json", "/settings.json"),  # x86_64/... or arm64/...
        ("{os_version}/settings.json", "/settings.json"),
        ("~nosuchuser-dtu/settings.json", "~nosuchuser-dtu/settings.json"),
    ],
    ids=["arch", "os-version", "tilde-user"],
)
def test_a_path_that_renders_relative_is_refused_before_running(
    tmp_path: Path, path: str, rendered: str
) -> None:
    # Issue 14 item 15: the schema takes a path that starts with a placeholder, but `{arch}`
    # or `{os_version}` (or `~name` for no such user) rendered relative, and `run` wrote the
    # file under the directory it was started in. Now plan and run refuse it, exit 2.
    recipe = f"""recipe: relr
description: paths that render relative
steps:
  - name: relr_settings
    description: s
    json_settings: {{path: "{path}", settings: {{a: 1}}}}
"""
    (tmp_path / "relr.yaml").write_text(recipe)
    assert dtu("validate", str(tmp_path / "relr.yaml")).returncode == 0
    done = dtu("plan", "--recipes", str(tmp_path), "relr")
    assert done.returncode == 2, done.stdout
    assert f"relr.yaml:4: the path '{path}' is " in done.stderr
    assert rendered in done.stderr and "not an absolute path" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_nul_in_an_argument_or_path_is_a_validation_error(tmp_path: Path) -> None:
    # Issue 14 item 16: a NUL (YAML's "\0") passed validation and failed at run time as
    # unknown_error: no argument, path or environment value can hold one.
    recipe = r"""recipe: nul
description: NUL characters
steps:
  - name: nul_argv
    description: a
    command: [echo, "a\0b"]
  - name: nul_env
    description: e
    command: {argv: [env], env: {X: "1\02"}}
  - name: nul_path
    description: p
    json_settings: {path: "~/s\0.json", settings: {a: 1}}
  - name: nul_shell
    description: s
    shell: "echo a\0b"
"""
    (tmp_path / "nul.yaml").write_text(recipe)
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2, done.stderr
    bad = [line.split(": ", 2)[1] for line in done.stderr.splitlines() if "NUL" in line]
    assert bad == [
        "steps[0].command[1]",
        "steps[1].command.env.X",
        "steps[2].json_settings.path",
        "steps[3].shell",
    ], done.stderr


def test_a_nul_in_yaml_is_one_located_line(tmp_path: Path) -> None:
    # Issue 14 item 19: PyYAML's reader error ends with '  in "<unicode string>", position N'
    # on a second line, at 1:1: a problem split in two, pointing nowhere.
    (tmp_path / "nul.yaml").write_bytes(b"recipe: nul\ndescription: a\x00b\n")
    done = dtu("validate", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{tmp_path}/nul.yaml:2:15: malformed YAML: unacceptable character #x0000: "
        "special characters are not allowed",
        "1 problem(s) in 1 file(s)",
    ]
