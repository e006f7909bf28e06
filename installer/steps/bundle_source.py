"""Offline bundles, the reading half: the manifest, and a download step's file taken from
the bundle (checked against the manifest and the recipe's pin) instead of the network.
installer/runner/bundle.py makes bundles; its docstring describes the layout."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.errors import UsageError
from installer.events.outcome import ErrorCategory
from installer.steps.download_action import DownloadAction
from installer.steps.failure import StepError, from_os_error
from installer.steps.model import PlannedStep

MANIFEST = "manifest.json"
FILES = "files"
FORMAT = 1
ZIPAPP = "dtu-install.pyz"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    name: str  # under files/
    url: str
    sha256: str
    size: int
    step: str
    arch: tuple[str, ...]

    def serialize(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "arch": list(self.arch)}


# ---------------------------------------------------------------- reading a bundle
def read_manifest(directory: Path) -> list[Entry]:
    """The entries of a bundle; `UsageError` (exit 2) when DIR is no readable bundle."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{directory} is not a bundle: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} cannot be read as a bundle manifest: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UsageError(f"{path}: not a dtu-install bundle manifest of format {FORMAT}")
    entries = []
    for i, item in enumerate(data.get("files") or []):
        try:
            entries.append(
                Entry(
                    name=str(item["name"]),
                    url=str(item["url"]),
                    sha256=str(item["sha256"]),
                    size=int(item["size"]),
                    step=str(item["step"]),
                    arch=tuple(str(a) for a in item["arch"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise UsageError(
                f"{path}: files[{i}] lacks name, url, sha256, size, step or arch"
            ) from None
        if os.sep in entries[-1].name or entries[-1].name in ("", ".", ".."):
            raise UsageError(f"{path}: files[{i}].name {entries[-1].name!r} is not a file name")
    return entries


def manifest_data(directory: Path) -> dict[str, Any]:
    """The whole manifest (read_manifest has checked it when the run began)."""
    read_manifest(directory)
    data: dict[str, Any] = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    return data


def find_entry(entries: Sequence[Entry], step: str, arch: str) -> Entry | None:
    return next((e for e in entries if e.step == step and arch in e.arch), None)


def _copy_hashed(source: Path, part: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as src, part.open("wb") as out:
        while True:
            block = src.read(CHUNK)
            if not block:
                break
            digest.update(block)
            size += len(block)
            out.write(block)
    return digest.hexdigest(), size


def install_from_bundle(
    action: DownloadAction, step: PlannedStep, arch: str, directory: Path
) -> Entry:
    """Put the bundle's file for `step` at the download's destination, verified."""
    entry = find_entry(read_manifest(directory), step.name, arch)
    if entry is None:
        raise StepError(
            ErrorCategory.MISSING_DEPENDENCY,
            f"the bundle {directory} has no file for {step.name} on {arch} ({action.url}); "
            f"make it with `dtu-install bundle ... --arch {arch}`",
        )
    source = directory / FILES / entry.name
    if not source.is_file():
        raise StepError(
            ErrorCategory.MISSING_DEPENDENCY,
            f"{source} is missing from the bundle (its manifest lists it for {step.name})",
        )
    if action.sha256 is not None and action.sha256 != entry.sha256:
        raise StepError(
            ErrorCategory.CHECKSUM,
            f"{source} is not the build the recipes pin for {step.name} (bundle sha256 "
            f"{entry.sha256[:12]}..., recipes {action.sha256[:12]}...); make the bundle again",
        )
    dest = Path(action.dest)
    part = Path(action.dest + ".part")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        got, size = _copy_hashed(source, part)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise from_os_error(exc, f"cannot copy {source} to {dest}") from exc
    if got != entry.sha256 or size != entry.size:
        part.unlink(missing_ok=True)
        raise StepError(
            ErrorCategory.CHECKSUM,
            f"{source} is damaged: {size} bytes with sha256 {got[:12]}..., the manifest says "
            f"{entry.size} bytes with sha256 {entry.sha256[:12]}...; nothing was installed",
        )
    try:
        if action.mode is not None:
            os.chmod(part, action.mode)
        os.replace(part, dest)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise from_os_error(exc, f"cannot move {part} to {dest}") from exc
    return entry
