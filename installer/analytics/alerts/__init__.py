"""Alert rules (SPEC 6, "Alerts"): the rules model, YAML loading, evaluation and backtests."""
