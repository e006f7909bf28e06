"""The import-linter contracts (pyproject.toml [tool.importlinter], run by `make lint`) can fail.

`make lint` shows they hold on the tree; these tests show they are not vacuous: a copy of the
package with one back-import added is refused, naming the import. Issue 18, "Layers without
cycles". import-linter needs Python 3.11+, like the lint job that runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter (dev extra) needs Python 3.11+")

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "installer", tmp_path / "installer", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports puts its working directory first on sys.path: the copy is what it reads.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _add_import(module: Path, line: str) -> None:
    """Append an import at the end of a module, as a lazy import inside a function would be."""
    module.write_text(module.read_text() + f"\n\ndef _back() -> None:\n    {line}\n")


def test_the_tree_keeps_both_contracts(tmp_path: Path) -> None:
    done = _lint_imports(_copy(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 2 kept, 0 broken." in done.stdout


def test_the_runner_importing_analytics_breaks_both(tmp_path: Path) -> None:
    tree = _copy(tmp_path)
    _add_import(tree / "installer/runner/engine.py", "from installer.analytics import query")
    done = _lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Contracts: 0 kept, 2 broken." in done.stdout
    assert "installer.runner is not allowed to import installer.analytics" in done.stdout
    assert "installer.runner.engine -> installer.analytics.query" in done.stdout


@pytest.mark.parametrize(
    ("importer", "line", "message"),
    [
        # the cycles issue 18 removed, each back as it was
        (
            "telemetry/sink.py",
            "from installer.runner import engine",
            "installer.telemetry is not allowed to import installer.runner",
        ),
        (
            "collector/server.py",
            "from installer.analytics import importer",
            "installer.collector is not allowed to import installer.analytics",
        ),
        (
            "recipes/validate.py",
            "from installer.runner import failure",
            "installer.recipes is not allowed to import installer.runner",
        ),
        (
            "events/normalise.py",
            "from installer.platform import facts",
            "installer.events is not allowed to import installer.platform",
        ),
    ],
)
def test_a_back_import_breaks_the_ladder(
    tmp_path: Path, importer: str, line: str, message: str
) -> None:
    tree = _copy(tmp_path)
    _add_import(tree / "installer" / importer, line)
    done = _lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Top-level packages form a ladder: each imports only those below it BROKEN" in (
        done.stdout
    )
    assert message in done.stdout
