"""The shipped local plan's rulebook and the intake columns it declares, for tests that build
tables (the columns are data in expectations/rulebook.toml, not a constant of the code)."""

from __future__ import annotations

from collections.abc import Mapping

from checker import model, paths
from checker.rulebook import load_rulebook

RULEBOOK = load_rulebook(paths.DEFAULT_RULEBOOK)
COLUMNS: tuple[model.Column, ...] = RULEBOOK.columns
COLUMN_BY_KEY: Mapping[str, model.Column] = {c.key: c for c in COLUMNS}


def problem(
    row: int, school_id: str, name: str, column: str, value: str, code: str
) -> model.Problem:
    """A data problem as the validate stage reports it: with its column's kind and headers
    (a whole-row problem, column '', has none)."""
    found = COLUMN_BY_KEY.get(column)
    if found is None:
        return model.Problem(row, school_id, name, column, value, code)
    headers = (found.header_vi, found.header_en)
    return model.Problem(row, school_id, name, column, value, code, found.kind, headers)
