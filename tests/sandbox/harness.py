"""Running the real recipes in the Mac sandbox against the upstream simulator.

`Mac` (one test's Mac) = a MacSandbox + a fresh simulator server + a collector; `dtu(...)` runs
the zipapp with the sandbox's `/usr/bin/python3`, `install_sh(...)` runs install.sh.

Pins: the real recipes pin the publishers' real sha256s; the simulator's files are other
bytes. So the tests run a copy of recipes/ in which each pinned sha256 of a download is
replaced by the sha256 of the simulator's file at that same URL (`pinned_recipes`), read from
`plan --json` for both architectures. URLs, versions and verification are unchanged: a
recipe that fetches another URL than it pins still fails its checksum.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers.collector import RunningCollector, start_collector
from tests.helpers.download_server import DownloadServer
from tests.helpers.publishers import ARCHES
from tests.sandbox.artefacts import HostPythons
from tests.sandbox.mac import HOME, MacModel, MacSandbox
from tests.sandbox.upstream import Upstream, Versions, canonical_url, pinned_versions

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = "/Volumes/dtu-test"  # where the sandbox sees the zipapp, recipes, CA, install.sh
PROFILES = ("default", "with-homebrew")


def _find_python(version: str) -> str | None:
    candidates = [
        os.environ.get(f"DTU_TEST_PYTHON{version.replace('.', '')}", ""),
        *sorted(glob.glob(f"/root/.pyenv/versions/{version}*/bin/python{version}")),
        shutil.which(f"python{version}") or "",
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return os.path.realpath(candidate)
    return None


def host_pythons() -> tuple[HostPythons, str] | str:
    """(the conda/env Pythons, the Command Line Tools' python3) or why they are missing."""
    found = {v: _find_python(v) for v in ("3.9", "3.12", "3.13")}
    if found["3.13"] is None:
        found["3.13"] = found["3.12"]  # Miniforge's base Python: any other than 3.12 does
    missing = [v for v, p in found.items() if p is None]
    if missing:
        return f"the Mac sandbox needs Python {', '.join(missing)} on this machine (pyenv or PATH)"
    p39, p312, p313 = found["3.9"], found["3.12"], found["3.13"]
    assert p39 and p312 and p313
    return HostPythons(tool=p39, python312=p312, python313=p313), p39


def _plan(recipes: Path, profile: str, arch: str, mirrors: str) -> dict[str, Any]:
    env = {**os.environ, "DTU_INSTALL_MIRRORS": mirrors, "DTU_INSTALL_NO_TELEMETRY": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "installer",
            "plan",
            profile,
            "--arch",
            arch,
            "--json",
            "--recipes",
            str(recipes),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    plan: dict[str, Any] = json.loads(done.stdout)
    return plan


def _downloads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**s["action"], "step": s["name"]}
        for s in plan["steps"]
        if s["action"]["kind"] == "download"
    ]


def _unmirror(url: str, server: DownloadServer) -> str:
    base = server.url("/")
    return "https://" + url[len(base) :] if url.startswith(base) else url


@dataclass(frozen=True)
class Pinned:
    recipes: Path
    versions: Versions
    replaced: dict[str, str]  # real sha256 -> the simulator's
    steps: dict[tuple[str, str], list[str]]  # (profile, arch) -> its planned steps, in order


def pinned_recipes(target: Path, pythons: HostPythons) -> Pinned:
    """A copy of recipes/ whose pinned sha256s are the simulator's (see the module doc).

    Each pin is matched to the simulator's file by what it pins (the download's step,
    `version` and architecture, from `plan --json`), never by the URL the recipe fetches:
    a recipe whose URL drifts from its pinned version (back to a `latest` URL) still fails.
    """
    shutil.copytree(ROOT / "recipes", target)
    with DownloadServer() as server:
        probe = Upstream(server, pythons)
        plans = {
            (profile, arch): _plan(target, profile, arch, probe.mirrors)
            for profile in PROFILES
            for arch in ARCHES
        }
        planned = [(arch, d) for arch in ARCHES for d in _downloads(plans["with-homebrew", arch])]
        versions = pinned_versions({d["step"]: d.get("version") for _, d in planned})
        server.files.clear()
        upstream = Upstream(server, pythons, versions)
        replaced: dict[str, str] = {}
        for arch, download in planned:
            pin, version = download.get("sha256"), download.get("version")
            url = canonical_url(download["step"], version, arch) if version else None
            body = upstream.content(url or _unmirror(download["url"], server))
            if pin and body is not None:
                replaced[pin] = hashlib.sha256(body).hexdigest()
    for path in target.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        new = text
        for old, sim in replaced.items():
            new = new.replace(old, sim)
        if new != text:
            path.write_text(new, encoding="utf-8")
    steps = {key: [s["name"] for s in plan["steps"]] for key, plan in plans.items()}
    return Pinned(target, versions, replaced, steps)


