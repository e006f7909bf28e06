"""Fixtures of the Mac sandbox tests (tests/sandbox/harness.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.dist.conftest import zipapp  # noqa: F401 - the session's zipapp fixture
from tests.sandbox.harness import Mac, Pinned, host_pythons, mac, pinned_recipes
from tests.sandbox.mac import MacModel, bwrap_available


@pytest.fixture(scope="session")
def sandbox_pythons() -> tuple[object, str]:
    why = bwrap_available()
    if why:
        pytest.fail(f"{why} (the Mac sandbox tests need it; `make system-deps`)")
    found = host_pythons()
    if isinstance(found, str):
        pytest.fail(found)
    return found


@pytest.fixture(scope="session")
def pinned(tmp_path_factory: pytest.TempPathFactory, sandbox_pythons: tuple[object, str]) -> Pinned:
    pythons, _ = sandbox_pythons
    return pinned_recipes(tmp_path_factory.mktemp("pinned") / "recipes", pythons)  # type: ignore[arg-type]


MacFactory = Callable[[MacModel], AbstractContextManager[Mac]]


@pytest.fixture
def make_mac(
    tmp_path: Path,
    pinned: Pinned,
    sandbox_pythons: tuple[object, str],
    zipapp: Path,  # noqa: F811
) -> Iterator[MacFactory]:
    pythons, clt_python = sandbox_pythons
    count = iter(range(100))

    def factory(model: MacModel) -> AbstractContextManager[Mac]:
        return mac(tmp_path / f"mac{next(count)}", model, pinned, pythons, clt_python, zipapp)  # type: ignore[arg-type]

    yield factory
