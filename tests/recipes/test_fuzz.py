"""Property: no YAML input, however broken, makes loading or planning raise anything but
the documented errors (InputFileError / UsageError, exit code 2): never a traceback."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.errors import InputFileError, UsageError
from installer.recipes.loader import load_recipe_set
from installer.recipes.plan import build_plan
from tests.helpers.recipes import FIXTURES, mac

# Words the schema knows, so random documents get past the first checks and exercise
# the deeper ones (placeholders, requires, per-arch values, checksums, ...).
VOCABULARY = [
    "recipe", "profile", "recipes", "description", "steps", "name", "command", "shell",
    "download", "extract", "profile_block", "json_settings", "check", "path_exists",
    "version_at_least", "minimum", "pattern", "requires", "when", "arch", "os", "os_version",
    "retries", "attempts", "backoff", "timeout", "sudo", "on_failure", "url", "dest",
    "sha256", "sha256_url", "sha256_json_key", "unverified_reason", "min_size", "mode",
    "verify", "variables", "arm64", "x86_64", "files", "marker", "content", "settings",
    "argv", "env", "cwd", "archive", "path", "script", "tool", "tool_install", "tool_x",
]  # fmt: skip
SCALARS = st.one_of(
    st.sampled_from(VOCABULARY),
    st.sampled_from(["{arch}", "{home}/x", "{nope}", "{", "}}", "https://x.org/{arch}",
                     "http://x.org", "a" * 64, ">=13", "0755", "10m", "abort", "Darwin"]),
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)  # fmt: skip
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(VOCABULARY), children, max_size=5),
    ),
    max_leaves=30,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _load_and_plan(root: Path) -> None:
    try:
        recipe_set = load_recipe_set([root])
    except InputFileError as exc:
        assert exc.problems, "an InputFileError must carry its problems"
        for problem in exc.problems:
            assert problem.line >= 1 and problem.column >= 1
        return
    for arch in ("arm64", "x86_64"):
        for target in [[], *[[n] for n in [*recipe_set.profiles, *recipe_set.recipes]]]:
            with contextlib.suppress(UsageError):  # e.g. no `default` profile
                build_plan(recipe_set, target, mac(arch, "13.0"))


def _write(files: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "profiles").mkdir()
        for name, data in files.items():
            path = root / name
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        _load_and_plan(root)


@FUZZ
@given(st.text(max_size=300))
def test_random_text_never_crashes(text: str) -> None:
    _write({"tool.yaml": text})


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data: bytes) -> None:
    _write({"tool.yaml": data})


@FUZZ
@given(DOCUMENTS, DOCUMENTS, DOCUMENTS)
def test_random_documents_never_crash(recipe: Any, profile: Any, settings_: Any) -> None:
    _write(
        {
            "tool.yaml": yaml.safe_dump(recipe),
            "profiles/default.yaml": yaml.safe_dump(profile),
            "settings.yaml": yaml.safe_dump(settings_),
        }
    )


_BASIC = {p.name: p.read_text() for p in (FIXTURES / "basic").glob("*.yaml")}


@settings(FUZZ, max_examples=80)
@given(
    st.sampled_from(sorted(_BASIC)),
    st.integers(min_value=0, max_value=4000),
    st.integers(min_value=0, max_value=8),
    st.text(max_size=6),
)
def test_mutated_real_recipes_never_crash(name: str, at: int, cut: int, insert: str) -> None:
    text = _BASIC[name]
    at = at % (len(text) + 1)
    files: dict[str, Any] = dict(_BASIC)
    files[name] = text[:at] + insert + text[at + cut :]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "profiles").mkdir()
        for file_name, data in files.items():
            (root / file_name).write_text(data, encoding="utf-8")
        (root / "profiles" / "default.yaml").write_text(
            (FIXTURES / "basic" / "profiles" / "default.yaml").read_text()
        )
        _load_and_plan(root)
