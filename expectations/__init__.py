"""Package data `checker.expectations`: the default rulebook and the intake checks (mapped from
this top-level folder in pyproject.toml; see checker/paths.py)."""
