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
from typing import Generic, TypeVar

from checker.files import read_regular_file
from checker.limits import DEFAULT_LIMITS, Limits
from checker.load import load_table
from checker.model import RawTable, Rulebook
from checker.office import Office, read_office
from checker.rulebook import load_rulebooks
from checker.semester import Semester
from checker.title import check_title_semester

T = TypeVar("T")


@dataclass(frozen=True)
class IntakeOptions:
    """How to read the input table: its limits, the sheet named, the semester asked for."""

    limits: Limits = DEFAULT_LIMITS
    sheet: str | None = None
    semester: Semester | None = None  # checked against the semester the title names


@dataclass(frozen=True)
class Inputs:
    """The three files a run reads, loaded and checked."""

    table: RawTable
    rulebook: Rulebook
    office: Mapping[str, str]  # the unit's texts by key, as the templates read them
    unit: Office  # the whole settings: signer, recipients, symbols, deadline
    unit_id: str  # the issuing unit, under which the history records the run


@dataclass(frozen=True)
class LoadedSettings:
    """The rulebook(s) and the office settings of a run, read and checked."""

    rulebook: Rulebook
    unit: Office


def load_settings(rules_paths: tuple[Path, ...], office_path: Path, lang: str) -> LoadedSettings:
    """Read and check the rulebook(s), then the office settings; raises model.InputError (one
    sentence naming the file) when one cannot be used."""
    return LoadedSettings(load_rulebooks(rules_paths), read_office(office_path, lang))


def read_inputs(
    input_path: Path, settings: LoadedSettings, intake: IntakeOptions = IntakeOptions()
) -> Inputs:
    """Read and check the input table with the run's loaded settings: its columns are the
    rulebooks' fields. Raises model.InputError (one sentence naming the file) when it cannot be
    used, and when the table's title names a semester other than `intake.semester`."""
    table = load_table(input_path, settings.rulebook.columns, intake.limits, intake.sheet)
    if intake.semester is not None:
        check_title_semester(table.title_semester, intake.semester, input_path.name)
    unit = settings.unit
    return Inputs(
        table=table, rulebook=settings.rulebook, office=unit.texts, unit=unit, unit_id=unit.unit_id
    )


def load_inputs(
    input_path: Path,
    rules_paths: tuple[Path, ...],
    office_path: Path,
    lang: str,
    intake: IntakeOptions = IntakeOptions(),
) -> Inputs:
    """Read and check the rulebook(s), the office settings and the input table, in that order
    (load_settings, then read_inputs)."""
    return read_inputs(input_path, load_settings(rules_paths, office_path, lang), intake)


def check_before_reading(
    input_path: Path,
    rules_paths: tuple[Path, ...],
    office_path: Path,
    lang: str,
    limits: Limits = DEFAULT_LIMITS,
) -> LoadedSettings:
    """What can be checked before the table is read, in load_inputs' order: the rulebook(s),
    the office settings, and the input being a readable regular file within the size limit;
    raises model.InputError (the same sentence load_inputs would give). `checker run` checks
    this before it starts any process, and reads the table (read_inputs, with the settings
    returned) after they are started."""
    settings = load_settings(rules_paths, office_path, lang)
    read_regular_file(input_path, limits.file_bytes())
    return settings


class Handover(Generic[T]):
    """A value handed down a chain of calls to the one that uses it: the callers hold only this
    box, emptied when the value is taken, so that the value can be freed as soon as its user is
    done with it (the CLI's loaded table: a province's takes tens of MB, needed only until it
    is validated)."""

    def __init__(self, value: T) -> None:
        self._value: T | None = value

    def take(self) -> T:
        """The value, once; the box is empty afterwards (ValueError when taken twice)."""
        value, self._value = self._value, None
        if value is None:
            raise ValueError("the value was already taken")
        return value
