"""Package data `checker.sample_data`: the fictitious sample district (mapped from this
top-level folder in pyproject.toml; see checker/paths.py)."""
