"""The small artefacts the upstream simulator serves, built to behave like the real ones where
dtu-install's recipes touch them (tests/sandbox/programs holds their programs):

- a Miniforge installer: a constructor-style shell header honouring `-b -u -p`, with a payload
  after `@@END_HEADER@@` like the real file (big enough to cut a download in the middle);
- a VS Code zip: `Visual Studio Code.app` with Info.plist, the Electron binary, a framework
  symlink (ditto must keep it) and the `code` CLI at Contents/Resources/app/bin/code;
- Homebrew's install.sh.

Each version gives different bytes (the version is inside), so a recipe that fetches the wrong
version fails its checksum.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"
PAYLOAD_BYTES = 3 * 1024 * 1024  # enough to cut a transfer in the middle of the installer
FIXED_TIME = (2025, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class HostPythons:
    """Host interpreters that play the artefacts' own: conda's and the env's pythons."""

    tool: str  # runs conda and the code CLI (any Python 3.9+)
    python312: str
    python313: str


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def miniforge_installer(version: str, arch: str, pythons: HostPythons) -> bytes:
    conda_version = version.split("-", maxsplit=1)[0]
    conda = _fill(
        (PROGRAMS / "conda.py").read_text(),
        {
            "@HOST_PYTHON@": pythons.tool,
            "@CONDA_VERSION@": conda_version,
            "@PYTHON312@": pythons.python312,
            "@PYTHON313@": pythons.python313,
            "@SUBDIR_ARCH@": "arm64" if arch == "arm64" else "64",
        },
    )
    header = _fill(
        (PROGRAMS / "miniforge-header.sh").read_text(),
        {
            "@VERSION@": version,
            "@ARCH@": arch,
            "@UNAME@": arch,
            "@PAYLOAD_BYTES@": str(PAYLOAD_BYTES),
            "@PYTHON313@": pythons.python313,
            "@CONDA_VERSION@": conda_version,
            "@CONDA@": conda.rstrip("\n"),
        },
    )
    seed = hashlib.sha256(f"miniforge {version} {arch}".encode()).digest()
    payload = (seed * (PAYLOAD_BYTES // len(seed) + 1))[:PAYLOAD_BYTES]
    return header.encode() + payload


def _zip_add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.external_attr = mode << 16
    info.create_system = 3  # unix: the mode bits are meaningful
    zf.writestr(info, data)


def vscode_zip(version: str, commit: str, arch: str, pythons: HostPythons) -> bytes:
    app = "Visual Studio Code.app/Contents"
    code = _fill(
        (PROGRAMS / "code.py").read_text(),
        {
            "@HOST_PYTHON@": pythons.tool,
            "@VSCODE_VERSION@": version,
            "@VSCODE_COMMIT@": commit,
            "@VSCODE_ARCH@": arch,
        },
    )
    plist = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n'
        "<key>CFBundleIdentifier</key><string>com.microsoft.VSCode</string>\n"
        f"<key>CFBundleShortVersionString</key><string>{version}</string>\n"
        "</dict></plist>\n"
    )
    framework = f"{app}/Frameworks/Electron Framework.framework"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        _zip_add(zf, f"{app}/Info.plist", plist.encode(), stat.S_IFREG | 0o644)
        _zip_add(zf, f"{app}/MacOS/Electron", b"#!/bin/sh\nexit 0\n", stat.S_IFREG | 0o755)
        _zip_add(zf, f"{app}/Resources/app/bin/code", code.encode(), stat.S_IFREG | 0o755)
        _zip_add(
            zf,
            f"{app}/Resources/app/package.json",
            f'{{"name": "code", "version": "{version}"}}\n'.encode(),
            stat.S_IFREG | 0o644,
        )
        _zip_add(
            zf, f"{framework}/Versions/A/Electron Framework", commit.encode(), stat.S_IFREG | 0o755
        )
        _zip_add(zf, f"{framework}/Versions/Current", b"A", stat.S_IFLNK | 0o755)
        _zip_add(
            zf,
            f"{framework}/Electron Framework",
            b"Versions/Current/Electron Framework",
            stat.S_IFLNK | 0o755,
        )
    return buffer.getvalue()


HOMEBREW_INSTALL_SIZE = 36_000  # about the size of Homebrew/install install.sh (~1100 lines)


def homebrew_install(commit: str) -> bytes:
    text = (PROGRAMS / "homebrew-install.sh").read_text().replace("@COMMIT@", commit)
    # As long as the real script, so size checks on it behave the same.
    filler = "# " + "-" * 77 + "\n"
    text += filler * ((HOMEBREW_INSTALL_SIZE - len(text)) // len(filler) + 1)
    return text.encode()
