"""`uninstall:` in a recipe: names are `<component>_uninstall...` events, unique among all
steps, and `undoes` names steps of the same recipe; placeholders are checked like steps'."""

from __future__ import annotations

from tests.helpers.recipes import GOOD_RECIPE, load_tree, problems_of

UNINSTALL = """\
uninstall:
  - name: tool_remove
    remove: "{home}/tool"
  - name: tool_uninstall
    undoes: [tool_instal]
    remove: "{hom}/tool"
  - name: tool_install
    remove: "{home}/x"
"""


def test_uninstall_steps_are_checked(tmp_path):
    name_rule = "is not <component>_uninstall[_<detail>] (e.g. miniforge_uninstall)"
    assert problems_of(tmp_path, {"tool.yaml": GOOD_RECIPE + UNINSTALL}) == [
        f"tool.yaml:8:11: uninstall[0].name: 'tool_remove' {name_rule}",
        "tool.yaml:11:14: uninstall[1].undoes[0]: 'tool_instal' is not a step of recipe "
        "'tool' (did you mean 'tool_install'?)",
        "tool.yaml:12:13: uninstall[1].remove: unknown placeholder {hom} (did you mean {home}?)",
        f"tool.yaml:13:11: uninstall[2].name: 'tool_install' {name_rule}",
    ]


def test_a_valid_uninstall_list_loads(tmp_path):
    text = GOOD_RECIPE + UNINSTALL.split("  - name: tool_uninstall", maxsplit=1)[0].replace(
        "tool_remove", "tool_uninstall_files"
    )
    recipe = load_tree(tmp_path, {"tool.yaml": text}).recipes["tool"]
    assert [s.name for s in recipe.uninstall] == ["tool_uninstall_files"]
