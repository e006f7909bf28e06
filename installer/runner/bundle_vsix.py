"""The VS Code extensions of an offline bundle: each extension's `.vsix`, and `run --bundle`
installing from the files (`code --install-extension <path.vsix>`, VS Code's documented
command line: microsoft/vscode-docs docs/configure/extensions/extension-marketplace.md,
"Install from a VSIX").

Where the files come from: Microsoft documents no download URL for a Marketplace `.vsix`. The
one documented way to get one is VS Code itself: "search for it in the Extensions view,
right-click on an extension from the results, and select Download VSIX" (same page, "Can I
download an extension directly from the Marketplace?"). So `bundle` does not fetch extensions:
the maintainer passes the files with `--vsix FILE|DIR` (repeatable), and `bundle` says clearly
which extension it has no file for.

A `.vsix` says what it is in its `extension.vsixmanifest`: `<Identity Id=... Version=...
Publisher=... [TargetPlatform=...]/>` (microsoft/vscode-vsce src/package.ts, toVsixManifest);
TargetPlatform `darwin-arm64` / `darwin-x64` for a Mac-specific build, none (or `universal`)
for one that runs anywhere (vscode-vsce src/package.ts, the Targets list). `bundle` reads it,
matches the file to the extension ids of the profile's `--install-extension` step per
architecture, and copies it to `DIR/vsix/` with its sha256 and size in the manifest.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from installer.errors import UsageError
from installer.events.outcome import ErrorCategory
from installer.kinds.actions.command import CommandAction
from installer.runner.offline_steps import extension_ids
from installer.steps.failure import StepError
from installer.steps.hashing import file_sha256

VSIX_DIR = "vsix"
MANIFEST_MEMBER = "extension.vsixmanifest"
TARGET = {"arm64": "darwin-arm64", "x86_64": "darwin-x64"}
ANY_TARGET = (None, "universal")
HOW_TO_GET = (
    "Microsoft documents no download URL for Marketplace .vsix files: in VS Code, Extensions "
    "view, right-click the extension, Download VSIX (for each Mac: Apple silicon and Intel "
    "builds may differ), then `dtu-install bundle ... --vsix FILE_OR_DIR`"
)


@dataclass(frozen=True)
class Vsix:
    path: Path
    extension: str  # publisher.name, lower case
    version: str
    target: str | None


def read_vsix(path: Path) -> Vsix:
    """The identity a .vsix declares; `UsageError` when it is none."""
    try:
        with zipfile.ZipFile(path) as zf:
            text = zf.read(MANIFEST_MEMBER)
    except (OSError, zipfile.BadZipFile, KeyError) as exc:
        raise UsageError(f"{path} is not a .vsix (no readable {MANIFEST_MEMBER}: {exc})") from None
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise UsageError(f"{path}: {MANIFEST_MEMBER} is not XML ({exc})") from None
    identity = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Identity"), None)
    if identity is None or not identity.get("Id") or not identity.get("Publisher"):
        raise UsageError(f"{path}: {MANIFEST_MEMBER} has no Identity with Id and Publisher")
    extension = f"{identity.get('Publisher')}.{identity.get('Id')}".lower()
    return Vsix(path, extension, identity.get("Version", ""), identity.get("TargetPlatform"))


def find_vsix(paths: Sequence[Path]) -> list[Vsix]:
    found: list[Vsix] = []
    for path in paths:
        if path.is_dir():
            found.extend(read_vsix(p) for p in sorted(path.glob("*.vsix")))
        elif path.is_file():
            found.append(read_vsix(path))
        else:
            raise UsageError(f"--vsix {path}: no such file or directory")
    return found


def _pick(files: Sequence[Vsix], extension: str, arch: str) -> Vsix | None:
    """The Mac-specific build for `arch` if given, else a build for any platform."""
    matching = [f for f in files if f.extension == extension.lower()]
    return next((f for f in matching if f.target == TARGET[arch]), None) or next(
        (f for f in matching if f.target in ANY_TARGET), None
    )


def add_extensions(
    plans: Sequence[tuple[str, Any]], out: Path, vsix_paths: Sequence[Path], say: Any = print
) -> dict[str, Any] | None:
    """Copy the given .vsix files the plans' extension steps need into `out/vsix`; the
    manifest's `extensions` section (None when no step installs extensions)."""
    files = find_vsix(vsix_paths)
    entries: dict[str, dict[str, Any]] = {}
    missing = []
    for arch, plan in plans:
        for step in plan.steps:
            if not isinstance(step.action, CommandAction):
                continue
            ids = extension_ids(step.action.argv)
            if not ids:
                continue
            for _, extension in ids:
                vsix = _pick(files, extension, arch)
                if vsix is None:
                    missing.append({"extension": extension, "step": step.name, "arch": arch})
                    say(f"MISSING {extension} ({arch}) for {step.name}: no .vsix given")
                    continue
                name = re.sub(r"[^A-Za-z0-9._-]", "_", vsix.path.name)
                key = f"{step.name} {name}"
                if key in entries:
                    entries[key]["arch"].append(arch)
                    continue
                dest = out / VSIX_DIR / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                if vsix.path.resolve() != dest.resolve():
                    shutil.copyfile(vsix.path, dest)
                digest, size = file_sha256(dest)
                entries[key] = {
                    "extension": extension,
                    "version": vsix.version,
                    "target": vsix.target,
                    "name": f"{VSIX_DIR}/{name}",
                    "sha256": digest,
                    "size": size,
                    "step": step.name,
                    "arch": [arch],
                }
                say(f"ok      {VSIX_DIR}/{name}  {size} bytes  sha256 {digest}")
    if not entries and not missing:
        return None
    if missing:
        say(HOW_TO_GET)
    return {"files": list(entries.values()), "missing": missing}


def offline_argv(
    argv: Sequence[str], step_name: str, arch: str, directory: Path, manifest: Mapping[str, Any]
) -> list[str] | None:
    """`argv` with each extension id replaced by the bundle's checked .vsix path; None when
    `argv` installs no extensions."""
    ids = extension_ids(argv)
    if not ids:
        return None
    section = manifest.get("extensions") if isinstance(manifest.get("extensions"), dict) else {}
    files = [
        e
        for e in (section or {}).get("files", [])
        if isinstance(e, dict) and e.get("step") == step_name and arch in e.get("arch", [])
    ]
    new = list(argv)
    for position, extension in ids:
        entry = next((e for e in files if e.get("extension") == extension.lower()), None)
        if entry is None:
            raise StepError(
                ErrorCategory.MISSING_DEPENDENCY,
                f"the bundle {directory} has no .vsix for the VS Code extension {extension} "
                f"({arch}); {HOW_TO_GET}",
            )
        path = directory / str(entry["name"])
        if not path.is_file():
            raise StepError(
                ErrorCategory.MISSING_DEPENDENCY,
                f"{path} is missing from the bundle (the VS Code extension {extension})",
            )
        got, size = file_sha256(path)
        if got != entry["sha256"] or size != entry["size"]:
            raise StepError(
                ErrorCategory.CHECKSUM,
                f"{path} is damaged: {size} bytes with sha256 {got[:12]}..., the manifest says "
                f"{entry['size']} bytes with sha256 {str(entry['sha256'])[:12]}...; nothing was "
                "installed",
            )
        new[position] = str(path.resolve())
    return new
