"""The key tables of docs/recipes.md, generated from the schema (so the doc cannot drift).

    .venv/bin/python -m installer.recipes.schema_doc docs/recipes.md   # rewrite the tables

Each table sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; a test
checks that the committed doc matches.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from installer.kinds.actions.download import DOWNLOAD
from installer.kinds.fields import LIVECHECK_FIELDS
from installer.recipes import schema as s
from installer.recipes.courses import COURSE
from installer.recipes.placeholders import FACT_PLACEHOLDERS
from installer.yaml_source.containers import MISSING, Field


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(spec: Field) -> str:
    if spec.required:
        return "required"
    if spec.default is MISSING:
        return ""
    if isinstance(spec.default, str) and spec.default:
        return f"`{spec.default}`"
    return f"`{json.dumps(spec.default)}`"


def field_table(fields: Iterable[tuple[str, Field]]) -> str:
    rows = ["| key | value | default | meaning |", "| --- | --- | --- | --- |"]
    for key, spec in fields:
        value = _cell(spec.schema.describe())
        rows.append(f"| `{key}` | {value} | {_default(spec)} | {_cell(spec.doc)} |")
    return "\n".join(rows)


def _step_rows(kinded: s.RecipeSchemas) -> Iterable[tuple[str, Field]]:
    for key, spec in kinded.step_fields.items():
        if key not in kinded.action_fields:
            yield key, spec


def placeholder_table() -> str:
    rows = ["| placeholder | value |", "| --- | --- |"]
    rows += [f"| `{{{name}}}` | {_cell(doc)} |" for name, doc in FACT_PLACEHOLDERS.items()]
    rows.append("| every variable of `recipes/settings.yaml` | e.g. `{python_version}` |")
    return "\n".join(rows)


def tables() -> Mapping[str, str]:
    kinded = s.recipe_schemas()
    return {
        "recipe": field_table(kinded.recipe.fields.items()),
        "step": field_table(_step_rows(kinded)),
        "actions": field_table(kinded.action_fields.items()),
        "download": field_table(DOWNLOAD.fields.items()),
        "livecheck": field_table(LIVECHECK_FIELDS.items()),
        "checks": field_table(kinded.check_fields.items()),
        "when": field_table(s.WHEN.fields.items()),
        "verify": field_table(kinded.verify.fields.items()),
        "profile": field_table(s.PROFILE.fields.items()),
        "settings": field_table(s.SETTINGS.fields.items()),
        "course": field_table(COURSE.fields.items()),
        "uninstall": field_table(
            (k, v) for k, v in kinded.uninstall_step.fields.items() if k in ("name", "undoes")
        ),
        "placeholders": placeholder_table(),
    }


def _replacer(table: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group(1) + table + "\n" + match.group(2)


def render_doc(text: str) -> str:
    """`text` with every generated table replaced by its current version."""
    for name, table in tables().items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n)(?:.*?\n)?(<!-- /generated:{name} -->)", re.DOTALL
        )
        text = pattern.sub(_replacer(table), text)
    return text


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "docs/recipes.md")
    path.write_text(render_doc(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
