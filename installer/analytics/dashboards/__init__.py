"""The four dashboards of SPEC 6: pure functions over the store's grouped counts.

`compute(name, store, query)` returns the dashboard's dataclass; `serialize.to_json`,
`terminal.render` and `page.dashboards_page` present it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Union

from installer.analytics.dashboards.common import DEFAULT_DAYS, DashboardQuery
from installer.analytics.dashboards.compatibility import Compatibility, compatibility
from installer.analytics.dashboards.components import Components, components
from installer.analytics.dashboards.development import Development, development
from installer.analytics.dashboards.overview import Overview, overview
from installer.store.event_store import EventStore

Dashboard = Union[Overview, Compatibility, Components, Development]

# name -> (title, function); the order is the order of the HTML page.
DASHBOARDS: Mapping[str, tuple[str, Callable[[EventStore, DashboardQuery], Dashboard]]] = {
    "overview": ("Installation overview", overview),
    "compatibility": ("System compatibility", compatibility),
    "components": ("Component analysis", components),
    "development": ("Development insights", development),
}


def compute(name: str, store: EventStore, query: DashboardQuery) -> Dashboard:
    return DASHBOARDS[name][1](store, query)


__all__ = [
    "DASHBOARDS",
    "DEFAULT_DAYS",
    "Compatibility",
    "Components",
    "Dashboard",
    "DashboardQuery",
    "Development",
    "Overview",
    "compute",
]
