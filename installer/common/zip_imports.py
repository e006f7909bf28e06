"""Imports from the zipapp that two threads may make at once, made safe on Python 3.9.

The zipapp runs under macOS's /usr/bin/python3, which is Python 3.9 on every Mac the
Command Line Tools support today. Python 3.9's `zipimport.zipimporter` has only the legacy
`load_module`: it puts a module in `sys.modules` before running its code, and the import
system does not mark such a module as initialising. A second thread that imports the same
module at that moment takes the half-made module without waiting for the import lock and
fails with "cannot import name ... from ..." (seen in a real run: the prefetch thread's
check and the main thread's step both importing `installer.steps.step_process`). The run
has such threads: the prefetcher, telemetry's delivery, rich's live display.

Python 3.10 gave zipimporter `create_module`/`exec_module` (python/cpython pull request
23187, bpo-42131, Lib/zipimport.py), which the import system runs under the module's
lock. `install()` gives 3.9 the same: a zipimporter subclass with those two methods, put
in the place of the stock one in `sys.path_hooks`.
On 3.10 and later it does nothing.
"""

from __future__ import annotations

import sys
import zipimport
from importlib.machinery import ModuleSpec
from types import ModuleType


class LockingZipImporter(zipimport.zipimporter):
    """A zipimporter that the import system loads through `exec_module`, under its lock."""

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module object, as for any source or bytecode module

    def exec_module(self, module: ModuleType) -> None:
        code = self.get_code(module.__name__)
        exec(code, module.__dict__)  # what 3.10's zipimporter.exec_module does


def install() -> bool:
    """On Python < 3.10, import from zip files with `LockingZipImporter`; True if it did.

    Call it first thing in the zipapp's entry point, before any thread starts.
    """
    if hasattr(zipimport.zipimporter, "exec_module"):  # Python 3.10+: already under the lock
        return False
    sys.path_hooks[:] = [
        LockingZipImporter if hook is zipimport.zipimporter else hook for hook in sys.path_hooks
    ]
    # The zipapp's own path was already given a stock zipimporter (runpy found __main__
    # with it); forget the cached finders so every path entry gets the new one.
    sys.path_importer_cache.clear()
    return True
