"""The built-in collector: the tracking protocol over HTTP, into the event store (SPEC 5)."""
