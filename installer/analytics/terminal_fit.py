"""Tables that stay readable in a narrow terminal (issue 17: at 80 columns a 157-column
report wrapped into unreadable text and "last seen" was cut to "2026-10-…").

A `FitTable` names its columns with a priority; `build(width)` returns a rich Table that
fits `width`: cells of free text fold onto several lines, dates and numbers are never cut
(`no_wrap` and a minimum width), and when even that does not fit, the lowest-priority
columns are left out, with a caption that says which.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Union

from rich.console import Console, JustifyMethod
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

Cell = Union[Text, str]
KEEP = 0  # priority of a column that is never left out


@dataclass(frozen=True)
class Column:
    name: str
    priority: int = KEEP  # higher: left out first when the table does not fit
    justify: JustifyMethod = "right"
    whole: bool = False  # a date, a SHA, a number: never folded or cut


@dataclass
class FitTable:
    title: str
    columns: Sequence[Column]
    rows: list[Sequence[Cell]] = field(default_factory=list)

    def add_row(self, *cells: Cell) -> None:
        self.rows.append(cells)

    def _table(self, keep: Sequence[int], hidden: Sequence[str]) -> Table:
        caption = f"(not shown, too narrow: {', '.join(hidden)})" if hidden else None
        table = Table(
            title=self.title,
            title_justify="left",
            title_style="bold",
            caption=caption,
            caption_justify="left",
            caption_style="dim",
        )
        for i in keep:
            col = self.columns[i]
            if col.whole:
                table.add_column(
                    col.name,
                    justify=col.justify,
                    no_wrap=True,
                    min_width=max(len(col.name), _widest(self.rows, i)),
                )
            else:
                table.add_column(
                    col.name,
                    justify=col.justify,
                    overflow="fold",
                )
        for row in self.rows:
            table.add_row(*(row[i] for i in keep))
        return table

    def build(self, width: int) -> Table:
        keep = list(range(len(self.columns)))
        hidden: list[str] = []
        # Measured on a wide console: a measurement is clipped to the console it is made on.
        console = Console(width=10_000, file=io.StringIO(), color_system=None)
        while True:
            table = self._table(keep, hidden)
            needed = Measurement.get(console, console.options, table).minimum
            droppable = [i for i in keep if self.columns[i].priority != KEEP]
            if needed <= width or not droppable:
                return table
            drop = max(droppable, key=lambda i: (self.columns[i].priority, i))
            keep.remove(drop)
            hidden.append(self.columns[drop].name)


def _widest(rows: Sequence[Sequence[Cell]], index: int) -> int:
    cells = (row[index] for row in rows)
    widths = [len(cell.plain if isinstance(cell, Text) else cell) for cell in cells]
    return max(widths, default=0)
