"""A conda channel on disk, for offline bundles: reading a channel's repodata, choosing the
packages a set of specs needs, and writing the local channel `run --bundle` hands to conda.

Layout and fields, from conda's own tools:
- A channel is a directory with one subdirectory per platform (`osx-arm64`, `osx-64`) and
  `noarch`, each holding the package files and a `repodata.json` (conda/conda-index README:
  "A channel directory ... must contain a `noarch` subdirectory"; conda_index/index/__init__.py
  writes `{"info": {"subdir"}, "packages", "packages.conda", "repodata_version", "removed"}`,
  and each record carries `size`, `sha256`, `md5` among its index.json fields).
- `packages` holds `.tar.bz2` files, `packages.conda` `.conda` files; when both forms of the
  same build exist conda uses the `.conda` one (conda/core/subdir_data.py, the counterpart
  check in `_process_raw_repodata`).
- Subdirs per Mac: `osx-arm64` on Apple silicon, `osx-64` on Intel (conda/base/constants.py
  PLATFORMS); a channel's URL is `<channel_alias>/<name>` with the default alias
  https://conda.anaconda.org (conda/cli/helpers.py, the `--channel` help text).

Choosing packages without a Mac (and without conda): `resolve` takes, for each spec, the newest
build (version, then build number, then timestamp) that satisfies every constraint collected so
far, adds its dependencies' constraints (and its `constrains` on packages also chosen), and
chooses again whenever a later constraint rules out an earlier choice. It is not conda's SAT
solver: it finds the newest consistent set when one exists along that path, and says which
package it could not settle otherwise (the maintainer then pins it in the recipe's specs, e.g.
`numpy <2`). On the Mac, conda solves again against exactly these files, offline; the bundle
holds a consistent closure, so that solve has what it needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from installer.runner.conda_spec import MatchSpec, SpecError, compare, parse_spec

DEFAULT_ALIAS = "https://conda.anaconda.org"
SUBDIR = {"arm64": "osx-arm64", "x86_64": "osx-64"}
NOARCH = "noarch"
REPODATA = "repodata.json"
SECTIONS = ("packages", "packages.conda")
MAX_ROUNDS = 20000


class ResolveError(Exception):
    """The specs cannot be satisfied from the channel (names the package and constraints)."""


@dataclass(frozen=True)
class Record:
    channel: str
    subdir: str
    fn: str
    data: Mapping[str, Any] = field(compare=False, hash=False, repr=False)

    @property
    def name(self) -> str:
        return str(self.data.get("name", "")).lower()

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))

    @property
    def build(self) -> str:
        return str(self.data.get("build", ""))

    @property
    def build_number(self) -> int:
        value = self.data.get("build_number", 0)
        return value if isinstance(value, int) else 0

    @property
    def depends(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.data.get("depends") or ())

    @property
    def constrains(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.data.get("constrains") or ())

    @property
    def sha256(self) -> str | None:
        value = self.data.get("sha256")
        return value.lower() if isinstance(value, str) else None

    @property
    def size(self) -> int | None:
        value = self.data.get("size")
        return value if isinstance(value, int) else None

    @property
    def section(self) -> str:
        return "packages.conda" if self.fn.endswith(".conda") else "packages"

    def label(self) -> str:
        return f"{self.channel}/{self.subdir}/{self.fn}"


def records_of(repodata: Mapping[str, Any], channel: str, subdir: str) -> list[Record]:
    """The records of one repodata.json, `.conda` preferred over its `.tar.bz2` twin."""
    found: dict[str, Record] = {}
    for section in SECTIONS:
        entries = repodata.get(section) or {}
        if not isinstance(entries, dict):
            continue
        for fn, data in entries.items():
            if not isinstance(data, dict) or not isinstance(fn, str) or "/" in fn:
                continue
            stem = fn[: -len(".conda")] if fn.endswith(".conda") else fn[: -len(".tar.bz2")]
            if stem in found and found[stem].fn.endswith(".conda"):
                continue
            found[stem] = Record(channel, subdir, fn, data)
    return list(found.values())


def read_repodata(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a repodata.json object")
    return data


class Index:
    """Every record of the channels a conda step uses, by package name."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.by_name: dict[str, list[Record]] = {}
        for record in records:
            self.by_name.setdefault(record.name, []).append(record)

    def candidates(self, name: str) -> list[Record]:
        return self.by_name.get(name, [])


