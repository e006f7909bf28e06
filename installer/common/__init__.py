"""Small helpers every layer may use, each written once: retry policy, atomic writes,
date-time parsing, short quiet commands, thread-safe imports from the zipapp. They import
nothing else of the installer's layers (platform, recipes, runner, telemetry, analytics),
so anything may import them."""
