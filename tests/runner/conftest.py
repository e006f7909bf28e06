"""Fixtures for runner tests: a real local HTTPS server, facts, and plan builders."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from installer.events.outcome import StepOutcome
from installer.kinds.actions.command import CommandAction
from installer.kinds.checks.command import CommandCheck
from installer.platform.facts import Facts
from installer.runner.engine import run_plan
from installer.runner.result import RunResult
from installer.steps import retry
from installer.steps.context import RunOptions
from installer.steps.download_action import DownloadAction
from installer.steps.model import Plan, PlannedStep, RetryPolicy
from tests.helpers.download_server import DownloadServer


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server() -> Iterator[DownloadServer]:
    with DownloadServer() as srv:
        yield srv


@pytest.fixture
def facts(isolated_home: Path) -> Facts:
    return Facts(
        os_name="Linux",
        os_version="6.1",
        arch="x86_64",
        translated=False,
        shell="bash",
        home=str(isolated_home),
        free_disk_bytes=10**10,
        is_admin=True,
        is_root=os.geteuid() == 0,
        ci=False,
        interactive=False,
    )


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff delays are recorded instead of slept (and jitter is fixed at its maximum)."""
    recorded: list[float] = []
    monkeypatch.setattr(retry, "sleep", recorded.append)
    monkeypatch.setattr(retry, "uniform", lambda low, high: high)
    return recorded


class Recorder:
    def __init__(self) -> None:
        self.outcomes: list[StepOutcome] = []
        self.closed = False

    def record(self, outcome: StepOutcome) -> None:
        self.outcomes.append(outcome)

    def close(self) -> None:
        self.closed = True


def step(name: str, action: Any, **kw: Any) -> PlannedStep:
    kw.setdefault("retries", RetryPolicy(attempts=3, backoff=0.01))
    return PlannedStep(
        name=name, recipe=name.split("_", maxsplit=1)[0], description=name, action=action, **kw
    )


def cmd(name: str, *argv: str, **kw: Any) -> PlannedStep:
    return step(name, CommandAction(argv=tuple(argv)), **kw)


def download(name: str, url: str, dest: Path, digest: str | None, **kw: Any) -> PlannedStep:
    fields = {k: kw.pop(k) for k in list(kw) if k in DownloadAction.__dataclass_fields__}
    action = DownloadAction(url=url, dest=str(dest), sha256=digest, **fields)
    return step(name, action, **kw)


def plan(*steps: PlannedStep, **kw: Any) -> Plan:
    return Plan(targets=("test",), steps=tuple(steps), **kw)


def run(
    the_plan: Plan,
    facts: Facts,
    tmp_path: Path,
    server: DownloadServer | None = None,
    sinks: list[Any] | None = None,
    **opts: Any,
) -> RunResult:
    opts.setdefault("log_path", tmp_path / "run.log")
    opts.setdefault("read_timeout", 2.0)
    if server is not None:
        opts.setdefault("verify", server.ca_path)
    return run_plan(the_plan, facts, RunOptions(**opts), sinks or [])


__all__ = ["CommandCheck", "Recorder", "cmd", "download", "plan", "run", "sha", "step"]
