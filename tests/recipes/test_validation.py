"""Every kind of bad recipe is reported as FILE:LINE:COL: key.path: message, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from installer.errors import ExitCode, InputFileError
from installer.recipes.loader import display_path, load_recipe_set
from tests.helpers.recipes import GOOD_RECIPE, load_tree, problems_of, write_tree

STEP_HEAD = """\
recipe: tool
steps:
  - name: tool_install
"""

DOWNLOAD = (
    STEP_HEAD
    + """\
    download:
      url: https://example.org/tool.tar.gz
      dest: "{cache_dir}/tool.tar.gz"
"""
)

# (id, files, expected lines: each must equal one reported problem, in order of appearance)
CASES: list[tuple[str, dict[str, str], list[str]]] = [
    (
        "malformed_yaml",
        {"tool.yaml": "recipe: [unclosed\nsteps: 1\n"},
        [
            "tool.yaml:2:6: malformed YAML: while parsing a flow sequence expected "
            "',' or ']', but got ':'"
        ],
    ),
    ("empty_file", {"tool.yaml": ""}, ["tool.yaml:1:1: file is empty"]),
    ("only_comments", {"tool.yaml": "# nothing here\n"}, ["tool.yaml:1:1: file is empty"]),
    (
        "top_level_list",
        {"tool.yaml": "- recipe: tool\n"},
        ["tool.yaml:1:1: expected a recipe, got a list"],
    ),
    (
        "top_level_scalar",
        {"tool.yaml": "just text\n"},
        ["tool.yaml:1:1: expected a recipe, got a string"],
    ),
    (
        "unknown_key_did_you_mean",
        {"tool.yaml": GOOD_RECIPE + "descripton: typo\n"},
        ["tool.yaml:7:1: descripton: unknown key (did you mean 'description'?)"],
    ),
    (
        "unknown_step_key_and_no_action",
        {"tool.yaml": STEP_HEAD + "    comand: [echo]\n"},
        [
            "tool.yaml:3:5: steps[0]: a step needs exactly one action: command, shell, download, "
            "extract, profile_block, json_settings, remove, profile_block_remove",
            "tool.yaml:4:5: steps[0].comand: unknown key (did you mean 'command'?)",
        ],
    ),
    (
        "steps_not_a_list",
        {"tool.yaml": "recipe: tool\nsteps: {name: tool_install}\n"},
        ["tool.yaml:2:8: steps: expected a list of steps, got a mapping"],
    ),
    (
        "timeout_wrong_type",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    timeout: yes\n"},
        [
            "tool.yaml:5:14: steps[0].timeout: expected seconds or a duration, got "
            'a boolean (quote it: "yes")'
        ],
    ),
    (
        "unquoted_off_in_argv",
        {"tool.yaml": STEP_HEAD + "    command: [conda, config, --set, usage, off]\n"},
        [
            "tool.yaml:4:44: steps[0].command[4]: expected a string (or per arch), "
            'got a boolean (quote it: "off")'
        ],
    ),
    (
        "unquoted_version_number",
        {"settings.yaml": "variables:\n  python_version: 3.10\n", "tool.yaml": GOOD_RECIPE},
        [
            "settings.yaml:2:19: variables.python_version: expected a string, a list of "
            'strings or a mapping by arch, got a number (quote it: "3.10")'
        ],
    ),
    (
        "missing_steps",
        {"tool.yaml": "recipe: tool\n"},
        ["tool.yaml:1:1: missing required key 'steps'"],
    ),
    (
        "empty_steps",
        {"tool.yaml": "recipe: tool\nsteps: []\n"},
        ["tool.yaml:2:8: steps: needs at least 1 item(s)"],
    ),
    (
        "missing_step_name",
        {"tool.yaml": "recipe: tool\nsteps:\n  - command: [echo]\n"},
        ["tool.yaml:3:5: steps[0]: missing required key 'name'"],
    ),
    (
        "missing_recipe_key",
        {"tool.yaml": "steps:\n  - name: tool_install\n    command: [echo]\n"},
        ["tool.yaml:1:1: missing required key 'recipe'"],
    ),
    (
        "unknown_placeholder",
        {"tool.yaml": STEP_HEAD + '    command: [ls, "{hme}/x"]\n'},
        ["tool.yaml:4:19: steps[0].command[1]: unknown placeholder {hme} (did you mean {home}?)"],
    ),
    (
        "stray_brace",
        {"tool.yaml": STEP_HEAD + "    shell: 'echo a } b'\n"},
        ["tool.yaml:4:12: steps[0].shell: unmatched '}' (write }} for a literal brace)"],
    ),
    (
        "bad_placeholder_name",
        {"tool.yaml": STEP_HEAD + '    shell: "echo ${HOME}"\n'},
        [
            "tool.yaml:4:12: steps[0].shell: {HOME} is not a placeholder name "
            "(write {{ and }} for literal braces)"
        ],
    ),
    (
        "duplicate_step_in_recipe",
        {
            "tool.yaml": STEP_HEAD
            + "    command: [echo]\n  - name: tool_install\n    command: [echo]\n"
        },
        [
            "tool.yaml:5:11: steps[1].name: duplicate step name 'tool_install' "
            "(first at tool.yaml:3)"
        ],
    ),
    (
        "duplicate_step_across_recipes",
        {
            "tool.yaml": GOOD_RECIPE,
            "other.yaml": GOOD_RECIPE.replace("recipe: tool", "recipe: other"),
        },
        [
            "tool.yaml:4:11: steps[0].name: duplicate step name 'tool_install' "
            "(first at other.yaml:4)"
        ],
    ),
    (
        "step_requires_cycle",
        {
            "tool.yaml": """\
            recipe: tool
            steps:
              - name: tool_a
                command: [echo]
                requires: [tool_b]
              - name: tool_b
                command: [echo]
                requires: [tool_a]
            """
        },
        ["tool.yaml:5:15: steps[0].requires: requires cycle: tool_a -> tool_b -> tool_a"],
    ),
    (
        "recipe_requires_cycle",
        {
            "tool.yaml": GOOD_RECIPE + "requires: [other]\n",
            "other.yaml": GOOD_RECIPE.replace("recipe: tool", "recipe: other").replace(
                "tool_install", "other_install"
            )
            + "requires: [tool]\n",
        },
        ["other.yaml:7:11: requires: requires cycle: other -> tool -> other"],
    ),
    (
        "requires_unknown_target",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    requires: [tool_instal]\n"},
        [
            "tool.yaml:5:16: steps[0].requires[0]: unknown step or recipe 'tool_instal' "
            "(did you mean 'tool_install'?)"
        ],
    ),
    (
        "step_requires_itself",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    requires: [tool_install]\n"},
        ["tool.yaml:5:16: steps[0].requires[0]: a step cannot require itself"],
    ),
    (
        "recipe_requires_unknown",
        {
            "tool.yaml": GOOD_RECIPE + "requires: [homebrw]\n",
            "homebrew.yaml": GOOD_RECIPE.replace("recipe: tool", "recipe: homebrew").replace(
                "tool_install", "homebrew_install"
            ),
        },
        ["tool.yaml:7:12: requires[0]: unknown recipe 'homebrw' (did you mean 'homebrew'?)"],
    ),
    (
        "profile_unknown_recipe",
        {"tool.yaml": GOOD_RECIPE, "profiles/default.yaml": "profile: default\nrecipes: [tol]\n"},
        ["profiles/default.yaml:2:11: recipes[0]: unknown recipe 'tol' (did you mean 'tool'?)"],
    ),
    (
        "http_url",
        {"tool.yaml": DOWNLOAD.replace("https://", "http://") + "      sha256: " + "a" * 64 + "\n"},
        [
            "tool.yaml:5:12: steps[0].download.url: must be an https:// URL, "
            "got 'http://example.org/tool.tar.gz'"
        ],
    ),
    (
        "download_without_checksum",
        {"tool.yaml": DOWNLOAD},
        [
            "tool.yaml:5:7: steps[0].download: a download needs exactly one of sha256, "
            "sha256_url or unverified_reason"
        ],
    ),
    (
        "download_with_two_checksums",
        {
            "tool.yaml": DOWNLOAD
            + "      sha256: "
            + "a" * 64
            + "\n"
            + "      sha256_url: https://example.org/tool.tar.gz.sha256\n"
        },
        [
            "tool.yaml:5:7: steps[0].download: a download needs exactly one of sha256, "
            "sha256_url or unverified_reason (found sha256, sha256_url)"
        ],
    ),
    (
        "sha256_malformed",
        {"tool.yaml": DOWNLOAD + "      sha256: ABC123\n"},
        ["tool.yaml:7:15: steps[0].download.sha256: 'ABC123' is not 64 lower-case hex digits"],
    ),
    (
        "latest_url_pinned",
        {
            "tool.yaml": DOWNLOAD.replace("example.org/", "example.org/latest/")
            + "      sha256: "
            + "a" * 64
            + "\n"
        },
        [
            "tool.yaml:7:15: steps[0].download.sha256: a 'latest' URL changes under a pinned "
            "sha256; use sha256_url (the publisher's checksum) or unverified_reason"
        ],
    ),
    (
        "json_key_without_url",
        {"tool.yaml": DOWNLOAD + "      unverified_reason: none\n      sha256_json_key: hash\n"},
        ["tool.yaml:8:7: steps[0].download.sha256_json_key: needs 'sha256_url' beside it"],
    ),
    (
        "step_name_convention",
        {"tool.yaml": "recipe: tool\nsteps:\n  - name: InstallTool\n    command: [echo]\n"},
        [
            "tool.yaml:3:11: steps[0].name: 'InstallTool' is not a step name: "
            "<component>_<action>[_<detail>], lower case (e.g. homebrew_install)"
        ],
    ),
    (
        "step_name_error_suffix",
        {"tool.yaml": "recipe: tool\nsteps:\n  - name: tool_network_error\n    command: [echo]\n"},
        [
            "tool.yaml:3:11: steps[0].name: a step name may not end in an error category "
            "(_network_error)"
        ],
    ),
    (
        "recipe_name_not_file_name",
        {"tool.yaml": GOOD_RECIPE.replace("recipe: tool", "recipe: tools")},
        ["tool.yaml:1:9: recipe: recipe 'tools' must be named like its file ('tool')"],
    ),
    (
        "two_actions",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    shell: echo\n"},
        [
            "tool.yaml:3:5: steps[0]: a step needs exactly one action: command, shell, "
            "download, extract, profile_block, json_settings, remove, profile_block_remove "
            "(found command, shell)"
        ],
    ),
    (
        "when_bad_arch",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    when: {arch: arm}\n"},
        [
            "tool.yaml:5:18: steps[0].when.arch: 'arm' is not one of arm64, x86_64 "
            "(did you mean 'arm64'?)"
        ],
    ),
    (
        "when_bad_version_range",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    when: {os_version: 'newer than 13'}\n"},
        [
            "tool.yaml:5:24: steps[0].when.os_version: 'newer than 13' is not a version range "
            "such as '>=13' or '>=12,<15'"
        ],
    ),
    (
        "retries_out_of_range",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    retries: 0\n"},
        ["tool.yaml:5:14: steps[0].retries: must be at least 1, got 0"],
    ),
    (
        "retries_too_many",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    retries: {attempts: 50}\n"},
        ["tool.yaml:5:25: steps[0].retries.attempts: must be at most 10, got 50"],
    ),
    (
        "timeout_bad_duration",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    timeout: 10 minutes\n"},
        [
            "tool.yaml:5:14: steps[0].timeout: '10 minutes' is not a duration such as 90, "
            "'90s', '10m' or '1h'"
        ],
    ),
    (
        "timeout_longer_than_a_day",  # issue 14 audit: '9999...9s' planned as "(timeout infs)"
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    timeout: " + "9" * 400 + "s\n"},
        [
            "tool.yaml:5:14: steps[0].timeout: '" + "9" * 400 + "s' is longer than a step may "
            "take (at most 24h)"
        ],
    ),
    (
        "timeout_seconds_longer_than_a_day",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    timeout: 86401\n"},
        ["tool.yaml:5:14: steps[0].timeout: must be at most 86400, got 86401"],
    ),
    (
        "duplicate_yaml_key",
        {"tool.yaml": GOOD_RECIPE + "recipe: tool\n"},
        ["tool.yaml:7:1: recipe: duplicate key (first at line 1)"],
    ),
    (
        "per_arch_missing_arch",
        {
            "tool.yaml": STEP_HEAD
            + "    check: {path_exists: {arm64: /opt/x}}\n    command: [echo]\n"
        },
        ["tool.yaml:4:26: steps[0].check.path_exists: missing required key 'x86_64'"],
    ),
    (
        "per_arch_unknown_arch",
        {
            "tool.yaml": STEP_HEAD
            + "    check: {path_exists: {arm64: /a, x86_64: /b, i386: /c}}\n    command: [echo]\n"
        },
        ["tool.yaml:4:50: steps[0].check.path_exists.i386: unknown key"],
    ),
    (
        "on_failure_bad_value",
        {"tool.yaml": STEP_HEAD + "    command: [echo]\n    on_failure: ignore\n"},
        ["tool.yaml:5:17: steps[0].on_failure: 'ignore' is not one of abort, continue"],
    ),
    (
        "variable_shadows_fact_and_unknown_placeholder",
        {"settings.yaml": "variables:\n  arch: x\n  prefix: '{hom}/p'\n", "tool.yaml": GOOD_RECIPE},
        [
            "settings.yaml:2:9: variables.arch: 'arch' is a fact placeholder; choose another name",
            "settings.yaml:3:11: variables.prefix: unknown placeholder {hom} (did "
            "you mean {home}?)",
        ],
    ),
    (
        "variable_uses_another_variable",
        {
            "settings.yaml": "variables:\n  prefix: '{home}/p'\n  bin: '{prefix}/bin'\n",
            "tool.yaml": GOOD_RECIPE,
        },
        [
            "settings.yaml:3:8: variables.bin: {prefix} is a variable; a variable's value may "
            "use only the fact placeholders ({arch}, {os_name}, {os_version}, {home}, {shell}, "
            "{cache_dir}, {zdotdir})",
        ],
    ),
    (
        "profile_lists_a_recipe_twice",
        {
            "tool.yaml": GOOD_RECIPE,
            "profiles/default.yaml": "profile: default\nrecipes: [tool, tool]\n",
        },
        ["profiles/default.yaml:2:17: recipes[1]: 'tool' is listed twice (also recipes[0])"],
    ),
    (
        "two_documents",
        {"tool.yaml": GOOD_RECIPE + "---\nrecipe: again\n"},
        [
            "tool.yaml:7:1: malformed YAML: expected a single document in the stream "
            "but found another document"
        ],
    ),
    (
        "profile_without_recipes",
        {"tool.yaml": GOOD_RECIPE, "profiles/default.yaml": "profile: default\nrecipes: []\n"},
        ["profiles/default.yaml:2:10: recipes: needs at least 1 item(s)"],
    ),
    (
        "verify_without_check",
        {"tool.yaml": GOOD_RECIPE + "verify:\n  - name: tool_present\n"},
        ["tool.yaml:8:5: verify[0]: missing required key 'check'"],
    ),
    (
        "http_through_variable_for_one_arch",
        {
            "settings.yaml": "variables:\n  mirror: {arm64: 'https://a.org', "
            "x86_64: 'http://b.org'}\n",
            "tool.yaml": DOWNLOAD.replace(
                "https://example.org/tool.tar.gz", '"{mirror}/tool.tar.gz"'
            )
            + "      sha256: "
            + "a" * 64
            + "\n",
        },
        [
            "tool.yaml:5:12: steps[0].download.url: must be an https:// URL, "
            "got 'http://b.org/tool.tar.gz'"
        ],
    ),
    (
        "bad_mode",
        {"tool.yaml": DOWNLOAD + "      unverified_reason: none\n      mode: '999'\n"},
        ["tool.yaml:8:13: steps[0].download.mode: '999' is not an octal mode such as '0755'"],
    ),
    (
        "tab_indentation",
        {"tool.yaml": "recipe: tool\nsteps:\n\t- name: x\n"},
        [
            "tool.yaml:3:1: malformed YAML: while scanning for the next token found character "
            "'\\t' that cannot start any token"
        ],
    ),
    (
        "non_string_key",
        {"tool.yaml": GOOD_RECIPE + "1: one\n"},
        ["tool.yaml:7:1: keys must be strings, got an integer"],
    ),
    (
        "unknown_placeholder_in_description",
        {"tool.yaml": GOOD_RECIPE.replace("description: A tool", "description: In {prefix}")},
        ["tool.yaml:2:14: description: unknown placeholder {prefix}"],
    ),
    (
        "duplicate_verify_name_across_recipes",
        {
            "tool.yaml": GOOD_RECIPE + "verify:\n  - name: tool_ok\n    check: {command: [x]}\n",
            "other.yaml": GOOD_RECIPE.replace("recipe: tool", "recipe: other").replace(
                "tool_install", "other_install"
            )
            + "verify:\n  - name: tool_ok\n    check: {command: [x]}\n",
        },
        ["tool.yaml:8:11: verify[0].name: duplicate verify name 'tool_ok' (first at other.yaml:8)"],
    ),
    (
        # The name's problem must not hide the others: all at once, not one round per fix.
        "step_with_bad_name_still_has_its_values_checked",
        {
            "tool.yaml": "recipe: tool\nsteps:\n  - name: Tool_Install\n"
            '    command: [echo, "{nope}"]\n    requires: [tool_setup]\n'
        },
        [
            "tool.yaml:3:11: steps[0].name: 'Tool_Install' is not a step name: "
            "<component>_<action>[_<detail>], lower case (e.g. homebrew_install)",
            "tool.yaml:4:21: steps[0].command[1]: unknown placeholder {nope}",
            "tool.yaml:5:16: steps[0].requires[0]: unknown step or recipe 'tool_setup'",
        ],
    ),
    (
        "recipe_with_taken_name_still_has_its_values_checked",
        {
            "tool.yaml": GOOD_RECIPE,
            "copy.yaml": GOOD_RECIPE.replace("tool_install", "tool_setup").replace(
                "echo, install", 'echo, "{nope}"'
            ),
        },
        [
            "copy.yaml:1:9: recipe: recipe 'tool' must be named like its file ('copy')",
            "copy.yaml:6:21: steps[0].command[1]: unknown placeholder {nope}",
            "tool.yaml:1:9: recipe: recipe 'tool' also in copy.yaml",
        ],
    ),
    (
        "profile_shares_recipe_name",
        {"tool.yaml": GOOD_RECIPE, "profiles/tool.yaml": "profile: tool\nrecipes: [tool]\n"},
        [
            "profiles/tool.yaml:1:10: profile: 'tool' is also a recipe; profiles and recipes "
            "need distinct names"
        ],
    ),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_recipe_is_reported_with_location(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    assert problems_of(tmp_path, files) == expected


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


def test_all_problems_of_all_files_at_once(tmp_path: Path) -> None:
    files = {
        "tool.yaml": GOOD_RECIPE + "extra: 1\n",
        "other.yaml": "recipe: other\nsteps: []\n",
        "broken.yaml": "recipe: [\n",
        "profiles/default.yaml": "profile: default\nrecipes: [nope]\n",
    }
    lines = problems_of(tmp_path, files)
    assert [line.split(":")[0] for line in lines] == [
        "broken.yaml",
        "other.yaml",
        "profiles/default.yaml",
        "tool.yaml",
    ]
    assert len(lines) == 4


def test_the_error_is_a_usage_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tool.yaml": ""})
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path])
    assert info.value.exit_code == ExitCode.USAGE


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "tool.yaml").write_bytes(b"recipe: \xff\xfe\n")
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path])
    assert str(info.value).endswith("tool.yaml:1:9: not UTF-8 text (byte 8)")


def test_not_utf8_points_at_the_bad_byte(tmp_path: Path) -> None:
    # Line 3, after "  - ø: " (the ø is 2 bytes but one column).
    (tmp_path / "tool.yaml").write_bytes(b"recipe: tool\nsteps:\n  - \xc3\xb8: \xff\n")
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path])
    assert str(info.value).endswith("tool.yaml:3:8: not UTF-8 text (byte 28)")


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path / "nope"])
    assert str(info.value).endswith("nope:1:1: no such file or directory")


def test_yml_files_and_an_empty_directory_are_not_passed_over_in_silence(tmp_path: Path) -> None:
    # Only *.yaml is read: a recipe saved as .yml was left out while `validate` said OK.
    write_tree(tmp_path, {"tool.yaml": GOOD_RECIPE, "other.yml": GOOD_RECIPE, "empty/x.txt": ""})
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path, tmp_path / "empty"])
    assert [(Path(p.file).name, p.message) for p in info.value.problems] == [
        ("empty", "no .yaml files in this directory"),
        ("other.yml", "not read: recipe files end in .yaml"),
    ]


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    (tmp_path / "tool.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path])
    assert "document too large" in str(info.value)


def test_defaults_are_filled_in(tmp_path: Path) -> None:
    recipe_set = load_tree(tmp_path, {"tool.yaml": GOOD_RECIPE})
    step = recipe_set.recipes["tool"].steps[0]
    assert step.data["on_failure"] == "abort"
    assert step.data["retries"] == 1
    assert step.data["requires"] == []
    assert step.data["description"] == ""


def test_a_single_file_can_be_validated(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tool.yaml": GOOD_RECIPE})
    recipe_set = load_recipe_set([tmp_path / "tool.yaml"])
    assert list(recipe_set.recipes) == ["tool"]


def test_a_single_file_is_checked_with_its_directory_as_context(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "settings.yaml": "variables:\n  prefix: /opt/x\n",
            "tool.yaml": GOOD_RECIPE.replace("{home}/tool", "{prefix}/tool")
            + "requires: [other]\n",
            "other.yaml": "recipe: other\nsteps: []\n",  # broken, but only context
            "profiles/default.yaml": "profile: default\nrecipes: [tool]\n",
        },
    )
    recipe_set = load_recipe_set([tmp_path / "tool.yaml"])  # {prefix} and `other` resolve
    assert recipe_set.checked == (display_path((tmp_path / "tool.yaml").resolve()),)
    assert load_recipe_set([tmp_path / "profiles" / "default.yaml"]).profiles
    with pytest.raises(InputFileError) as info:
        load_recipe_set([tmp_path / "other.yaml"])
    assert [p.file for p in info.value.problems] == [
        display_path((tmp_path / "other.yaml").resolve())
    ]


def test_project_recipes_validate() -> None:
    recipe_set = load_recipe_set()
    assert recipe_set.recipes, "recipes/ must hold at least one recipe"
    assert "default" in recipe_set.profiles


def test_fixture_recipes_validate() -> None:
    from tests.helpers.recipes import FIXTURES

    recipe_set = load_recipe_set([FIXTURES / "basic"])
    assert "python" in recipe_set.recipes
