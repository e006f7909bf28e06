"""conda's version order and match specs, the subset an offline bundle needs to choose packages
from a channel's repodata (installer/runner/conda_channel.py).

Rules from conda's own code (conda/conda at 0f64223f):
- `VersionOrder` (conda/models/version.py, class VersionOrder's docstring): an optional epoch
  `N!`, a local part after `+`; components split at `.` and `_`, each split again into runs
  of digits (integers) and letters (lower-cased strings); a component that starts with a letter
  gets a 0 first ('1.1.a1' == '1.1.0a1'); 'dev' sorts below everything, 'post' above,
  other strings below integers; a missing component counts as 0 ('1.1' == '1.1.0').
- `VersionSpec.get_matcher` (same file): `|` is "or", `,` is "and" (binding tighter);
  `>=`, `<=`, `>`, `<`, `==`, `!=`, `~=`; `=V` and `V*` / `V.*` are "starts with V"
  (`!=V.*` is "does not start with"); `*` alone is anything; another `*` inside is a glob;
  a bare version is `==` that version.
- MatchSpec strings (conda/models/match_spec.py `_parse_spec_str`): `name`,
  `name version [build]` (spaces) and the command-line forms `name=version[=build]`,
  `name==version`, `name>=version,...`; a single `=version` means `version*`.
- Virtual packages (`__osx`, `__unix`, `__glibc`, ...) are what the machine provides, never a
  channel's files (conda/plugins/virtual_packages).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Callable, Optional, Union

Part = Union[int, str]
Key = tuple[tuple[tuple[Part, ...], ...], tuple[tuple[Part, ...], ...]]


class SpecError(ValueError):
    """A version or match spec this module cannot read."""


def _component(text: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    for run in re.findall(r"\d+|[^\d]+", text):
        if run.isdigit():
            parts.append(int(run))
        else:
            parts.append(run.lower())
    if parts and isinstance(parts[0], str):
        parts.insert(0, 0)  # keep numbers and strings in phase
    return tuple(parts)


def _split(text: str) -> tuple[tuple[Part, ...], ...]:
    if not text:
        return ()
    if not re.fullmatch(r"[A-Za-z0-9_.*]+", text) or ".." in text:
        raise SpecError(f"not a conda version: {text!r}")
    return tuple(_component(c) for c in re.split(r"[._]", text) if c != "")


def version_key(version: str) -> Key:
    """A sort key that orders versions as conda's VersionOrder does."""
    text = version.strip().lower()
    epoch = "0"
    if "!" in text:
        epoch, text = text.split("!", 1)
        if not epoch.isdigit():
            raise SpecError(f"not a conda version: {version!r}")
    main, _, local = text.partition("+")
    return ((_component(epoch), *_split(main)), _split(local))


def _cmp_part(a: Part, b: Part) -> int:
    if a == b:
        return 0
    # 'dev' below everything, 'post' above everything, strings below integers.
    if a == "dev" or b == "post":
        return -1
    if b == "dev" or a == "post":
        return 1
    if isinstance(a, int) and isinstance(b, int):
        return -1 if a < b else 1
    if isinstance(a, str) and isinstance(b, str):
        return -1 if a < b else 1
    return -1 if isinstance(a, str) else 1


