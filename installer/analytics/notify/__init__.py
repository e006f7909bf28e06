"""Notifications (SPEC 6): Slack, email and a generic JSON webhook, with alert state,
a warning digest and an outbox so that a failed delivery is retried, never lost or doubled."""
