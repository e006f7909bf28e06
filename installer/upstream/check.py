"""One finding per pinned component and architecture: up to date, newer (with the newest
version's verified sha256), or broken (what no longer answers or agrees, and where)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from installer.upstream.client import Client, Unexpected
from installer.upstream.pins import Pin
from installer.upstream.sources import SOURCES, Stated


class State(enum.Enum):
    UP_TO_DATE = "up_to_date"
    NEWER = "newer"
    BROKEN = "broken"


@dataclass(frozen=True)
class Finding:
    component: str
    arch: str  # arm64 | x86_64 | any
    state: State
    version: str  # pinned
    url: str  # the pinned file's URL (the publisher's, before the mirrors)
    newest: str | None = None
    newest_url: str | None = None
    newest_sha256: str | None = None
    newest_from: tuple[str, ...] = ()  # which statements gave newest_sha256
    reason: str | None = None  # broken: what is wrong
    broken_url: str | None = None  # broken: the URL that answered wrong

    def serialize(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "arch": self.arch,
            "state": self.state.value,
            "version": self.version,
            "url": self.url,
            "newest": self.newest,
            "newest_url": self.newest_url,
            "newest_sha256": self.newest_sha256,
            "newest_from": list(self.newest_from),
            "reason": self.reason,
            "broken_url": self.broken_url,
        }


def _agreed(stated: Stated, url: str, version: str) -> str:
    """The one sha256 every statement gives; Unexpected when there is none or they differ."""
    if not stated:
        raise Unexpected(url, f"no sha256 is published for {version}")
    digests = {digest for digest, _ in stated.values()}
    if len(digests) > 1:
        said = ", ".join(f"{name} {digest[:12]}..." for name, (digest, _) in stated.items())
        raise Unexpected(url, f"the published checksums of {version} disagree: {said}")
    return digests.pop()


def check_target(client: Client, pin: Pin, target: str) -> Finding:
    source = SOURCES[pin.kind]
    url = pin.url_for(target, pin.version)
    pinned = pin.pinned_sha256(target)
    base = Finding(pin.component, target, State.UP_TO_DATE, pin.version, url)
    try:
        try:
            client.probe(url)
        except Unexpected as exc:
            raise Unexpected(url, f"the pinned file is gone ({exc.reason})") from exc
        pinned_stated = source.stated(client, pin, target, pin.version)
        if not pinned_stated:
            # The publisher states checksums of its newest version only (VS Code's update
            # service) and that is no longer the pin: the pinned file's own bytes are what a
            # student's run verifies against the pin, so hash them.
            pinned_stated = {"download": (client.sha256(url), url)}
        for name, (digest, where) in pinned_stated.items():
            if digest != pinned:
                raise Unexpected(
                    where,
                    f"checksum mismatch: {name} states {digest[:12]}... for {pin.version}, "
                    f"the pin is {pinned[:12]}...",
                )
        newest = source.newest(client, pin, target)
        if newest == pin.version:
            return dataclasses.replace(base, newest=newest)
        newest_url = pin.url_for(target, newest)
        try:
            client.probe(newest_url)
        except Unexpected as exc:
            reason = f"newest {newest}: its file is missing ({exc.reason})"
            raise Unexpected(newest_url, reason) from exc
        stated = source.stated(client, pin, target, newest)
        digest = _agreed(stated, newest_url, newest)
    except Unexpected as exc:
        return dataclasses.replace(base, state=State.BROKEN, reason=exc.reason, broken_url=exc.url)
    return dataclasses.replace(
        base,
        state=State.NEWER,
        newest=newest,
        newest_url=newest_url,
        newest_sha256=digest,
        newest_from=tuple(stated),
    )


def check_pins(client: Client, pins: Sequence[Pin]) -> list[Finding]:
    return [check_target(client, pin, target) for pin in pins for target in pin.targets]
