"""Threads importing from the zipapp at once, under Python 3.9 (macOS's /usr/bin/python3).

A run has threads that import lazily: the prefetcher runs checks while the main thread runs
steps, telemetry delivers in the background, rich refreshes the live display. Python 3.9's
zipimport hands a second thread a half-made module ("cannot import name ... from ...");
installer/common/zip_imports.py fixes that and the zipapp's entry point installs it first.
Without `install()` the race below failed on every run here (19-36 of 144 modules); on
Python 3.10+ it never does.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.dist.conftest import PYTHON39

pytestmark = pytest.mark.skipif(PYTHON39 is None, reason="no Python 3.9 on this machine")

# What a student's run imports from the zipapp: the installer below the analytics, and the
# libraries its threads use. Windows-only modules of rich refuse to import here by design.
RACED_PREFIXES = (
    "installer/steps/",
    "installer/kinds/",
    "installer/common/",
    "installer/runner/",
    "installer/telemetry/",
    "installer/recipes/",
    "rich/",
    "requests/",
    "urllib3/",
)
WINDOWS_ONLY = {"rich._win32_console", "rich._windows_renderer", "rich._windows"}

# Prints the modules that failed to import (by any thread), as a sorted JSON list.
RACE = """
import json, sys, threading
pyz, names, count = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
sys.path.insert(0, pyz)
from installer.common import zip_imports
zip_imports.install()
failed = set()
start = threading.Barrier(count)
def importer(order):
    start.wait()
    for name in order:
        try:
            __import__(name)
        except Exception:
            failed.add(name)
threads = [threading.Thread(target=importer, args=(names[::1 if i % 2 else -1],))
           for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps(sorted(failed)))
"""


def _module_names(zipapp: Path) -> list[str]:
    names = set()
    for entry in zipfile.ZipFile(zipapp).namelist():
        if entry.endswith(".py") and entry.startswith(RACED_PREFIXES):
            module = entry[: -len(".py")].replace("/", ".")
            names.add(module[: -len(".__init__")] if module.endswith(".__init__") else module)
    return sorted(names - WINDOWS_ONLY)


def _failed_imports(zipapp: Path, names: list[str], threads: int) -> list[str]:
    done = subprocess.run(
        [str(PYTHON39), "-I", "-S", "-c", RACE, str(zipapp), json.dumps(names), str(threads)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    failed: list[str] = json.loads(done.stdout)
    return failed


def test_four_threads_importing_the_same_modules_all_get_whole_modules(zipapp: Path) -> None:
    names = _module_names(zipapp)
    assert len(names) > 200  # the prefixes matched the archive's layout
    # Alone, a thread fails only on what cannot import here at all (urllib3's optional
    # extras: h2, brotli, ...), and on no module of the installer.
    alone = _failed_imports(zipapp, names, threads=1)
    assert not [name for name in alone if name.startswith("installer")]
    for _ in range(3):  # a race: a few rounds, each in a fresh interpreter
        assert _failed_imports(zipapp, names, threads=4) == alone


def test_the_entry_point_installs_the_locking_importer_before_anything_else(
    zipapp: Path,
) -> None:
    main = zipfile.ZipFile(zipapp).read("__main__.py").decode()
    code_lines = [ln for ln in main.splitlines() if ln.strip() and not ln.startswith("#")]
    assert code_lines[:2] == ["from installer.common import zip_imports", "zip_imports.install()"]
