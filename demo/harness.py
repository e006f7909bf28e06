"""`make run`: the whole framework working for real, on any machine, in a sandbox.

It runs the `demo` profile (recipes/demo-tool.yaml) through `dtu-install run`, unchanged:
a download over HTTPS checked against its pinned sha256, an archive unpacked, a command, a
shell-profile block and a JSON settings file. Only the world around it is local:

- an HTTPS server on 127.0.0.1 (a throw-away certificate authority made at start, trusted
  through REQUESTS_CA_BUNDLE: the runner accepts nothing but HTTPS) serves the artefact;
- HOME and the install prefix are directories under `.demo/`;
- telemetry goes to the built-in collector on 127.0.0.1, tagged Installer_TEST (unless
  DO_NOT_TRACK / DTU_INSTALL_NO_TELEMETRY say no);
- a copy of the recipes whose settings point `demo_server` and `demo_prefix` at the above.

Run it twice: the second run skips every step. docs/demo.md explains what to look at.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from installer import paths

ARTEFACT_NAME = "dtu-demo-tool-1.0.tar"
ARTEFACT_TOP = "dtu-demo-tool-1.0"
# The tool the demo installs: one POSIX sh script.
TOOL_SCRIPT = """#!/bin/sh
# dtu-demo: the small tool that dtu-install's demo profile installs.
case "${1:-}" in
  --version) echo "dtu-demo 1.0" ;;
  setup)
    mkdir -p "$HOME/.dtu-demo" && echo "set up by dtu-install" > "$HOME/.dtu-demo/initialised"
    echo "dtu-demo is set up in $HOME/.dtu-demo"
    ;;
  *) echo "Hello from dtu-demo 1.0" ;;
esac
"""
README = "dtu-demo-tool 1.0: installed by dtu-install's demo profile (docs/demo.md).\n"
FIXED_MTIME = 946684800  # 2000-01-01: the artefact's bytes, and so its sha256, never change
SETTINGS_OVERRIDES = ("demo_server", "demo_prefix")
COLLECTOR_START_SECONDS = 20.0
PROFILE = "demo"


def build_artefact() -> bytes:
    """The demo tool as an uncompressed tar, byte-for-byte reproducible (the recipe pins its
    sha256; compressed output could differ between zlib versions)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, text, mode in (
            (f"{ARTEFACT_TOP}/README", README, 0o644),
            (f"{ARTEFACT_TOP}/bin/dtu-demo", TOOL_SCRIPT, 0o755),
        ):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, FIXED_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass(frozen=True)
class Sandbox:
    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def prefix(self) -> Path:
        return self.root / "prefix"

    @property
    def recipes(self) -> Path:
        return self.root / "recipes"

    @property
    def ca(self) -> Path:
        return self.root / "server-ca.pem"

    @property
    def events(self) -> Path:
        return self.root / "events.sqlite3"

    def create(self) -> None:
        for directory in (self.home, self.prefix):
            directory.mkdir(parents=True, exist_ok=True)


