"""The conda part of an offline bundle: a local conda channel with every package the profile's
conda steps need, and `run --bundle` pointing conda at it offline.

`bundle` (no conda needed, no Mac): for each conda install/create step of each architecture's
plan (installer/runner/offline_steps.py), it fetches the step's channels' `repodata.json` for the
Mac's subdir and `noarch` (through the mirrors, like every download), chooses the packages
(installer/runner/conda_channel.py `resolve`), downloads each one verified against the
repodata's `sha256` and `size` (a record without a sha256 is refused: nothing is ever taken
unchecked), and writes the channel:

    DIR/conda/<channel>/<subdir>/repodata.json   only the chosen records, as conda-index writes them
    DIR/conda/<channel>/<subdir>/<file>          the packages

The manifest's `conda` section lists the channels, each repodata.json with its sha256 and size,
and per step and architecture the specs and the packages chosen.

Why not `conda create --dry-run --json`: it needs conda where the bundle is made (a maintainer's
Linux box or CI has none), and it solves for the machine it runs on; reading the channel's
repodata works anywhere and states exactly which files go in.

`run --bundle`: before a conda step runs, every repodata.json it will read and every package in
them is checked (present, size and sha256 as recorded); a missing file is
`missing_dependency`, a damaged one `checksum_error`, each naming the file. Then conda runs with
`--offline --override-channels --channel file:///DIR/conda/<channel>` instead of its own
channels: with `--offline` conda opens no connection (conda/gateways/connection/session.py
mounts an adapter that refuses http/https) and reads only `file://` channels
(conda/models/channel.py `offline_keep`; conda/gateways/repodata/__init__.py); it checks each
package's sha256 itself as it copies it (conda/gateways/connection/download.py,
ChecksumMismatchError).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from installer.events.outcome import ErrorCategory
from installer.kinds.actions.command import CommandAction
from installer.runner.conda_channel import (
    DEFAULT_ALIAS,
    NOARCH,
    REPODATA,
    SUBDIR,
    Index,
    Record,
    ResolveError,
    read_repodata,
    records_of,
    resolve,
    write_channel,
)
from installer.runner.offline_steps import (
    CondaCall,
    UnsupportedCondaCall,
    conda_call,
    offline_conda_argv,
)
from installer.steps.download_action import DownloadAction
from installer.steps.failure import StepError
from installer.steps.hashing import file_sha256
from installer.steps.model import RetryPolicy

CONDA_DIR = "conda"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
REPODATA_MAX = 1 << 30  # conda-forge's osx-arm64 repodata.json is a few hundred MB
PACKAGE_MAX = 2 << 30
RETRIES = RetryPolicy(attempts=4, backoff=2.0)


class BundleProblem(Exception):
    """Why the conda part of a bundle cannot be made (one line)."""


# ---------------------------------------------------------------- making the channel
def conda_steps(plans: Sequence[tuple[str, Any]]) -> list[tuple[str, Any, CondaCall]]:
    """(arch, step, call) for every conda install/create step of the plans."""
    found = []
    for arch, plan in plans:
        for step in plan.steps:
            if not isinstance(step.action, CommandAction):
                continue
            try:
                call = conda_call(step.action.argv)
            except UnsupportedCondaCall as exc:
                raise BundleProblem(f"{step.name}: {exc}") from None
            if call is not None:
                found.append((arch, step, call))
    return found


def _fetch(net: Any, url: str, dest: Path, label: str, sha256: str | None, max_size: int) -> Any:
    from installer.steps import download
    from installer.steps.retry import Attempted

    action = DownloadAction(
        url=net.mirrors.rewrite(url),
        dest=str(dest),
        sha256=sha256,
        unverified_reason=None if sha256 else "a channel's index changes every hour",
        max_size=max_size,
    )
    fetched = download.fetch(action, net, label, RETRIES, Attempted(0), None)
    download.install(fetched, action)
    return fetched


def make_conda_channel(
    plans: Sequence[tuple[str, Any]], out: Path, net: Any, say: Any = print
) -> dict[str, Any] | None:
    """Fetch and write the bundle's conda channel; the manifest's `conda` section (None when
    the plans have no conda steps). Raises BundleProblem or StepError."""
    steps = conda_steps(plans)
    if not steps:
        return None
    indexes: dict[tuple[str, str], list[Record]] = {}
    with tempfile.TemporaryDirectory(prefix="dtu-repodata-") as tmp:
        for _, _, call in steps:
            for channel in call.channels:
                if not CHANNEL_NAME.match(channel):
                    raise BundleProblem(
                        f"channel {channel!r}: a bundle takes channels by name (as conda-forge)"
                    )
        wanted = {
            (c, s) for arch, _, call in steps for c in call.channels for s in (SUBDIR[arch], NOARCH)
        }
        for channel, subdir in sorted(wanted):
            url = f"{DEFAULT_ALIAS}/{channel}/{subdir}/{REPODATA}"
            dest = Path(tmp) / f"{channel}-{subdir}.json"
            _fetch(net, url, dest, f"{channel}/{subdir} index", None, REPODATA_MAX)
            try:
                data = read_repodata(dest)
            except (OSError, ValueError) as exc:
                raise BundleProblem(f"{url} is not a readable repodata.json: {exc}") from None
            indexes[channel, subdir] = records_of(data, channel, subdir)
            say(f"index   {channel}/{subdir}: {len(indexes[channel, subdir])} packages")
    chosen: dict[str, Record] = {}
    step_entries = []
    for arch, step, call in steps:
        index = Index(
            r for c in call.channels for s in (SUBDIR[arch], NOARCH) for r in indexes[c, s]
        )
        try:
            records = resolve(call.specs, index)
        except ResolveError as exc:
            raise BundleProblem(f"{step.name} ({arch}): {exc}") from None
        for record in records:
            chosen[record.label()] = record
        step_entries.append(
            {
                "step": step.name,
                "arch": arch,
                "channels": list(call.channels),
                "specs": list(call.specs),
                "packages": [r.label() for r in records],
            }
        )
        say(f"conda   {step.name} ({arch}): {len(records)} packages for {' '.join(call.specs)}")
    for label, record in sorted(chosen.items()):
        if record.sha256 is None or record.size is None:
            raise BundleProblem(
                f"{label}: the channel's repodata gives no sha256 and size for it; "
                "nothing unchecked goes into a bundle"
            )
        dest = out / CONDA_DIR / record.channel / record.subdir / record.fn
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.is_file() and file_sha256(dest) == (record.sha256, record.size):
            continue  # made before (a bundle made again into the same directory)
        url = f"{DEFAULT_ALIAS}/{record.channel}/{record.subdir}/{record.fn}"
        _fetch(net, url, dest, label, record.sha256, PACKAGE_MAX)
        if dest.stat().st_size != record.size:
            dest.unlink()
            raise StepError(
                ErrorCategory.CHECKSUM,
                f"{url}: {dest.stat().st_size} bytes, the repodata says {record.size}",
            )
    channels = sorted({c for _, _, call in steps for c in call.channels})
    repodata = []
    for channel in channels:
        records = [r for r in chosen.values() if r.channel == channel]
        subdirs = {s for c, s in wanted if c == channel}
        for path in write_channel(out / CONDA_DIR / channel, records, subdirs):
            digest, size = file_sha256(path)
            repodata.append(
                {"path": path.relative_to(out).as_posix(), "sha256": digest, "size": size}
            )
    total = sum(r.size or 0 for r in chosen.values())
    say(f"conda   {len(chosen)} package file(s), {total} bytes, in {out / CONDA_DIR}")
    return {
        "channels": [
            {"name": c, "url": f"{DEFAULT_ALIAS}/{c}", "path": f"{CONDA_DIR}/{c}"} for c in channels
        ],
        "repodata": repodata,
        "steps": step_entries,
    }


# ---------------------------------------------------------------- installing from it
_verified: dict[str, tuple[int, float]] = {}  # path -> (size, mtime) already hashed this run


def _missing(path: Path, why: str) -> StepError:
    return StepError(ErrorCategory.MISSING_DEPENDENCY, f"{path} is missing from the bundle ({why})")


def _check_file(path: Path, sha256: str, size: int, why: str) -> None:
    try:
        stat = path.stat()
    except OSError:
        raise _missing(path, why) from None
    key = str(path)
    if _verified.get(key) == (stat.st_size, stat.st_mtime):
        return
    got, got_size = file_sha256(path)
    if got != sha256.lower() or got_size != size:
        raise StepError(
            ErrorCategory.CHECKSUM,
            f"{path} is damaged: {got_size} bytes with sha256 {got[:12]}..., expected {size} "
            f"bytes with sha256 {sha256[:12]}... ({why}); nothing was installed",
        )
    _verified[key] = (stat.st_size, stat.st_mtime)


def check_channels(
    directory: Path, section: Mapping[str, Any], channels: Sequence[str], arch: str
) -> None:
    """Every repodata.json a conda step on `arch` reads, and every package in it, is in the
    bundle whole."""
    recorded = {e["path"]: e for e in section.get("repodata", []) if isinstance(e, dict)}
    for channel in channels:
        for subdir in (SUBDIR[arch], NOARCH):
            rel = f"{CONDA_DIR}/{channel}/{subdir}/{REPODATA}"
            entry = recorded.get(rel)
            path = directory / rel
            if entry is None:
                raise _missing(path, "the manifest does not list it")
            _check_file(path, str(entry["sha256"]), int(entry["size"]), "the manifest's sha256")
            try:
                data = read_repodata(path)
            except (OSError, ValueError) as exc:
                raise StepError(ErrorCategory.CHECKSUM, f"{path} cannot be read: {exc}") from None
            for record in records_of(data, channel, subdir):
                if record.sha256 is None or record.size is None:
                    raise StepError(
                        ErrorCategory.CHECKSUM, f"{path}: {record.fn} has no sha256 and size"
                    )
                _check_file(
                    path.parent / record.fn,
                    record.sha256,
                    record.size,
                    f"listed in {rel}",
                )


def offline_argv(
    argv: Sequence[str], step_name: str, arch: str, directory: Path, manifest: Mapping[str, Any]
) -> list[str] | None:
    """The conda command line of `step_name` against the bundle's channel, offline, after
    checking its files; None when `argv` is no conda install/create."""
    try:
        call = conda_call(argv)
    except UnsupportedCondaCall as exc:
        raise StepError(ErrorCategory.MISSING_DEPENDENCY, str(exc)) from None
    if call is None:
        return None
    section = manifest.get("conda") if isinstance(manifest.get("conda"), dict) else None
    entry = None
    if section is not None:
        entry = next(
            (
                e
                for e in section.get("steps", [])
                if isinstance(e, dict) and e.get("step") == step_name and e.get("arch") == arch
            ),
            None,
        )
    if section is None or entry is None:
        raise StepError(
            ErrorCategory.MISSING_DEPENDENCY,
            f"the bundle {directory} has no conda packages for {step_name} on {arch}; make it "
            f"again with this dtu-install (`dtu-install bundle ... --arch {arch}`)",
        )
    if list(entry.get("specs", [])) != list(call.specs):
        raise StepError(
            ErrorCategory.MISSING_DEPENDENCY,
            f"the bundle {directory} was made for {step_name} with {' '.join(entry['specs'])}, "
            f"the recipes now ask for {' '.join(call.specs)}; make the bundle again",
        )
    channels = [str(c) for c in entry.get("channels", [])]
    check_channels(directory, section, channels, arch)
    urls = [(directory / CONDA_DIR / c).resolve().as_uri() for c in channels]
    return offline_conda_argv(argv, call, urls)
