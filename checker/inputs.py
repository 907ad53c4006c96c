"""The run's input files, read and checked before `checker run` starts any process.

Kept apart from checker.run on purpose: this module imports only the load stage, the rulebook
reader and the office settings reader (about 0.1 s), so that an unusable input is refused
before the validator and render processes are forked and before SQLAlchemy, Jinja2 and the
rest of the pipeline are imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from checker.evaluate import load_rulebook
from checker.load import load_table
from checker.model import RawTable, Rulebook
from checker.office import load_office


@dataclass(frozen=True)
class Inputs:
    """The three files a run reads, loaded and checked."""

    table: RawTable
    rulebook: Rulebook
    office: Mapping[str, str]


def load_inputs(input_path: Path, rules_path: Path, office_path: Path, lang: str) -> Inputs:
    """Read and check the rulebook, the office settings and the input table, in that order;
    raises model.InputError (one sentence naming the file) when one cannot be used."""
    rulebook = load_rulebook(rules_path)
    office = load_office(office_path, lang)
    table = load_table(input_path)
    return Inputs(table=table, rulebook=rulebook, office=office)
