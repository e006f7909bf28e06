"""The one list of step kinds. The recipe schema, rendering, `plan` (text and JSON), the
runner, `uninstall` and `doctor` all look kinds up here, and a value no kind claims raises
`UnknownKind` instead of falling through to a default.

Adding an action kind (docs/recipes.md, "Adding a step kind"): write one module under
installer/kinds/actions/ holding its frozen dataclass and its kind object, and add that
object to `ACTIONS` below; a check kind likewise under installer/kinds/checks/ and `CHECKS`.
The order here is the order of the schema's keys and of docs/recipes.md's tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, Union

from installer.kinds.actions import (
    command,
    download,
    extract,
    json_settings,
    profile_block,
    profile_block_remove,
    remove,
    shell,
)
from installer.kinds.checks import command as command_check
from installer.kinds.checks import json_settings as json_settings_check
from installer.kinds.checks import path_exists, version_at_least
from installer.kinds.kind import ActionKind, CheckKind, UnknownKind

K = TypeVar("K", bound=Union[ActionKind[Any], CheckKind[Any]])


class Registry(Generic[K]):
    """Kinds by recipe key and by dataclass, in declaration order."""

    def __init__(self, what: str, kinds: Iterable[K]) -> None:
        self.what = what  # "action" / "check", for messages
        self._by_name: dict[str, K] = {}
        self._by_type: dict[type[Any], K] = {}
        for kind in kinds:
            self._add(kind)

    def _add(self, kind: K) -> None:
        if kind.name in self._by_name or kind.data_type in self._by_type:
            raise ValueError(f"{self.what} kind {kind.name!r} is registered twice")
        self._by_name[kind.name] = kind
        self._by_type[kind.data_type] = kind

    def __iter__(self) -> Iterator[K]:
        return iter(tuple(self._by_name.values()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def named(self, name: str) -> K:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownKind(f"no {self.what} kind {name!r}") from None

    def of(self, value: object) -> K:
        """The kind whose dataclass `value` is."""
        try:
            return self._by_type[type(value)]
        except KeyError:
            raise UnknownKind(f"no {self.what} kind for {type(value).__name__}") from None

    def key_in(self, data: Mapping[str, Any]) -> str:
        """The kind key of checked step or check data (the schema allows exactly one)."""
        for name in self._by_name:
            if name in data:
                return name
        raise UnknownKind(f"no {self.what} kind among the keys {', '.join(map(str, data))}")

    @contextmanager
    def added(self, kind: K) -> Iterator[K]:
        """`kind` registered (at the end) until the block ends: for tests of a toy kind."""
        self._add(kind)
        try:
            yield kind
        finally:
            del self._by_name[kind.name]
            del self._by_type[kind.data_type]


ACTIONS: Registry[ActionKind[Any]] = Registry(
    "action",
    [
        command.KIND,
        shell.KIND,
        download.KIND,
        extract.KIND,
        profile_block.KIND,
        json_settings.KIND,
        remove.KIND,
        profile_block_remove.KIND,
    ],
)

CHECKS: Registry[CheckKind[Any]] = Registry(
    "check",
    [command_check.KIND, path_exists.KIND, version_at_least.KIND, json_settings_check.KIND],
)