def _sort_newest(records: list[Record]) -> list[Record]:
    import functools

    def cmp(a: Record, b: Record) -> int:
        c = compare(a.version, b.version)
        if c:
            return -c
        if a.build_number != b.build_number:
            return -1 if a.build_number > b.build_number else 1
        ta, tb = a.data.get("timestamp") or 0, b.data.get("timestamp") or 0
        return -1 if ta > tb else (1 if ta < tb else 0)

    return sorted(records, key=functools.cmp_to_key(cmp))


def _parse(text: str, who: str) -> MatchSpec | None:
    try:
        spec = parse_spec(text)
    except SpecError as exc:
        raise ResolveError(f"{who}: {exc}") from None
    return None if spec.virtual else spec


def resolve(specs: Sequence[str], index: Index) -> list[Record]:
    """The packages `specs` need, newest first where the constraints allow (see the top)."""
    # name -> [(spec, who asked)]; `who` is "the recipe" or a chosen record's file name.
    wants: dict[str, list[tuple[MatchSpec, str]]] = {}
    limits: dict[str, list[tuple[MatchSpec, str]]] = {}  # `constrains`: only if chosen
    chosen: dict[str, Record] = {}
    queue: list[str] = []
    for text in specs:
        spec = _parse(text, "the recipe")
        if spec is not None:
            wants.setdefault(spec.name, []).append((spec, "the recipe"))
            queue.append(spec.name)

    def fits(name: str, record: Record) -> bool:
        rules = wants.get(name, []) + limits.get(name, [])
        return all(spec.matches(record.version, record.build) for spec, _ in rules)

    def drop(record: Record) -> None:
        for table in (wants, limits):
            for name in list(table):
                table[name] = [(s, who) for s, who in table[name] if who != record.fn]
                if not table[name]:
                    del table[name]

    rounds = 0
    while queue:
        rounds += 1
        if rounds > MAX_ROUNDS:
            raise ResolveError("the constraints did not settle; pin more versions in the specs")
        name = queue.pop(0)
        if name not in wants:  # nobody needs it any more
            if name in chosen:
                drop(chosen.pop(name))
            continue
        current = chosen.get(name)
        if current is not None and fits(name, current):
            continue
        candidates = [r for r in _sort_newest(index.candidates(name)) if fits(name, r)]
        if not candidates:
            rules = ", ".join(
                f"{spec} (from {who})" for spec, who in wants.get(name, []) + limits.get(name, [])
            )
            if not index.candidates(name):
                raise ResolveError(f"{name} is not in the channel (needed: {rules})")
            raise ResolveError(f"no build of {name} satisfies {rules}")
        best = candidates[0]
        if current is not None:
            drop(current)
        chosen[name] = best
        for text in best.depends:
            spec = _parse(text, best.fn)
            if spec is None:
                continue
            wants.setdefault(spec.name, []).append((spec, best.fn))
            queue.append(spec.name)
        for text in best.constrains:
            spec = _parse(text, best.fn)
            if spec is not None:
                limits.setdefault(spec.name, []).append((spec, best.fn))
                if spec.name in chosen:
                    queue.append(spec.name)
        # Choices that asked for something this one replaced are looked at again.
        queue.extend(n for n in list(chosen) if n not in wants)
        queue.extend(n for n in wants if n in chosen and not fits(n, chosen[n]))
    return sorted(chosen.values(), key=lambda r: r.name)


def write_channel(root: Path, records: Iterable[Record], subdirs: Iterable[str]) -> list[Path]:
    """Write `root/<subdir>/repodata.json` for the records (files placed by the caller) and an
    empty one for any subdir without records (conda-index: a channel always has `noarch`).
    Returns the repodata files written."""
    by_subdir: dict[str, dict[str, dict[str, Any]]] = {s: {} for s in {*subdirs, NOARCH}}
    tables: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for record in records:
        by_subdir.setdefault(record.subdir, {})
        tables.setdefault(record.subdir, {s: {} for s in SECTIONS})
        tables[record.subdir][record.section][record.fn] = dict(record.data)
    written = []
    for subdir in sorted(by_subdir):
        sections = tables.get(subdir, {s: {} for s in SECTIONS})
        data = {
            "info": {"subdir": subdir},
            "packages": sections["packages"],
            "packages.conda": sections["packages.conda"],
            "removed": [],
            "repodata_version": 1,
        }
        path = root / subdir / REPODATA
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written
