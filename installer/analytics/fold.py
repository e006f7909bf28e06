"""Placing the times of the hour the clocks repeat in autumn (see `timezones`).

Piwik PRO gives `02:30` for both 00:30Z and 01:30Z in Copenhagen on the last Sunday of
October: the time alone cannot say which. The events around it can. Piwik PRO's documented
facts used here:
- every raw event carries its `session_id` (returned by default: PiwikPRO/PPMS-PublicDocs,
  custom_reports/columns.rst, "Exporter") and can carry `event_index`, its position in the
  session counted from 0 (custom_reports/columns__dimensions.rst; meaning in
  data_collection/api/tracker_debugger_api.yaml, `event_index`);
- a session ends after 30 minutes without an event (data_collection/mobile/
  Piwik_PRO_SDK_for_Android.md, "session timeout"), so one session never has an hour's gap.

Within a session, in `event_index` order, time only moves forward; so the events of the
repeated hour are some in its first pass followed by the rest in its second pass. Of the
ways to split them, the one that keeps the session in order and shortest is the truth: a
wrong split either puts an event before its predecessor or opens a gap of an hour, which
a session cannot have. A session whose events all lie inside the repeated hour, in one pass,
with no other event to compare with, cannot be told apart: those are placed in the first pass
(the earlier moment) and counted, so the summary can say so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Payload = TypeVar("Payload")


@dataclass
class _Held(Generic[Payload]):
    index: int
    first: int  # UTC seconds if in the first pass of the repeated hour
    second: int  # ... and in the second pass
    payload: Payload


@dataclass
class FoldResolver(Generic[Payload]):
    """Collects the rows near a clock change (`anchor`) and those in a repeated hour
    (`hold`); `resolve` gives each held row its moment."""

    anchors: dict[Hashable, list[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    held: dict[Hashable, list[_Held[Payload]]] = field(default_factory=lambda: defaultdict(list))
    alone: list[tuple[int, Payload]] = field(default_factory=list)
    undecidable: int = 0  # rows placed in the first pass for want of evidence

    def __len__(self) -> int:
        return len(self.alone) + sum(map(len, self.held.values()))

    def anchor(self, session: Hashable | None, index: int | None, moment: int) -> None:
        if session is not None and index is not None:
            self.anchors[session].append((index, moment))

    def hold(
        self,
        session: Hashable | None,
        index: int | None,
        moments: tuple[int, int],
        payload: Payload,
    ) -> None:
        if session is None or index is None:
            self.alone.append((moments[0], payload))  # nothing to order it by
            self.undecidable += 1
        else:
            self.held[session].append(_Held(index, moments[0], moments[1], payload))

    def resolve(self) -> list[tuple[int, Payload]]:
        """Every held row with its moment; empties the resolver (anchors too)."""
        placed = list(self.alone)
        for session, rows in self.held.items():
            placed += self._session(rows, self.anchors.get(session, []))
        self.anchors.clear()
        self.held.clear()
        self.alone = []
        return placed

    def _session(
        self, rows: list[_Held[Payload]], anchors: list[tuple[int, int]]
    ) -> list[tuple[int, Payload]]:
        rows = sorted(rows, key=lambda r: r.index)
        best: tuple[int, int] | None = None
        ties: list[int] = []
        # k rows (in session order) in the first pass, the rest in the second.
        for k in range(len(rows) + 1):
            timeline = sorted(
                [*anchors, *((r.index, r.first if i < k else r.second) for i, r in enumerate(rows))]
            )
            moments = [moment for _, moment in timeline]
            backwards = sum(b < a for a, b in zip(moments, moments[1:]))
            score = (backwards, moments[-1] - moments[0])
            if best is None or score < best:
                best, ties = score, [k]
            elif score == best:
                ties.append(k)
        chosen = max(ties)  # between equals: the first pass (the earlier moment)
        self.undecidable += max(ties) - min(ties)
        return [(r.first if i < chosen else r.second, r.payload) for i, r in enumerate(rows)]
