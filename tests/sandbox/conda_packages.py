"""The simulator's conda channel: small conda packages made here, with the repodata a channel
serves for them, so that `dtu-install bundle` reads real repodata and the sandbox's conda
links real package files.

Each package is a `.tar.bz2` conda package (listed under `packages` of repodata.json): an
`info/index.json` (name, version, build, build_number, depends, subdir, and `noarch` for the
noarch ones) and the package's files: `lib/python3.12/site-packages/<module>/__init__.py` for a
Mac-specific one, `site-packages/<module>/...` for a `noarch: python` one (conda moves those
into the environment's site-packages when it links them). Each repodata record carries the
file's `size`, `sha256` and `md5`, as conda-index writes them (conda/conda-index
conda_index/index/__init__.py). The `python` package carries no interpreter: the sandbox's
conda links its version to the host interpreter of that version
(tests/sandbox/programs/conda.py).

Two versions of python and numpy, so a bundle has to choose (python 3.13 is newer; pandas limits
numpy below 2).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field

SUBDIRS = {"arm64": "osx-arm64", "x86_64": "osx-64"}
FIXED_MTIME = 1_735_689_600  # 2025-01-01


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    depends: tuple[str, ...] = ()
    noarch: bool = False
    module: str | None = None  # the importable module it provides
    files: dict[str, str] = field(default_factory=dict)  # extra files, path -> text
    build_number: int = 0
    constrains: tuple[str, ...] = ()


PY = ("python >=3.12,<3.13.0a0", "python_abi 3.12.* *_cp312", "__osx >=11.0")
NOARCH_PY = ("python >=3.9",)
# ipykernel's `python -m ipykernel install --user --name N --display-name D`: jupyter_client
# writes <jupyter data dir>/kernels/<n lower-cased>/kernel.json with argv[0] = sys.executable
# (jupyter/jupyter_client, jupyter_client/kernelspec.py; ipykernel/kernelspec.py).
IPYKERNEL_MAIN = """\
import json, os, sys
args = sys.argv[1:]
if args[:1] != ["install"]:
    sys.exit("usage: python -m ipykernel install --user --name NAME --display-name TEXT")
name = args[args.index("--name") + 1]
display = args[args.index("--display-name") + 1]
home = os.environ["HOME"]
data = os.environ.get("JUPYTER_DATA_DIR") or os.path.join(home, "Library", "Jupyter")
folder = os.path.join(data, "kernels", name.lower())
os.makedirs(folder, exist_ok=True)
spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": display, "language": "python", "metadata": {"debugger": True}}
with open(os.path.join(folder, "kernel.json"), "w") as f:
    json.dump(spec, f, indent=1)
print(f"Installed kernelspec {name.lower()} in {folder}")
"""

PACKAGES = (
    Package("python", "3.12.8", ("__osx >=11.0",)),
    Package("python", "3.13.1", ("__osx >=11.0",)),
    Package("python_abi", "3.12", (), build_number=5),
    Package("numpy", "2.2.1", PY, module="numpy"),
    Package("numpy", "1.26.4", PY, module="numpy"),
    Package("pandas", "2.2.3", (*PY, "numpy >=1.22.4,<2")),
    Package("scipy", "1.15.1", (*PY, "numpy >=1.23.5")),
    Package(
        "statsmodels",
        "0.14.4",
        (*PY, "numpy >=1.22.3", "scipy >=1.8", "pandas >=1.4", "packaging >=21.3"),
    ),
    Package("packaging", "24.2", NOARCH_PY, noarch=True),
    Package("uncertainties", "3.2.2", (*NOARCH_PY, "numpy"), noarch=True),
    Package("sympy", "1.13.3", (*NOARCH_PY, "mpmath >=0.19"), noarch=True),
    Package("mpmath", "1.3.0", NOARCH_PY, noarch=True),
    Package("matplotlib-base", "3.10.0", (*PY, "numpy >=1.23")),
    Package("matplotlib", "3.10.0", (*PY, "matplotlib-base >=3.10.0,<3.10.1.0a0")),
    Package(
        "dtumathtools",
        "2025.1.0",
        (*NOARCH_PY, "sympy >=1.12", "matplotlib-base", "numpy"),
        noarch=True,
    ),
    Package("traitlets", "5.14.3", NOARCH_PY, noarch=True),
    Package(
        "ipykernel",
        "6.29.5",
        (*NOARCH_PY, "traitlets >=5.4.0"),
        noarch=True,
        files={"ipykernel/__main__.py": IPYKERNEL_MAIN},
    ),
)
# Which module each package provides (matplotlib-base ships `matplotlib`; python/python_abi none).
MODULES = {"matplotlib-base": "matplotlib", "python": None, "python_abi": None, "matplotlib": None}


def _build(package: Package) -> str:
    if package.name == "python_abi":
        return f"{package.build_number}_cp312"
    if package.noarch:
        return f"pyhd8ed1ab_{package.build_number}"
    return f"py312h0a1b2c3_{package.build_number}"


def _tar(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:bz2") as tar:
        for path, data in sorted(members.items()):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = FIXED_MTIME
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def package_file(package: Package, subdir: str) -> tuple[str, bytes, dict[str, object]]:
    """(file name, bytes, repodata record) of `package` built for `subdir`."""
    build = _build(package)
    index: dict[str, object] = {
        "name": package.name,
        "version": package.version,
        "build": build,
        "build_number": package.build_number,
        "depends": list(package.depends),
        "constrains": list(package.constrains),
        "license": "BSD-3-Clause",
        "subdir": "noarch" if package.noarch else subdir,
        "timestamp": FIXED_MTIME * 1000,
    }
    if package.noarch:
        index["noarch"] = "python"
    module = MODULES.get(package.name, package.name.replace("-", "_"))
    site = "site-packages" if package.noarch else "lib/python3.12/site-packages"
    members = {"info/index.json": json.dumps(index, indent=1, sort_keys=True).encode()}
    if module:
        members[f"{site}/{module}/__init__.py"] = (
            f'"""{package.name} {package.version}, from the sandbox channel."""\n'
            f'__version__ = "{package.version}"\n'
        ).encode()
    for path, text in package.files.items():
        members[f"{site}/{path}"] = text.encode()
    data = _tar(members)
    fn = f"{package.name}-{package.version}-{build}.tar.bz2"
    record = {
        **index,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
    }
    return fn, data, record


def channel() -> dict[str, tuple[dict[str, object], dict[str, bytes]]]:
    """subdir -> (repodata.json, {file name: bytes}) for osx-arm64, osx-64 and noarch."""
    out: dict[str, tuple[dict[str, object], dict[str, bytes]]] = {}
    for subdir in (*SUBDIRS.values(), "noarch"):
        out[subdir] = (
            {
                "info": {"subdir": subdir},
                "packages": {},
                "packages.conda": {},
                "removed": [],
                "repodata_version": 1,
            },
            {},
        )
    for subdir in SUBDIRS.values():
        for package in PACKAGES:
            target = "noarch" if package.noarch else subdir
            fn, data, record = package_file(package, subdir)
            repodata, files = out[target]
            repodata["packages"][fn] = record  # type: ignore[index]
            files[fn] = data
    return out
