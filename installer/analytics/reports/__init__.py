"""Reports (SPEC 6, "Reports"): pure functions over `installer.analytics.query` that return
dataclasses with `serialize()`; `render` turns any of them into text or one HTML page."""
