"""dtu-install: a macOS installer framework with per-step telemetry and its analytics."""

__version__ = "0.1.0"
