"""Step kinds: one object per action or check kind (kind.py), listed once (registry.py)."""
