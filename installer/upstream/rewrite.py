"""Write a bump into a recipe file: replace the pinned `version` and `sha256` scalars in
place (their exact source spans, found with PyYAML's node marks), so comments, quoting and
layout stay as the maintainer wrote them and the diff is the pin and nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from installer.errors import DtuInstallError
from installer.upstream.pins import ANY_ARCH, Pin


class RewriteError(DtuInstallError):
    """The recipe file does not have the pin where the loaded recipes said it was."""


def _child(node: yaml.Node, key: str, file: str) -> yaml.Node:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                child: yaml.Node = value
                return child
    raise RewriteError(f"{file}: no {key!r} where the pin was read; was the file changed?")


def _span(node: yaml.Node, file: str) -> tuple[int, int, str]:
    if not isinstance(node, yaml.ScalarNode):
        raise RewriteError(f"{file}: expected a single value at line {node.start_mark.line + 1}")
    return node.start_mark.index, node.end_mark.index, node.value


def rewritten(text: str, pin: Pin, version: str, sha256: Mapping[str, str]) -> str:
    """`text` (the recipe file) with `pin`'s version and sha256s replaced; `sha256` maps each
    of the pin's targets (arm64, x86_64, or `any`) to its new digest."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is None:
        raise RewriteError(f"{pin.file}: empty")
    steps = _child(root, "steps", pin.file)
    if not isinstance(steps, yaml.SequenceNode) or pin.index >= len(steps.value):
        raise RewriteError(f"{pin.file}: no step {pin.step} at index {pin.index}")
    download = _child(steps.value[pin.index], "download", pin.file)
    spans = [(*_span(_child(download, "version", pin.file), pin.file), version)]
    digests = _child(download, "sha256", pin.file)
    for target, digest in sha256.items():
        node = digests if target == ANY_ARCH else _child(digests, target, pin.file)
        spans.append((*_span(node, pin.file), digest))
    out = text
    for start, end, old, new in sorted(spans, reverse=True):
        # The source text keeps its quotes; only the value inside them changes.
        source = out[start:end]
        if old not in source:
            raise RewriteError(f"{pin.file}: cannot find {old!r} in {source!r}")
        replaced = source.replace(old, new, 1)
        if not isinstance(yaml.safe_load(replaced), str):
            replaced = f'"{new}"'  # a plain 1.20 would read back as a number
        out = out[:start] + replaced + out[end:]
    return out


def write_bump(path: Path, pin: Pin, version: str, sha256: Mapping[str, str]) -> None:
    """Rewrite the file atomically (a temporary file beside it, renamed over it)."""
    text = path.read_text(encoding="utf-8")
    new = rewritten(text, pin, version, sha256)
    tmp = path.with_name(path.name + ".bump-tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
