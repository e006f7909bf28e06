"""Alert rules (SPEC 6, "Alerts" and "Incidents"): the rules model, YAML loading, evaluation,
clear conditions, the incident lifecycle, and backtests."""