@dataclass
class Mac:
    sandbox: MacSandbox
    upstream: Upstream
    collector: RunningCollector
    support: Path  # host dir bound at SUPPORT
    pinned: Pinned
    extra_env: dict[str, str] = field(default_factory=dict)

    def steps(self, profile: str) -> list[str]:
        """The profile's steps on this Mac, as `plan` lists them."""
        return self.pinned.steps[profile, self.sandbox.model.arch]

    @property
    def server(self) -> DownloadServer:
        return self.upstream.server

    def env(self, more: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            "DTU_INSTALL_PLATFORM": "darwin",
            "DTU_INSTALL_MIRRORS": self.upstream.mirrors,
            "REQUESTS_CA_BUNDLE": f"{SUPPORT}/ca.pem",
            "CURL_CA_BUNDLE": f"{SUPPORT}/ca.pem",
            "SSL_CERT_FILE": f"{SUPPORT}/ca.pem",
            "CONDA_CHANNEL_ALIAS": self.upstream.channel_alias,
            "DTU_INSTALL_TELEMETRY_URL": self.collector.tracking_url,
            "DTU_INSTALL_TELEMETRY_POLICY": "on",
            "NONINTERACTIVE": "1",
        }
        env.update(self.extra_env)
        env.update(more or {})
        return env

    def dtu_argv(self, *args: str) -> list[str]:
        return ["/usr/bin/python3", f"{SUPPORT}/dtu-install.pyz", *args]

    def dtu(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        return self.sandbox.run(self.dtu_argv(*args), self.env(env), timeout=timeout)

    def run_profile(self, profile: str, *extra: str) -> tuple[int, dict[str, Any], str]:
        done = self.dtu("run", profile, "--yes", "--json", "--test", *extra)
        try:
            result = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise AssertionError(
                f"no JSON result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
            ) from None
        return done.returncode, result, done.stderr

    def doctor(self, profile: str) -> dict[str, Any]:
        done = self.dtu("doctor", profile, "--json")
        try:
            return dict(json.loads(done.stdout))
        except json.JSONDecodeError:
            raise AssertionError(f"doctor gave no JSON:\n{done.stdout}\n{done.stderr}") from None

    def events(self) -> list[dict[str, Any]]:
        columns = "category, action, name, value, dimensions"
        try:
            rows = self.collector.rows(columns)
        except Exception:  # the store's columns differ: fall back to all of them
            rows = self.collector.rows("*")
            return [{"row": r} for r in rows]
        return [dict(zip(columns.split(", "), r)) for r in rows]

    def shell(
        self, script: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.sandbox.run(["/bin/sh", "-c", script], self.env(env))


@contextmanager
def mac(
    tmp: Path,
    model: MacModel,
    pinned: Pinned,
    pythons: HostPythons,
    clt_python: str,
    zipapp: Path,
) -> Iterator[Mac]:
    support = tmp / "support"
    support.mkdir(parents=True)
    shutil.copyfile(zipapp, support / "dtu-install.pyz")
    shutil.copytree(pinned.recipes, support / "recipes")
    shutil.copyfile(ROOT / "install.sh", support / "install.sh")
    with DownloadServer() as server:
        shutil.copyfile(server.ca_path, support / "ca.pem")
        upstream = Upstream(server, pythons, pinned.versions)
        collector = start_collector(tmp / "collector.sqlite3")
        try:
            sandbox = MacSandbox(tmp / "mac", model, clt_python, binds={str(support): SUPPORT})
            box = Mac(sandbox, upstream, collector, support, pinned)
            box.extra_env["DTU_INSTALL_RECIPES"] = f"{SUPPORT}/recipes"
            yield box
        finally:
            collector.stop()


__all__ = ["HOME", "PROFILES", "Mac", "MacModel", "Pinned", "host_pythons", "mac", "pinned_recipes"]
