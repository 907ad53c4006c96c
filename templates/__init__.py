"""Package data `checker.templates`: the scorecard and summary templates, print CSS and fonts
(mapped from this top-level folder in pyproject.toml; see checker/paths.py)."""
