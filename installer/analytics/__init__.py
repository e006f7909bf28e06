"""Analytics over installer events: store, sources, metrics, dashboards, reports, alerts."""
