"""Worker processes of `spawn_pool` (large imports) and Ctrl-C."""

from __future__ import annotations

import os
import signal
import time

import pytest

from installer.collector.pool import spawn_pool


def test_a_worker_ignores_ctrl_c_and_keeps_working(capfd: pytest.CaptureFixture[str]) -> None:
    # Issue 14 item 12: the terminal's SIGINT reaches every process of the foreground group;
    # an idle worker died with a KeyboardInterrupt traceback (and the pool broke).
    with spawn_pool(1) as pool:
        worker = pool.submit(os.getpid).result(timeout=60)
        os.kill(worker, signal.SIGINT)  # idle: waiting for its next task
        time.sleep(0.3)
        assert pool.submit(os.getpid).result(timeout=60) == worker
    assert "KeyboardInterrupt" not in capfd.readouterr().err
