"""Which command steps reach the network by themselves, read from their command lines: conda
installing packages and VS Code installing extensions. An offline bundle
(installer/runner/bundle.py) carries what they fetch, and `run --bundle` points them at it.

- conda: a command whose program is `.../conda` and whose subcommand is `install` or
  `create`. Its specs are the positional arguments; its channels the `-c`/`--channel` values,
  else Miniforge's own channel list, `conda-forge` (conda-forge/miniforge Miniforge3/construct.yaml:
  `channels: [conda-forge]` with `write_condarc: True`). Options that take a value are those of
  conda's argument parser (conda/cli/helpers.py, conda/cli/main_create.py, main_install.py).
- VS Code: a command that runs `.../bin/code` (directly or as an argument of a shell script)
  with `--install-extension`; the extensions are the arguments after the `code` path that are
  extension ids `publisher.name` (microsoft/vscode-docs docs/configure/extensions/
  extension-marketplace.md, "Command line extension management": `code --install-extension
  (<extension-id> | <extension-vsix-path>)`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

CONDA_SUBCOMMANDS = ("install", "create")
MINIFORGE_CHANNELS = ("conda-forge",)
# conda's options that take a value (the rest are flags).
_VALUE_OPTIONS = {
    "-n",
    "--name",
    "-p",
    "--prefix",
    "-c",
    "--channel",
    "--file",
    "--repodata-fn",
    "--solver",
    "--subdir",
    "--platform",
    "--clone",
    "--console",
}
EXTENSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z0-9][A-Za-z0-9_-]*$")


class UnsupportedCondaCall(ValueError):
    """A conda command a bundle cannot prepare for (named in the message)."""


@dataclass(frozen=True)
class CondaCall:
    subcommand: str
    specs: tuple[str, ...]
    channels: tuple[str, ...]
    channel_index: tuple[int, ...]  # argv positions of the channel values (and their option)


def conda_call(argv: Sequence[str]) -> CondaCall | None:
    """The conda install/create in `argv`, or None when `argv` is something else."""
    if len(argv) < 2 or os.path.basename(argv[0]) != "conda":
        return None
    if argv[1] not in CONDA_SUBCOMMANDS:
        return None
    specs: list[str] = []
    channels: list[str] = []
    positions: list[int] = []
    i = 2
    while i < len(argv):
        arg = argv[i]
        option, eq, inline = arg.partition("=")
        if arg.startswith("-") and option in _VALUE_OPTIONS:
            value = inline if eq else (argv[i + 1] if i + 1 < len(argv) else "")
            if option == "--file":
                raise UnsupportedCondaCall(
                    f"`{argv[0]} {argv[1]} --file`: an offline bundle takes its specs from the "
                    "command line only"
                )
            if option in ("-c", "--channel"):
                channels.append(value)
                positions.extend([i] if eq else [i, i + 1])
            i += 1 if eq else 2
            continue
        if arg.startswith("-"):
            i += 1
            continue
        specs.append(arg)
        i += 1
    return CondaCall(argv[1], tuple(specs), tuple(channels) or MINIFORGE_CHANNELS, tuple(positions))


def offline_conda_argv(
    argv: Sequence[str], call: CondaCall, channel_urls: Sequence[str]
) -> list[str]:
    """`argv` told to use only `channel_urls`, without the network: conda's `--offline`,
    `--override-channels` and one `--channel` each (conda/cli/helpers.py
    add_parser_networking / add_parser_channels)."""
    drop = set(call.channel_index)
    kept = [
        arg
        for i, arg in enumerate(argv)
        if i not in drop and arg not in ("--offline", "--override-channels", "-O")
    ]
    extra = ["--offline", "--override-channels"]
    for url in channel_urls:
        extra += ["--channel", url]
    return [*kept[:2], *extra, *kept[2:]]


def extension_ids(argv: Sequence[str]) -> list[tuple[int, str]] | None:
    """(argv position, id) of each extension a `code --install-extension` command installs,
    or None when `argv` installs no extensions."""
    if not any("--install-extension" in arg for arg in argv):
        return None
    code_at = next(
        (i for i, arg in enumerate(argv) if arg.endswith("/bin/code") or arg == "code"), None
    )
    if code_at is None:
        return None
    return [
        (i, arg)
        for i, arg in enumerate(argv)
        if i > code_at and EXTENSION_ID.match(arg) and not arg.endswith(".vsix")
    ]
