"""A real HTTP server on 127.0.0.1 (random port) that records JSON posts and answers with
scripted statuses: stands in for a Slack incoming webhook or a generic JSON webhook."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorder:
    # Statuses to answer, in order; when empty, 200. (status, Retry-After or None)
    script: list[tuple[int, str | None]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)  # accepted bodies only
    attempts: int = 0
    paths: list[str] = field(default_factory=list)
    url: str = ""
    delay: float = 0.0  # seconds before answering (a slow endpoint)

    def answer(self, *statuses: int, retry_after: str | None = None) -> None:
        self.script.extend((s, retry_after) for s in statuses)


@contextmanager
def webhook_server(path: str = "/hook/T000/B000/secret") -> Iterator[Recorder]:
    recorder = Recorder()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            time.sleep(recorder.delay)
            with lock:
                recorder.attempts += 1
                recorder.paths.append(self.path)
                status, retry_after = recorder.script.pop(0) if recorder.script else (200, None)
                if status == 200:
                    recorder.received.append(json.loads(body))
            self.send_response(status)
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            text = b"ok" if status == 200 else b"rate_limited" if status == 429 else b"error"
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
