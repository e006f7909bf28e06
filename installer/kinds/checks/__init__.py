"""Check kinds: one module each (the dataclass, schema, build, describe, passes)."""
