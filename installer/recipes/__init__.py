"""Recipes: the YAML model, its schema, validation, rendering for a Mac, and planning."""
