"""Open an HTML file in Debian's headless Chromium and report what a user's browser saw.

Chromium is driven over the DevTools protocol (`--remote-debugging-port=0`, its websocket,
spoken with a small RFC 6455 client below: the standard library has none). A `PageReport`
holds the console errors and uncaught exceptions, every request the page made, a PNG
screenshot, and the on-screen sizes of the elements a CSS selector matches.

    with browser() as page:
        report = page.report(page.open(path), {"charts": ".js-plotly-plot .main-svg"})
    assert not report.console_errors and not report.network_requests

Each run gets a fresh `--user-data-dir`; the browser is ended by its process id.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)
LAPTOP = (1440, 900)  # viewport: a typical laptop screen
START_TIMEOUT = 90.0  # a loaded 2-core CI machine can take this long
LOAD_TIMEOUT = 90.0
SETTLE_SECONDS = 1.0  # after `load`: plotly draws in promise callbacks
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Box:
    width: float
    height: float


@dataclass
class PageReport:
    url: str
    console_errors: list[str] = field(default_factory=list)
    console_messages: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    screenshot: bytes = b""
    boxes: dict[str, list[Box]] = field(default_factory=dict)  # selector name -> elements
    document_size: Box = field(default_factory=lambda: Box(0, 0))

    @property
    def network_requests(self) -> list[str]:
        """Requests that would leave the machine (anything but file/data/blob/about)."""
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


class _WebSocket:
    """Just enough of RFC 6455 for the DevTools protocol: text frames, masked sends."""

    def __init__(self, url: str, timeout: float) -> None:
        assert url.startswith("ws://")
        host_port, _, path = url[len("ws://") :].partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"DevTools refused the websocket: {status[:200]!r}")
        self.buffer = rest

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send(self, text: str) -> None:
        payload = text.encode()
        header = bytes([0x81])  # FIN + text
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def _send_control(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            opcode, n = first & 0x0F, second & 0x7F
            if n == 126:
                (n,) = struct.unpack(">H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack(">Q", self._read(8))
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:  # ping
                self._send_control(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the websocket")
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class Page:
    """One tab, attached over DevTools; records console output and requests as they come."""

    def __init__(self, ws: _WebSocket) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = LOAD_TIMEOUT, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.receive())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            if "method" in message:
                self.events.append(message)
        raise TimeoutError(f"DevTools did not answer {method} in {timeout} s")

    def wait_for(self, event: str, timeout: float = LOAD_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        if any(e["method"] == event for e in self.events):
            return
        self.ws.sock.settimeout(timeout)
        while time.monotonic() < deadline:
            message = json.loads(self.ws.receive())
            if "method" in message:
                self.events.append(message)
                if message["method"] == event:
                    return
        raise TimeoutError(f"no {event} in {timeout} s")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, path: Path) -> str:
        """Load a file (after whatever was open before); returns its URL once it settled."""
        self.events.clear()
        url = path.resolve().as_uri()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        time.sleep(SETTLE_SECONDS)
        self.evaluate("1")  # collect the events that arrived while settling
        return url

    def report(self, url: str, selectors: Mapping[str, str] | None = None) -> PageReport:
        out = PageReport(url=url)
        for e in self.events:
            params = e.get("params", {})
            if e["method"] == "Network.requestWillBeSent":
                out.requests.append(params["request"]["url"])
            elif e["method"] == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                line = f"console.{params['type']}: {text}"
                out.console_messages.append(line)
                if params["type"] in ("error", "assert"):
                    out.console_errors.append(line)
            elif e["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                description = details.get("exception", {}).get("description", details.get("text"))
                out.console_errors.append(f"uncaught: {description}")
            elif e["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                out.console_errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        for name, selector in (selectors or {}).items():
            script = (
                f"Array.from(document.querySelectorAll({json.dumps(selector)})).map(e => {{"
                "const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
            )
            out.boxes[name] = [Box(w, h) for w, h in self.evaluate(script)]
        w, h = self.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        )
        out.document_size = Box(w, h)
        clip = {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True, clip=clip
        )
        out.screenshot = base64.b64decode(shot["data"])
        return out


@contextlib.contextmanager
def browser(viewport: tuple[int, int] = LAPTOP) -> Iterator[Page]:
    """Start Chromium with one laptop-sized tab; `page.open(path)` loads a file in it."""
    binary = chromium_path()
    if binary is None:
        raise RuntimeError("chromium is not installed (make test installs Debian's package)")
    profile = tempfile.mkdtemp(prefix="dtu-chromium-")
    width, height = viewport
    proc = subprocess.Popen(
        [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ws: _WebSocket | None = None
    try:
        port = _devtools_port(Path(profile), proc)
        targets = json.loads(
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30).read()
        )
        page_target = next(t for t in targets if t.get("type") == "page")
        ws = _WebSocket(page_target["webSocketDebuggerUrl"], timeout=LOAD_TIMEOUT)
        page = Page(ws)
        for domain in ("Page", "Runtime", "Network", "Log"):
            page.call(f"{domain}.enable")
        page.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        yield page
    finally:
        if ws is not None:
            ws.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes]) -> int:
    """Chromium writes its chosen port to DevToolsActivePort in the profile."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode} before it was ready")
        with contextlib.suppress(OSError, ValueError):
            lines = marker.read_text().splitlines()
            if lines:
                return int(lines[0])
        time.sleep(0.05)
    raise TimeoutError(f"chromium did not open its DevTools port in {START_TIMEOUT} s")


def inspect(path: Path, selectors: Mapping[str, str] | None = None) -> PageReport:
    """Open the file in a fresh browser, wait until it settled, and report."""
    with browser() as page:
        return page.report(page.open(path), selectors)
