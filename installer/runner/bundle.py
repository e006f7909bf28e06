"""Offline bundles: every artefact a profile downloads, verified, in one directory, so that an
exam lab or a crowded intro-week Wi-Fi installs without the network.

`dtu-install bundle PROFILE [--arch arm64,x86_64] --out DIR` plans the profile for each
architecture, fetches each download step's file exactly as `run` does (HTTPS, the recipe's
pinned sha256 or the publisher's checksum, resumable), and writes:

    DIR/manifest.json       {"format": 1, "profile", "created", "dtu_install",
                             "files": [{"name", "url", "sha256", "size", "step", "arch"}]}
    DIR/files/NAME          the artefacts (NAME = the download's file name)
    DIR/dtu-install.pyz     the zipapp that made the bundle (when run from one), and
    DIR/dtu-install.pyz.sha256   its `sha256sum` line, for install.sh --bundle

`run --bundle DIR` then takes each download step's file from the bundle (the entry of that
step and this Mac's architecture) instead of the network: the file's size and sha256 are
checked against the manifest, and against the recipe's pin when it has one, before it is
put in place; a file missing or damaged is a step failure naming it.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from installer.common.atomic_write import write_atomically
from installer.errors import UsageError
from installer.steps.bundle_source import (
    FILES,
    FORMAT,
    MANIFEST,
    ZIPAPP,
    Entry,
    manifest_data,
)
from installer.steps.download_action import DownloadAction
from installer.steps.failure import StepError
from installer.steps.hashing import file_sha256
from installer.steps.model import PlannedStep


# ---------------------------------------------------------------- running from a bundle
def offline_argv(argv: Sequence[str], step: PlannedStep, arch: str, directory: Path) -> list[str]:
    """A command step's argv for `run --bundle`: conda pointed at the bundle's channel offline,
    VS Code extensions installed from the bundle's .vsix files, each file checked first
    (installer/runner/bundle_conda.py, bundle_vsix.py); other commands unchanged."""
    from installer.runner import bundle_conda, bundle_vsix

    manifest = manifest_data(directory)
    for rewrite in (bundle_conda.offline_argv, bundle_vsix.offline_argv):
        new = rewrite(argv, step.name, arch, directory, manifest)
        if new is not None:
            return new
    return list(argv)


# ---------------------------------------------------------------- making a bundle
def _write_json(path: Path, data: Any) -> None:
    write_atomically(path, json.dumps(data, indent=2) + "\n")


def running_zipapp() -> Path | None:
    """The zipapp this process runs from (`python3 dtu-install.pyz ...`), if any."""
    import zipfile

    here = Path(__file__).resolve()
    for parent in here.parents:
        if parent.is_file():
            return parent if zipfile.is_zipfile(parent) else None
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.suffix == ".pyz" and argv0.is_file():
        return argv0
    return None


def make_bundle(
    targets: Sequence[str],
    arches: Sequence[str],
    out: Path,
    *,
    recipe_paths: Sequence[Path] = (),
    os_version: str | None = None,
    vsix: Sequence[Path] = (),
) -> int:
    from installer import __version__
    from installer.errors import ExitCode
    from installer.platform.facts import detect_facts, override_facts
    from installer.recipes.loader import load_recipe_set
    from installer.recipes.plan import build_plan
    from installer.steps.download import Network
    from installer.steps.runlog import RunLog, new_log_path

    if not arches:
        raise UsageError("--arch needs at least one of arm64, x86_64")
    for arch in arches:
        override_facts(detect_facts(), arch=arch, os_version=os_version)  # bad --arch: exit 2
    recipe_set = load_recipe_set(list(recipe_paths) or None)
    from installer.runner import bundle_conda, bundle_vsix

    bundle_vsix.find_vsix(vsix)  # a wrong --vsix: exit 2 now, not after every download
    files_dir = out / FILES
    try:
        files_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {files_dir}: {exc.strerror or exc}") from None
    plans = [
        (
            arch,
            build_plan(
                recipe_set,
                targets,
                override_facts(detect_facts(), arch=arch, os_version=os_version),
            ),
        )
        for arch in arches
    ]

    log = RunLog(new_log_path())
    net = Network(log, mirrors=plans[0][1].mirrors)  # redirects go through them too
    extra: dict[str, Any] = {}
    try:
        entries, failed = _fetch_all(plans, files_dir, net)
        if not failed:
            try:
                conda = bundle_conda.make_conda_channel(plans, out, net)
                extensions = bundle_vsix.add_extensions(plans, out, vsix)
            except (bundle_conda.BundleProblem, StepError) as exc:
                failed += 1
                print(f"FAILED  {getattr(exc, 'reason', exc)}", file=sys.stderr)
            else:
                extra = {
                    key: value
                    for key, value in (("conda", conda), ("extensions", extensions))
                    if value is not None
                }
    finally:
        log.close()
    if failed:
        print(f"{failed} download(s) failed; no manifest was written", file=sys.stderr)
        return ExitCode.FAILED
    pyz = running_zipapp()
    if pyz is not None:
        shutil.copyfile(pyz, out / ZIPAPP)
        digest = file_sha256(out / ZIPAPP)[0]
        (out / f"{ZIPAPP}.sha256").write_text(f"{digest}  {ZIPAPP}\n", encoding="utf-8")
    _write_json(
        out / MANIFEST,
        {
            "format": FORMAT,
            "profile": list(targets) or ["default"],
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "dtu_install": __version__,
            "files": [e.serialize() for e in entries.values()],
            **extra,
        },
    )
    total = sum(e.size for e in entries.values())
    print(
        f"Bundle {out}: {len(entries)} file(s), {total} bytes, for {', '.join(arches)}"
        + ("" if pyz else f" (no {ZIPAPP}: not run from the zipapp)")
    )
    missing = extra.get("extensions", {}).get("missing", [])
    if missing:  # written, but `run --bundle` would fail at these steps: not a success
        steps = sorted({m["step"] for m in missing})
        print(
            f"Incomplete: {len(missing)} VS Code extension file(s) missing (see MISSING above);"
            f" run --bundle will fail at {', '.join(steps)}. Add them with --vsix.",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    return ExitCode.OK


def _fetch_all(
    plans: Sequence[tuple[str, Any]], files_dir: Path, net: Any
) -> tuple[dict[str, Entry], int]:
    """Fetch each plan's downloads into files_dir (one file per URL, shared by the
    architectures that use it); returns the entries and how many downloads failed."""
    from installer.steps import download
    from installer.steps.retry import Attempted

    entries: dict[str, Entry] = {}
    failed = 0
    for arch, plan in plans:
        for step in plan.steps:
            if not isinstance(step.action, DownloadAction):
                continue
            name = Path(step.action.dest).name
            known = entries.get(name)
            if known is not None and known.url == step.action.url:
                entries[name] = dataclasses.replace(known, arch=(*known.arch, arch))
                continue
            if known is not None:  # same file name, another file: keep both
                name = f"{arch}-{name}"
            action = dataclasses.replace(step.action, dest=str(files_dir / name))
            try:
                fetched = download.fetch(
                    action, net, step.name, step.retries, Attempted(0), step.timeout
                )
                download.install(fetched, action)
            except StepError as err:
                failed += 1
                print(f"FAILED  {step.name} ({arch}): {err.reason}", file=sys.stderr)
                continue
            entries[name] = Entry(
                name, step.action.url, fetched.sha256, fetched.size, step.name, (arch,)
            )
            print(f"ok      {name}  {fetched.size} bytes  sha256 {fetched.sha256}")
    return entries, failed
