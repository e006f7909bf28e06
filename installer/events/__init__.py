"""The vocabulary every part shares: outcome statuses, error categories, the event schema,
and the tracking hit's wire form and normalising. The bottom of the import ladder: it
imports nothing of installer's, so the runner, telemetry, the store, the collector and
analytics can all use it without importing each other (docs/architecture.md)."""
