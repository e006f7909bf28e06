#!/usr/bin/env python3
"""Build `dist/dtu-install.pyz`: one file that macOS's own `/usr/bin/python3` (3.9) runs.

The zipapp holds the `installer` package, the recipes (as `installer/data/recipes/`, where
`installer.paths.project_recipes_dir()` looks first), the commit SHA file and the pure-Python
dependencies pinned with their sha256 in `tools/zipapp-lock.txt`. `install.sh` downloads it
and checks it against the `.sha256` file written next to it.

Reproducible: the same checkout and lock give a byte-identical file (sorted entries, fixed
timestamps and permissions, fixed compression level).

    python tools/build_zipapp.py                 # fetch missing wheels, build dist/dtu-install.pyz
    python tools/build_zipapp.py --fetch-only    # only fill the wheel cache (needs the network)
    python tools/build_zipapp.py --offline       # build from the cache, never touch the network
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "tools" / "zipapp-lock.txt"
WHEEL_CACHE = ROOT / "build" / "zipapp" / "wheels"
DEFAULT_OUT = ROOT / "dist" / "dtu-install.pyz"
WRITE_COMMIT = ROOT / "tools" / "write_commit.py"
COMMIT_FILE = "installer/_commit.txt"  # what installer/build_info.py reads

# macOS 12+ ships Python 3.9 as /usr/bin/python3 with the Command Line Tools.
TARGET_PYTHON = "3.9"
SHEBANG = b"#!/usr/bin/env python3\n"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
FILE_MODE = 0o644
COMPRESS_LEVEL = 9

# pip's wheel selectors: pure wheels for any platform, for the target Python.
PURE_WHEEL = ("--platform", "any", "--implementation", "py", "--abi", "none")
# PyYAML publishes no pure-Python wheel. Its CPython wheel carries the pure-Python `yaml`
# package plus an optional C accelerator that `yaml/__init__.py` falls back from when it
# cannot import it; take the Linux cp39 wheel and drop the native parts.
NATIVE_WHEEL_SOURCES: dict[str, tuple[str, ...]] = {
    "pyyaml": ("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--abi", "cp39"),
}
NATIVE_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
DROPPED_TOP_LEVEL = frozenset({"_yaml"})  # PyYAML's shim around its C accelerator
SKIPPED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")

# zipimport cannot write a bytecode cache, so without .pyc files in the archive every start
# compiles every module it imports (bench/zipapp_startup.py). Unchecked hash-based pycs are
# used as they are; another Python version ignores them (magic number) and compiles the source.
COMPILE_SCRIPT = """
import py_compile, sys
root = sys.argv[1]
for name in sys.argv[2:]:
    py_compile.compile(root + "/" + name, cfile=root + "/" + name + "c", dfile=name,
                       doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""

MAIN_PY = b"""# dtu-install zipapp entry point (built by tools/build_zipapp.py)
# First, before any thread starts: Python 3.9's zipimport lets a second thread see a
# half-imported module (installer/common/zip_imports.py).
from installer.common import zip_imports

zip_imports.install()

from installer.cli.main import main

raise SystemExit(main())
"""

_LOCK_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha>[0-9a-f]{64})$"
)


