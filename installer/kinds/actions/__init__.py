"""Action kinds: one module each (the dataclass, schema, build, describe, execute)."""
