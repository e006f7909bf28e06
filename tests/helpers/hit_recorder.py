"""A real tracking endpoint on 127.0.0.1 that records hits and can misbehave on purpose.

Speaks what Piwik PRO's `ppms.php` / Matomo's `matomo.php` take: GET with one hit in the
query string, POST with a form body, and bulk POST `{"requests": ["?...", ...]}`.

    with HitRecorder() as rec:              # answers 204
        ... point DTU_INSTALL_TELEMETRY_URL at rec.url ...
        rec.hits                            # every accepted hit, as a dict of parameters

Modes (set at start or change at any time with `rec.mode = ...`):
    ok             204 No Content
    status:<n>     answers with HTTP status n (400, 500, 429, ...)
    slow:<s>       answers 204 after s seconds
    blackhole      reads the request, never answers (the connection stays open)
    garbage        200 with a random binary body (not what a tracker answers)
    garbage_http   not HTTP at all: random bytes, then the connection closes
    forged_line    not HTTP: a status line holding NUL, CR and LF (a forged log line), closes
A refused connection is `refused_url()`: a port nothing listens on.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# What a hostile server may answer instead of a status line: http.client quotes it in its
# error, which went into telemetry.log as it was (a line of its own after the CR).
FORGED_STATUS_LINE = b"NOT-HTTP\x00\x1b[2J\r2020-01-01 00:00:00,000 INFO forged\r\n"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    recorder: HitRecorder


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    def _handle(self, body: bytes) -> None:
        rec = self.server.recorder
        hits = rec.parse(self.path, body, self.headers.get("Content-Type") or "")
        mode = rec.mode
        with rec.lock:
            rec.requests.append(
                {"method": self.command, "path": self.path, "body": body, "hits": hits}
            )
        if mode == "blackhole":
            rec.stopping.wait()
            self.close_connection = True
            return
        if mode == "garbage_http":
            self.wfile.write(os.urandom(64))
            self.close_connection = True
            return
        if mode == "forged_line":
            self.wfile.write(FORGED_STATUS_LINE)
            self.close_connection = True
            return
        status = 204
        if mode.startswith("slow:"):
            if rec.stopping.wait(float(mode.split(":", 1)[1])):
                self.close_connection = True
                return
        elif mode.startswith("status:"):
            status = int(mode.split(":", 1)[1])
        answer = os.urandom(256) if mode == "garbage" else b""
        if mode == "garbage":
            status = 200
        if 200 <= status < 300:
            with rec.lock:
                rec.hits.extend(hits)
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        if status == 429:
            self.send_header("Retry-After", "60")
        if 300 <= status < 400:
            self.send_header("Location", f"{rec.path}?redirected=1")
        self.end_headers()
        self.wfile.write(answer)


class HitRecorder:
    def __init__(self, mode: str = "ok", path: str = "/ppms.php") -> None:
        self.mode = mode
        self.path = path
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.hits: list[dict[str, str]] = []  # accepted hits only (2xx answers)
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.recorder = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def received(self) -> list[dict[str, str]]:
        """Every hit that reached the server, accepted or not."""
        with self.lock:
            return [h for r in self.requests for h in r["hits"]]

    def request_count(self) -> int:
        with self.lock:
            return len(self.requests)

    def wait_for_hits(self, n: int, timeout: float = 30.0) -> list[dict[str, str]]:
        """Every accepted hit, as soon as there are `n`; `timeout` only guards against a
        hang (5 s was too short for a run to reach the server on a loaded 2-core machine)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.hits) >= n:
                    return list(self.hits)
            time.sleep(0.01)
        with self.lock:
            return list(self.hits)

    @staticmethod
    def parse(path: str, body: bytes, content_type: str) -> list[dict[str, str]]:
        query = urlsplit(path).query
        hits: list[dict[str, str]] = []
        if query:
            hits.append(dict(parse_qsl(query, keep_blank_values=True)))
        if not body:
            return hits
        text = body.decode("utf-8", errors="replace")
        if "json" in content_type or text.lstrip().startswith("{"):
            try:
                data = json.loads(text)
                requests = data.get("requests", []) if isinstance(data, dict) else []
            except ValueError:
                requests = []
            for item in requests:
                if isinstance(item, str):
                    hits.append(
                        dict(
                            parse_qsl(
                                urlsplit(item).query or item.lstrip("?"), keep_blank_values=True
                            )
                        )
                    )
        else:
            hits.append(dict(parse_qsl(text, keep_blank_values=True)))
        return hits

    def start(self) -> HitRecorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HitRecorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/ppms.php"


# A name that never resolves (RFC 6761 reserves `.invalid`).
DNS_FAILURE_URL = "http://dtu-install-telemetry.invalid/ppms.php"
