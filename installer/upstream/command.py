"""`dtu-install upstream check|bump` as plain functions: typed values in, exit code out.

check: exit 0 when every pin still verifies (newer versions are news, not failures), 1 when a
pin is broken or a publisher cannot be reached. bump: the same checks, then for each component
whose every architecture has the same newer version, its file downloaded and hashed against
the published sha256, and with `write` the recipe rewritten (only `version` and `sha256`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from installer.errors import ExitCode, UsageError
from installer.mirrors import resolve as resolve_mirrors
from installer.recipes.loader import load_recipe_set
from installer.upstream.check import Finding, State, check_pins
from installer.upstream.client import Client, Unexpected
from installer.upstream.pins import Pin, find_pins
from installer.upstream.rewrite import write_bump

RESULT_FORMAT = 1
SHORT = 12  # characters of a digest or commit shown in text output
STATE_WORDS = {State.UP_TO_DATE: "up to date", State.NEWER: "newer", State.BROKEN: "BROKEN"}


@dataclass
class Bump:
    pin: Pin
    version: str
    sha256: dict[str, str]
    written: bool = False

    def serialize(self) -> dict[str, Any]:
        return {
            "component": self.pin.component,
            "file": self.pin.file,
            "from": self.pin.version,
            "to": self.version,
            "sha256": self.sha256,
            "written": self.written,
        }


@dataclass
class BumpResult:
    findings: list[Finding]
    bumps: list[Bump] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # component -> why it cannot be bumped
    # component -> why not now (the publisher is mid-release): not a failure
    pending: dict[str, str] = field(default_factory=dict)


def _short(value: str) -> str:
    return value[:SHORT] if len(value) == 40 else value  # a commit; versions stay whole


def _load(paths: Sequence[Path], only: Sequence[str]) -> tuple[list[Pin], Client]:
    recipe_set = load_recipe_set(list(paths) or None)
    pins = find_pins(recipe_set)
    known = sorted({p.component for p in pins})
    unknown = [name for name in only if name not in known]
    if unknown:
        raise UsageError(
            f"no pinned download with a livecheck in {', '.join(unknown)}; "
            f"pinned components: {', '.join(known) or 'none'}"
        )
    if not pins:
        raise UsageError("no download in these recipes has a `livecheck` block")
    selected = [p for p in pins if not only or p.component in only]
    return selected, Client(resolve_mirrors(recipe_set.mirrors))


def finding_lines(findings: Sequence[Finding]) -> list[str]:
    width = max((len(f.component) for f in findings), default=0)
    lines = []
    for f in findings:
        head = f"{f.component:<{width}}  {f.arch:<6}  {STATE_WORDS[f.state]:<10}  "
        if f.state is State.UP_TO_DATE:
            lines.append(head + _short(f.version))
        elif f.state is State.NEWER:
            digest = (f.newest_sha256 or "")[:SHORT]
            lines.append(
                head + f"{_short(f.version)} -> {_short(f.newest or '')}  sha256 {digest}... "
                f"({', '.join(f.newest_from)})"
            )
        else:
            lines.append(head + f"{_short(f.version)}: {f.reason}")
            lines.append(" " * len(head) + f"at {f.broken_url}")
    return lines


def _summary(findings: Sequence[Finding]) -> str:
    counts = {state: sum(f.state is state for f in findings) for state in State}
    return ", ".join(f"{counts[s]} {STATE_WORDS[s].lower()}" for s in State)


def check(
    paths: Sequence[Path],
    *,
    as_json: bool = False,
    only: Sequence[str] = (),
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    pins, client = _load(paths, only)
    findings = check_pins(client, pins)
    broken = any(f.state is State.BROKEN for f in findings)
    if as_json:
        payload = {
            "format": RESULT_FORMAT,
            "ok": not broken,
            "findings": [f.serialize() for f in findings],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write("\n".join([*finding_lines(findings), _summary(findings)]) + "\n")
    return ExitCode.FAILED if broken else ExitCode.OK


def plan_bumps(client: Client, pins: Sequence[Pin], findings: Sequence[Finding]) -> BumpResult:
    """Which components to bump, each newer file downloaded and verified first."""
    result = BumpResult(list(findings))
    for pin in pins:
        mine = [f for f in findings if f.component == pin.component]
        newest = {f.newest for f in mine if f.state is State.NEWER}
        if any(f.state is State.BROKEN for f in mine):
            result.failed[pin.component] = "broken (see above)"
        elif not newest:
            continue
        elif len(newest) > 1 or any(f.state is not State.NEWER for f in mine):
            states = ", ".join(f"{f.arch} {_short(f.newest or '?')}" for f in mine)
            result.pending[pin.component] = (
                f"the architectures' newest versions differ ({states}); try again later"
            )
        else:
            verified = _verify(client, mine)
            if verified:
                result.failed[pin.component] = verified
            else:
                sha256 = {f.arch: f.newest_sha256 or "" for f in mine}
                result.bumps.append(Bump(pin, newest.pop() or "", sha256))
    return result


def _verify(client: Client, findings: Sequence[Finding]) -> str | None:
    """Download each newer file and compare its sha256 with the published one; None when all
    match, else what differs."""
    for f in findings:
        if "download" in f.newest_from:  # nothing published: the digest is of the download
            continue
        url = f.newest_url or ""
        try:
            got = client.sha256(url)
        except Unexpected as exc:
            return f"{f.arch}: {exc}"
        if got != f.newest_sha256:
            return (
                f"{f.arch}: {url} has sha256 {got[:SHORT]}..., not the published "
                f"{(f.newest_sha256 or '')[:SHORT]}..."
            )
    return None


def _write(result: BumpResult, paths: Sequence[Path]) -> None:
    """Write every bump; if the rewritten recipes do not load, put the files back."""
    originals: dict[Path, str] = {}
    for bump in result.bumps:
        path = Path(bump.pin.file)
        originals.setdefault(path, path.read_text(encoding="utf-8"))
        write_bump(path, bump.pin, bump.version, bump.sha256)
        bump.written = True
    try:
        load_recipe_set(list(paths) or None)
    except UsageError:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        raise


def bump(
    paths: Sequence[Path],
    *,
    write: bool = False,
    as_json: bool = False,
    only: Sequence[str] = (),
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    pins, client = _load(paths, only)
    findings = check_pins(client, pins)
    result = plan_bumps(client, pins, findings)
    if write:
        _write(result, paths)
    failed = bool(result.failed) or any(f.state is State.BROKEN for f in findings)
    if as_json:
        payload = {
            "format": RESULT_FORMAT,
            "ok": not failed,
            "findings": [f.serialize() for f in findings],
            "bumps": [b.serialize() for b in result.bumps],
            "failed": result.failed,
            "pending": result.pending,
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        lines = finding_lines(findings)
        for b in result.bumps:
            verb = "bumped" if b.written else "would bump (add --write)"
            lines.append(
                f"{verb}: {b.pin.component} {_short(b.pin.version)} -> {_short(b.version)} "
                f"in {b.pin.file}"
            )
        skipped = {**result.failed, **result.pending}
        lines += [f"not bumped: {name}: {why}" for name, why in skipped.items()]
        if not result.bumps and not skipped:
            lines.append("nothing to bump: every pin is the newest version")
        out.write("\n".join(lines) + "\n")
    return ExitCode.FAILED if failed else ExitCode.OK