# ---------------------------------------------------------------- the HTTPS server
class _Handler(BaseHTTPRequestHandler):
    files: Mapping[str, bytes] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the run's own display says what was downloaded

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        body = body if body is not None else b"not found\n"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def https_server(files: Mapping[str, bytes], ca_path: Path) -> Iterator[str]:
    """Serve `files` over HTTPS on 127.0.0.1 (random free port); yields the base URL. The
    certificate authority is made now and written to `ca_path` for the client to trust."""
    try:
        import trustme
    except ImportError as exc:
        from installer.errors import DtuInstallError

        raise DtuInstallError(
            "the demo needs `trustme` (the dev extra): `make run` installs it"
        ) from exc
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(ca_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    handler = type("DemoFiles", (_Handler,), {"files": dict(files)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- the collector
@contextmanager
def collector(db: Path, env: Mapping[str, str]) -> Iterator[str | None]:
    """The built-in collector on a free port; yields its tracking URL (None: not started)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "installer", "collector", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(env),
    )
    url = None
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # "collector listening on http://HOST:PORT/ (...)"
        if "listening on " in line:
            url = line.split("listening on ", 1)[1].split()[0] + "ppms.php"
        yield url
    finally:
        proc.terminate()  # SIGTERM: the collector commits what it has and exits 0
        try:
            proc.wait(timeout=COLLECTOR_START_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- the run
def overlay_recipes(source: Path, target: Path, overrides: Mapping[str, str]) -> None:
    """A copy of the recipes whose settings point the demo at the sandbox and the server."""
    import yaml

    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    settings_path = target / "settings.yaml"
    settings = yaml.safe_load(settings_path.read_text(encoding="utf-8"))
    settings["variables"].update(overrides)
    header = "# Written by demo/harness.py for `make run`; the original is recipes/settings.yaml\n"
    settings_path.write_text(header + yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")


def sandbox_env(box: Sandbox, ca: Path, telemetry_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(
        HOME=str(box.home),
        REQUESTS_CA_BUNDLE=str(ca),  # trust the demo server's throw-away CA
        # This process is often root in containers; everything it touches is the sandbox.
        DTU_INSTALL_ALLOW_ROOT="1",
    )
    env.pop("DTU_INSTALL_RECIPES", None)
    if telemetry_url:
        env.update(DTU_INSTALL_TELEMETRY_URL=telemetry_url, DTU_INSTALL_TELEMETRY_POLICY="on")
    return env


def telemetry_allowed(env: Mapping[str, str]) -> bool:
    from installer.platform.env_flags import any_flag_on
    from installer.telemetry.config import OPT_OUT_FLAGS

    return not any_flag_on(env, OPT_OUT_FLAGS)


def run_demo(root: Path) -> dict[str, Any]:
    """Run the demo profile once in the sandbox under `root`; returns a summary."""
    box = Sandbox(root.resolve())
    box.create()
    artefact = build_artefact()
    with https_server({f"/{ARTEFACT_NAME}": artefact}, box.ca) as server_url:
        overlay_recipes(
            paths.project_recipes_dir(),
            box.recipes,
            {"demo_server": server_url, "demo_prefix": str(box.prefix)},
        )
        base_env = sandbox_env(box, box.ca, None)
        with _maybe_collector(box, base_env) as telemetry_url:
            env = sandbox_env(box, box.ca, telemetry_url)
            command = [sys.executable, "-m", "installer", "run", PROFILE, "--yes", "--json"]
            command += ["--test", "--recipes", str(box.recipes)]
            # The live display goes to stderr (the terminal); stdout carries the JSON result.
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, env=env, check=False)
    result = _json_or(done.stdout, {"exit_code": done.returncode, "steps": [], "counts": {}})
    # `doctor` runs the recipe's verify checks against what was installed.
    doctor = [sys.executable, "-m", "installer", "doctor", PROFILE, "--json"]
    doctor += ["--recipes", str(box.recipes)]
    checked = subprocess.run(doctor, stdout=subprocess.PIPE, text=True, env=env, check=False)
    return {
        "exit_code": done.returncode,
        "result": result,
        "doctor": _json_or(checked.stdout, {"ok": False, "checks": []}),
        "sandbox": str(box.root),
        "home": str(box.home),
        "prefix": str(box.prefix),
        "artefact_sha256": hashlib.sha256(artefact).hexdigest(),
        "telemetry": telemetry_url,
        "events_db": str(box.events) if telemetry_url else None,
        "events_stored": _event_count(box.events) if telemetry_url else None,
    }


def _json_or(text: str, fallback: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return fallback
    return value if isinstance(value, dict) else fallback


@contextmanager
def _maybe_collector(box: Sandbox, env: Mapping[str, str]) -> Iterator[str | None]:
    if not telemetry_allowed(env):
        yield None
        return
    with collector(box.events, env) as url:
        yield url


def _event_count(db: Path) -> int | None:
    from installer.store.event_store import EventStore

    try:
        with EventStore(db) as store:
            return store.count()
    except Exception:  # the count is a nicety; the run's outcome stands without it
        return None


def describe(summary: Mapping[str, Any]) -> list[str]:
    """Where things went, in plain lines."""
    result = summary["result"]
    counts = ", ".join(f"{n} {status}" for status, n in result.get("counts", {}).items() if n)
    home = summary["home"]
    lines = [
        "",
        f"Demo finished (exit code {summary['exit_code']}): {counts or 'no steps'}.",
        f"  sandbox:        {summary['sandbox']}",
        f"  installed tool: {summary['prefix']}/{ARTEFACT_TOP}/bin/dtu-demo",
        f"  sandbox HOME:   {home}  (see .bash_profile, .zprofile, .config/dtu-demo/)",
        f"  run log:        {result.get('log')}",
    ]
    checks = summary["doctor"].get("checks", [])
    verdicts = ", ".join(f"{c.get('result')} {c.get('name')}" for c in checks)
    lines.append(f"  doctor:         {verdicts or 'no checks ran'}")
    if summary["telemetry"]:
        lines.append(
            f"  telemetry:      {summary['events_stored']} event(s) in {summary['events_db']}"
            " (Installer_TEST); try:"
        )
        lines.append(
            f"                  .venv/bin/dtu-install analytics dashboard overview "
            f"--db {summary['events_db']}"
        )
    else:
        lines.append("  telemetry:      off (DO_NOT_TRACK or DTU_INSTALL_NO_TELEMETRY is set)")
    skipped = result.get("counts", {}).get("skipped", 0)
    if result.get("steps") and skipped == len(result["steps"]):
        lines.append("Every step was already done, so every step was skipped.")
    else:
        lines.append("Run `make run` again: every step is then skipped (already done).")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.harness", description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path(".demo"), help="the sandbox")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    summary = run_demo(args.dir)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print("\n".join(describe(summary)))
    return int(summary["exit_code"])


if __name__ == "__main__":
    raise SystemExit(main())
