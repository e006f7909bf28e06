"""The command line: thin typer functions that hand plain values to `installer.commands`-style
functions and return their exit code. No business logic lives here."""
