"""The SQLite event store (SPEC 6): its schema and migrations, transactions, and the
indexes built after a bulk load. Above the shared vocabulary (installer.events), below the
collector and analytics, which both write and read it; the installer never imports it."""
