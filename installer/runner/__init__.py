"""Running recipes: plan execution, step kinds, downloads, retries, outcomes."""
