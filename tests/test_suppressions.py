"""Every `type: ignore` and `noqa` in the package names what it silences and says why.

STYLE.md: "every suppression says why" (issue 18, item 4). A bare `# type: ignore` or
`# noqa`, or one with codes but no reason after them, is listed with its file and line.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("installer", "demo")

_SUPPRESSION = re.compile(r"#\s*(?P<what>type:\s*ignore|noqa)\b(?P<rest>.*)")
_CODES = {
    "type: ignore": re.compile(r"^\[[a-z-]+(,\s*[a-z-]+)*\]"),
    "noqa": re.compile(r"^:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*"),
}


def unexplained(path: Path) -> list[str]:
    """`path:line: comment` for each suppression without codes or without a reason."""
    found = []
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _SUPPRESSION.search(token.string)
        if match is None:
            continue
        what = re.sub(r"\s+", " ", match["what"])
        rest = match["rest"]
        codes = _CODES[what].match(rest)
        reason = rest[codes.end() :] if codes else ""
        if codes is None or not re.search(r"[A-Za-z]", reason):
            found.append(f"{path}:{token.start[0]}: {token.string}")
    return found


def test_every_suppression_in_the_package_says_why() -> None:
    files = sorted(f for folder in CHECKED for f in (ROOT / folder).rglob("*.py"))
    assert len(files) > 100
    problems = [line for f in files for line in unexplained(f)]
    assert problems == []


def test_a_suppression_without_a_reason_is_found(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[attr-defined]\n"
        "c = f()  # noqa\n"
        "d = f()  # noqa: F401\n"
        "e = f()  # type: ignore[attr-defined]  # the stub lacks it\n"
        "g = f()  # noqa: N802 - logging's name\n"
        "h = '# noqa in a string is not a comment'\n"
    )
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in unexplained(module)] == [
        "1",
        "2",
        "3",
        "4",
    ]
