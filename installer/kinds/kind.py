"""What a step kind is: one object with its name, its schema, how it is built from checked
recipe data, how `plan` and `doctor` describe it, and how it runs.

Every action kind (`command:`, `download:`, ...) is an `ActionKind`, every check kind
(`path_exists:`, ...) a `CheckKind`; registry.py lists them, and the schema, rendering, plan
display, plan JSON, runner, uninstall and doctor all go through that list. Kinds sit below
recipes and runner and above installer/steps/, the machinery they use; they import it inside
`execute`/`passes`, so that `plan` and `schema` do not load the HTTP stack
(installer/kinds/registry.py says how to add a kind).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from installer.mirrors import Mirrors
from installer.yaml_source.containers import Field

if TYPE_CHECKING:
    from installer.steps.context import RunContext
    from installer.steps.model import PlannedStep
    from installer.steps.prefetch import Prefetcher
    from installer.steps.retry import Attempted

A = TypeVar("A")  # an action kind's frozen dataclass (what a PlannedStep holds)
C = TypeVar("C")  # a check kind's frozen dataclass


class Render(Protocol):
    """The values of one Mac a kind builds its dataclass with (recipes/render.py's Renderer):
    per-arch values picked, placeholders filled in, `~` expanded."""

    @property
    def mirrors(self) -> Mirrors: ...

    def pick(self, value: Any, where: str) -> Any: ...

    def text(self, value: Any, where: str) -> str: ...

    def path(self, value: Any, where: str) -> str: ...

    def argv(self, items: Sequence[Any], where: str) -> tuple[str, ...]: ...

    def settings(self, value: Any) -> Any: ...

    def with_values(self, extra: Mapping[str, str]) -> Render: ...


class ActionKind(Protocol[A]):
    """One action kind: a step has exactly one action, under the key `name`."""

    @property
    def name(self) -> str:
        """The recipe key, e.g. `download`; also `kind` in `plan --json`."""

    @property
    def data_type(self) -> type[A]:
        """The frozen dataclass `build` returns (its fields are what `plan --json` shows)."""

    @property
    def field(self) -> Field:
        """The schema of the key's value, with the line docs/recipes.md shows."""

    def build(self, r: Render, data: Any, where: str) -> A:
        """The dataclass for one Mac from schema-checked data (`where`: file:line)."""

    def describe(self, action: A, launcher: tuple[str, ...]) -> str:
        """One line for `plan`'s `do:`; `launcher` is what commands start through (Rosetta)."""

    def execute(
        self,
        action: A,
        step: PlannedStep,
        ctx: RunContext,
        counter: Attempted,
        prefetch: Prefetcher | None,
    ) -> None:
        """Do it: return when done, raise installer.steps.failure.StepError otherwise."""

    def already_gone(self, action: A) -> bool | None:
        """For `uninstall`: True when nothing is left to remove, None to ask the step's checks."""


class CheckKind(Protocol[C]):
    """One check kind: "is it done?" for a step's `check`, and a `verify` check of doctor."""

    @property
    def name(self) -> str:
        """The recipe key, e.g. `path_exists`; also `kind` in `plan --json`."""

    @property
    def data_type(self) -> type[C]: ...

    @property
    def field(self) -> Field: ...

    def build(self, r: Render, data: Any, where: str) -> C: ...

    def describe(self, check: C, launcher: tuple[str, ...]) -> str:
        """One line for `plan` (`skip if:` and the doctor list), as it would be run."""

    def doctor_text(self, check: C) -> str:
        """What `doctor` says it checked (the home directory is replaced by `~` after)."""

    def passes(self, check: C, ctx: RunContext, label: str, launcher: Sequence[str]) -> bool:
        """True when done. Never raises for the world's state: a failure is "not done"."""


class UnknownKind(LookupError):
    """A value, name or mapping no registered kind claims: a bug (or a kind not registered),
    never a silent default."""