def _cmp_list(a: tuple[tuple[Part, ...], ...], b: tuple[tuple[Part, ...], ...]) -> int:
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else (0,)
        y = b[i] if i < len(b) else (0,)
        for j in range(max(len(x), len(y))):
            p = x[j] if j < len(x) else 0
            q = y[j] if j < len(y) else 0
            c = _cmp_part(p, q)
            if c:
                return c
    return 0


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as version a is below, equal to or above version b."""
    ka, kb = version_key(a), version_key(b)
    return _cmp_list(ka[0], kb[0]) or _cmp_list(ka[1], kb[1])


def _startswith(version: str, prefix: str) -> bool:
    """VersionOrder.startswith: every component of `prefix` equals `version`'s, the last one
    compared as a prefix ('1.2' starts '1.2.3' but not '1.20')."""
    va, vp = version_key(version)[0], version_key(prefix)[0]
    if len(vp) > len(va):
        return False
    for i, comp in enumerate(vp):
        other = va[i]
        if i < len(vp) - 1:
            if _cmp_list((other,), (comp,)):
                return False
        elif other[: len(comp)] != comp and _cmp_list((other,), (comp,)):
            return False
    return True


Matcher = Callable[[str], bool]


def _single(spec: str) -> Matcher:
    spec = spec.strip()
    if spec in ("", "*"):
        return lambda v: True
    m = re.fullmatch(r"(>=|<=|==|!=|~=|>|<|=)\s*(.+)", spec)
    if m:
        op, ver = m.group(1), m.group(2).strip()
        if ver.endswith(".*") or (op == "=" and ver.endswith("*")):
            ver = ver.rstrip("*").rstrip(".")
            if op == "!=":
                return lambda v: not _startswith(v, ver)
            if op in ("=", ">="):
                op = "=" if op == "=" else ">="
            elif op == "~=":
                raise SpecError(f"invalid operator with '.*': {spec!r}")
        version_key(ver)  # unreadable: SpecError now, not at match time
        if op == "=":
            return lambda v: _startswith(v, ver)
        if op == "~=":
            head = ver.rsplit(".", 1)[0] if "." in ver else ver
            return lambda v: compare(v, ver) >= 0 and _startswith(v, head)
        tests: dict[str, Callable[[int], bool]] = {
            ">=": lambda c: c >= 0,
            "<=": lambda c: c <= 0,
            ">": lambda c: c > 0,
            "<": lambda c: c < 0,
            "==": lambda c: c == 0,
            "!=": lambda c: c != 0,
        }
        test = tests[op]
        return lambda v: test(compare(v, ver))
    if "*" in spec.rstrip("*"):
        pattern = re.compile("^(?:" + re.escape(spec).replace(r"\*", ".*") + ")$", re.IGNORECASE)
        return lambda v: bool(pattern.match(v))
    if spec.endswith("*"):
        prefix = spec.rstrip("*").rstrip(".")
        version_key(prefix)
        return lambda v: _startswith(v, prefix)
    version_key(spec)
    return lambda v: compare(v, spec) == 0


def version_matcher(spec: str) -> Matcher:
    """A function telling whether a version satisfies `spec` (`>=3.8,<4|1.*`)."""
    alternatives = []
    for alternative in spec.split("|"):
        parts = [_single(p) for p in alternative.split(",")]
        alternatives.append(parts)

    def match(version: str) -> bool:
        try:
            return any(all(p(version) for p in parts) for parts in alternatives)
        except SpecError:
            return False

    return match


@dataclass(frozen=True)
class MatchSpec:
    """`name [version [build]]` as a channel record must satisfy it."""

    name: str
    version: Optional[str] = None
    build: Optional[str] = None
    text: str = ""

    @property
    def virtual(self) -> bool:
        return self.name.startswith("__")

    def matches(self, version: str, build: str) -> bool:
        if self.version is not None and not version_matcher(self.version)(version):
            return False
        return self.build is None or fnmatch.fnmatchcase(build, self.build)

    def __str__(self) -> str:
        return self.text or self.name


NAME = r"[A-Za-z0-9_][A-Za-z0-9_.+-]*"


def parse_spec(text: str) -> MatchSpec:
    """Read a spec as conda writes them in repodata (`numpy >=1.23,<3`) or on its command line
    (`python=3.12`, `dtumathtools =2025`, `python 3.12.*`)."""
    spec = text.strip()
    if "::" in spec or "[" in spec:
        raise SpecError(f"{text!r}: channel and bracket specs are not supported here")
    m = re.fullmatch(rf"({NAME})\s*(.*)", spec)
    if not m:
        raise SpecError(f"not a conda match spec: {text!r}")
    name, rest = m.group(1), m.group(2).strip()
    version: Optional[str] = None
    build: Optional[str] = None
    if rest:
        if re.match(r"=[^=<>!~]", rest) and " " not in rest and rest.count("=") >= 1:
            # name=version[=build]: one '=' is "starts with"
            fields = rest[1:].split("=", 1)
            version = fields[0] if fields[0].endswith("*") else fields[0] + "*"
            if len(fields) == 2:
                version = fields[0]  # with a build, the version is exact
                build = fields[1]
        else:
            words = rest.split()
            version = "".join(words[:1]) or None
            if len(words) > 2:
                raise SpecError(f"not a conda match spec: {text!r}")
            build = words[1] if len(words) == 2 else None
        if version is not None:
            version_matcher(version)("0")  # unreadable: SpecError here
            for part in re.split(r"[|,]", version):
                _single(part)
    return MatchSpec(name.lower(), version, build, spec)