class BuildError(Exception):
    """A problem the person running `make dist` can fix; printed without a traceback."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"


def parse_lock(path: Path) -> list[Pin]:
    pins: list[Pin] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LOCK_LINE.match(line)
        if match is None:
            raise BuildError(f"{path}:{number}: expected 'name==version --hash=sha256:HEX'")
        pins.append(Pin(match["name"].lower(), match["version"], match["sha"]))
    if not pins:
        raise BuildError(f"{path}: no pinned packages")
    return pins


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached_wheels(cache: Path) -> dict[str, Path]:
    """sha256 -> wheel file, for every wheel already in the cache."""
    if not cache.is_dir():
        return {}
    return {sha256_file(p): p for p in sorted(cache.glob("*.whl"))}


def fetch_wheels(pins: list[Pin], cache: Path, *, offline: bool) -> dict[str, Path]:
    """Make sure every pinned wheel is in `cache` (downloading the missing ones with pip,
    which checks the hashes) and return package name -> wheel file."""
    have = cached_wheels(cache)
    missing = [pin for pin in pins if pin.sha256 not in have]
    if missing and offline:
        names = ", ".join(f"{p.name}=={p.version}" for p in missing)
        raise BuildError(
            f"wheels missing from {cache}: {names}\n"
            "Fetch them once with `python tools/build_zipapp.py --fetch-only` (or `make dist`)."
        )
    groups: dict[tuple[str, ...], list[Pin]] = {}
    for pin in missing:
        groups.setdefault(NATIVE_WHEEL_SOURCES.get(pin.name, PURE_WHEEL), []).append(pin)
    cache.mkdir(parents=True, exist_ok=True)
    for selector, group in sorted(groups.items()):
        _pip_download(group, selector, cache)
    have = cached_wheels(cache)
    found: dict[str, Path] = {}
    for pin in pins:
        if pin.sha256 not in have:
            raise BuildError(f"pip gave no {pin.name}=={pin.version} with the pinned sha256")
        found[pin.name] = have[pin.sha256]
    return found


def _pip_download(pins: list[Pin], selector: tuple[str, ...], dest: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as req:
        req.write("".join(pin.requirement + "\n" for pin in pins))
    try:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--require-hashes", "--python-version", TARGET_PYTHON,
            *selector, "--dest", str(dest), "-r", req.name,
        ]  # fmt: skip
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            raise BuildError(f"pip download failed (exit {result.returncode}): {' '.join(command)}")
    finally:
        os.unlink(req.name)


def wheel_entries(wheel: Path) -> Iterator[tuple[str, bytes]]:
    """The files a wheel installs into site-packages, minus native code and RECORD."""
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or name.endswith("/RECORD"):
                continue
            top = name.split("/", 1)[0]
            if top in DROPPED_TOP_LEVEL or top.endswith(".data"):
                continue
            if name.endswith(NATIVE_SUFFIXES):
                continue
            yield name, zf.read(info)


def _tree_files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if not path.is_file() or SKIPPED_PARTS.intersection(relative.parts):
            continue
        if path.name.endswith(SKIPPED_SUFFIXES) or path.name.startswith("."):
            continue
        yield path


def commit_sha() -> str:
    """The 7-char commit SHA of this checkout (`dimension3` of every telemetry event);
    the fallback when `tools/write_commit.py` is absent."""
    result = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=7", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else "unknown"


def ensure_commit_file() -> None:
    """Bake the commit SHA in: the telemetry side's tool writes it when it exists."""
    if WRITE_COMMIT.is_file():
        subprocess.run([sys.executable, str(WRITE_COMMIT)], check=True, cwd=ROOT)


def collect(wheels: dict[str, Path], source: Path, commit: str | None) -> dict[str, bytes]:
    """Every file of the zipapp: arcname -> content. `source` holds `installer/` and
    `recipes/`; `commit`, when given, replaces the baked commit file."""
    for needed in (source / "installer" / "__init__.py", source / "recipes"):
        if not needed.exists():
            raise BuildError(f"{needed} does not exist: --source must hold installer/ and recipes/")
    files: dict[str, bytes] = {}

    def add(arcname: str, data: bytes, origin: str) -> None:
        if arcname in files:
            raise BuildError(f"{arcname} would be written twice (second time by {origin})")
        files[arcname] = data

    for name in sorted(wheels):
        for arcname, data in wheel_entries(wheels[name]):
            add(arcname, data, wheels[name].name)
    package = source / "installer"
    for path in _tree_files(package):
        arcname = "installer/" + path.relative_to(package).as_posix()
        if not (commit and arcname == COMMIT_FILE):
            add(arcname, path.read_bytes(), "installer/")
    recipes = source / "recipes"
    for path in _tree_files(recipes):
        arcname = "installer/data/recipes/" + path.relative_to(recipes).as_posix()
        add(arcname, path.read_bytes(), "recipes/")
    if COMMIT_FILE not in files:
        add(COMMIT_FILE, ((commit or commit_sha()) + "\n").encode(), "git")
    add("__main__.py", MAIN_PY, "build_zipapp")
    return files


