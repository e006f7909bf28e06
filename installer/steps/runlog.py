"""The per-run log file: commands, their output, timings; never secrets.

One file per run under `paths.log_dir()`. Prefetch workers write to it too, so writes are
serialised with a lock. Anything that looks like a secret (the value of an environment
variable whose name says TOKEN, SECRET, PASSWORD, ...) is replaced before it is written.
"""

from __future__ import annotations

import datetime
import os
import re
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from installer import paths

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE|AUTH", re.I)
REDACTED = "***"
# Shorter values would redact ordinary words ("1", "yes") everywhere in the log.
MIN_SECRET_LENGTH = 4


def secret_values(environ: Mapping[str, str]) -> list[str]:
    values = {
        v for k, v in environ.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LENGTH
    }
    return sorted(values, key=len, reverse=True)  # longest first: no partial leftovers


def redact_env(env: Mapping[str, str]) -> dict[str, str]:
    return {k: (REDACTED if SECRET_NAME.search(k) else v) for k, v in env.items()}


class RunLog:
    def __init__(self, path: Path | None, extra_secrets: Mapping[str, str] | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._start = time.monotonic()
        self._secrets = secret_values({**os.environ, **(extra_secrets or {})})
        self._file: IO[str] | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._file = path.open("a", encoding="utf-8", errors="replace")
            except OSError:
                # No log is bad for support, but it must not stop the install.
                self.path = None

    def redact(self, text: str) -> str:
        for value in self._secrets:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def add_secrets(self, env: Mapping[str, str]) -> None:
        with self._lock:
            self._secrets = sorted(
                set(self._secrets) | set(secret_values(env)), key=len, reverse=True
            )

    def write(self, line: str) -> None:
        if self._file is None:
            return
        stamp = f"[{time.monotonic() - self._start:9.3f}]"
        text = self.redact(line.rstrip("\n"))
        with self._lock:
            self._file.write(f"{stamp} {text}\n")

    def output(self, step: str, line: str) -> None:
        self.write(f"  {step} | {line.rstrip()}")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def new_log_path() -> Path:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    return paths.log_dir() / f"run-{stamp}.log"