def write_zipapp(files: dict[str, bytes], out: Path) -> str:
    """Write the archive (shebang + zip) atomically; return its sha256."""
    buffer = io.BytesIO()
    buffer.write(SHEBANG)
    with zipfile.ZipFile(buffer, "w") as zf:
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE)
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever machine builds it
            zf.writestr(info, files[arcname], compresslevel=COMPRESS_LEVEL)
    data = buffer.getvalue()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    partial.write_bytes(data)
    partial.chmod(0o755)
    partial.replace(out)
    digest = hashlib.sha256(data).hexdigest()
    # `shasum -a 256 -c` format; install.sh reads the first field.
    out.with_name(out.name + ".sha256").write_text(f"{digest}  {out.name}\n", encoding="utf-8")
    return digest


def bytecode_python(given: str | None) -> str | None:
    """A Python 3.9 to compile the bytecode with (its magic number must match the runner's)."""
    candidates = [given] if given else [os.environ.get("DTU_BUILD_PYTHON39", "")]
    if not given:
        candidates += sorted(glob.glob("/root/.pyenv/versions/3.9*/bin/python"))
        candidates.append(shutil.which(f"python{TARGET_PYTHON}") or "")
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        probe = [candidate, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.stdout.strip() == TARGET_PYTHON:
            return candidate
        if given:
            raise BuildError(f"{given} is not Python {TARGET_PYTHON}")
    return None


def add_bytecode(files: dict[str, bytes], python: str) -> int:
    """Add a `.pyc` beside every module, compiled by `python` (unchecked hash-based, PEP 552;
    PYTHONHASHSEED=0 so that set constants marshal in the same order every build). A module
    that does not compile under Python 3.9 fails the build."""
    sources = sorted(n for n in files if n.endswith(".py") and n != "__main__.py")
    with tempfile.TemporaryDirectory(prefix="zipapp-pyc-") as tmp:
        for name in sources:
            path = Path(tmp, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(files[name])
        env = {"PYTHONHASHSEED": "0", "PATH": os.environ.get("PATH", "")}
        done = subprocess.run(
            # Not -I: it would also ignore PYTHONHASHSEED; the environment is minimal instead.
            [python, "-s", "-c", COMPILE_SCRIPT, tmp, *sources],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        if done.returncode != 0:
            raise BuildError(f"does not compile with {python}:\n{done.stderr[-2000:]}")
        for name in sources:
            files[name + "c"] = Path(tmp, name + "c").read_bytes()
    return len(sources)


def build(
    out: Path,
    cache: Path,
    *,
    source: Path = ROOT,
    commit: str | None = None,
    offline: bool,
    bytecode: str | None = None,
) -> str:
    pins = parse_lock(LOCK)
    wheels = fetch_wheels(pins, cache, offline=offline)
    if commit is None and source == ROOT:
        ensure_commit_file()
    files = collect(wheels, source, commit)
    compiled = add_bytecode(files, bytecode) if bytecode else 0
    digest = write_zipapp(files, out)
    size = out.stat().st_size
    what = f"bytecode for Python {TARGET_PYTHON}" if compiled else "no bytecode (no Python 3.9)"
    print(f"{out}  {size / 1e6:.1f} MB  {len(files)} files, {what}  sha256 {digest}")
    return digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the .pyz to write")
    parser.add_argument("--wheels", type=Path, default=WHEEL_CACHE, help="wheel cache dir")
    parser.add_argument("--offline", action="store_true", help="never run pip")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="dir with installer/ and recipes/"
    )
    parser.add_argument("--commit", help="7-char SHA to bake in instead of this checkout's")
    parser.add_argument("--fetch-only", action="store_true", help="only fill the wheel cache")
    parser.add_argument("--python39", help="Python 3.9 for the bytecode (default: found)")
    parser.add_argument("--no-bytecode", action="store_true", help="sources only")
    args = parser.parse_args(argv)
    try:
        if args.fetch_only:
            wheels = fetch_wheels(parse_lock(LOCK), args.wheels, offline=False)
            print(f"{len(wheels)} wheels in {args.wheels}")
            return 0
        if args.commit is not None and not re.fullmatch(r"[0-9a-f]{7}", args.commit):
            raise BuildError(f"--commit must be 7 lower-case hex characters, not {args.commit!r}")
        build(
            args.out,
            args.wheels,
            source=args.source.resolve(),
            commit=args.commit,
            offline=args.offline,
            bytecode=None if args.no_bytecode else bytecode_python(args.python39),
        )
    except BuildError as exc:
        print(f"build_zipapp: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
