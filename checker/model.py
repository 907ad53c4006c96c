"""Plain, immutable data passed between the pipeline stages.

load -> RawTable -> validate -> Intake -> evaluate -> SchoolResult -> render / write / history.
Nothing here does I/O; every stage is a function of these values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

# A typed cell value after validation: a number (a count is an int, a share an exact Decimal, so
# that 89.9999999999999999 stays below 90), a yes/no, a text, or None (blank or invalid).
Value = Decimal | float | bool | str | None

Status = Literal["met", "not_met", "not_applicable", "missing"]

Kind = Literal["id", "text", "level", "count", "share", "yes_no", "url"]


class InputError(Exception):
    """The input file cannot be used at all: the run stops before writing anything.

    The message is one plain sentence for the user, naming the file and, where it can,
    the rows or columns at fault.
    """


@dataclass(frozen=True)
class Column:
    """One column of the intake table."""

    key: str
    header_vi: str
    kind: Kind
    required: bool
    header_en: str
    # The school levels that must fill it (a criterion they are scored on reads it); empty for
    # every level. A combined school fills a column when any of its levels does.
    levels: tuple[str, ...] = ()

    def applies_to(self, levels: tuple[str, ...]) -> bool:
        """Whether a school of these levels must fill this column."""
        return not self.levels or any(level in self.levels for level in levels)


_TH_THCS = ("tieu_hoc", "thcs")

# The intake form, in the order of the office's workbook.
COLUMNS: tuple[Column, ...] = (
    Column("school_id", "Mã trường", "id", True, "School ID"),
    Column("school_name", "Tên trường", "text", True, "School name"),
    Column("level", "Cấp học", "level", True, "Level"),
    Column("commune", "Xã/Thị trấn", "text", False, "Commune"),
    Column("principal", "Hiệu trưởng", "text", False, "Principal"),
    Column("students", "Số học sinh", "count", False, "Students"),
    Column("website_url", "Website", "url", True, "Website"),
    Column(
        "ioffice_share",
        "Tỷ lệ văn bản qua iOffice (%)",
        "share",
        True,
        "Share of documents via iOffice (%)",
    ),
    Column(
        "cashless_fees",
        "Thu phí không dùng tiền mặt",
        "yes_no",
        True,
        "Cashless fee payment",
        ("mam_non", "thcs"),
    ),
    Column("computer_rooms", "Số phòng máy tính", "count", True, "Computer rooms", _TH_THCS),
    Column(
        "computers", "Số máy tính cho học sinh", "count", True, "Computers for students", _TH_THCS
    ),
    Column("e_gradebook", "Sổ điểm điện tử", "yes_no", True, "Electronic gradebook", _TH_THCS),
    Column(
        "e_contact_book", "Sổ liên lạc điện tử", "yes_no", True, "Electronic contact book", _TH_THCS
    ),
    Column(
        "online_enrolment", "Tuyển sinh trực tuyến", "yes_no", True, "Online enrolment", _TH_THCS
    ),
)

COLUMN_BY_KEY: Mapping[str, Column] = {c.key: c for c in COLUMNS}

# School levels in the order of the education system. A combined school (trường liên cấp, e.g.
# "TH&THCS") has several; its level is written with "+" between them ("tieu_hoc+thcs").
LEVELS: tuple[str, ...] = ("mam_non", "tieu_hoc", "thcs", "thpt")
LEVEL_JOIN = "+"


def levels_of(level: str | None) -> tuple[str, ...]:
    """The levels of a school's level key: 'tieu_hoc+thcs' -> ('tieu_hoc', 'thcs'); None -> ()."""
    return tuple(level.split(LEVEL_JOIN)) if level else ()


# Why a value a rule needs is not usable: the cell is blank, or it holds something invalid.
MissingReason = Literal["blank", "invalid"]


@dataclass(frozen=True)
class RawRow:
    """One data row as typed in the input: every known column's text ('' when blank)."""

    row_number: int  # 1-based, as the spreadsheet program shows it
    cells: Mapping[str, str]
    cut: frozenset[str] = frozenset()  # columns whose value was too long: only its start kept


@dataclass(frozen=True)
class TitleSemester:
    """The semester the title block above the header names: a school year, a term, or both."""

    year: int | None  # the school year's first calendar year (2026 for 2026-2027)
    term: int | None  # 1 or 2
    text: str  # the title line that names it, as typed (cut to a readable length)


@dataclass(frozen=True)
class RawTable:
    """What the loader read from one input file, before any judgement of the values."""

    path: Path
    sha256: str
    header_row: int
    rows: tuple[RawRow, ...]
    extra_columns: tuple[str, ...] = ()
    ignored_rows: tuple[int, ...] = ()  # blank rows and the signature block: not schools
    repeated_headers: tuple[int, ...] = ()  # the header row typed again mid-table: skipped
    sheet: str | None = None  # the sheet read (XLSX/ODS), None for CSV
    title_semester: TitleSemester | None = None


@dataclass(frozen=True)
class Problem:
    """One problem with one cell (or a whole row), for the school and the office to fix."""

    row_number: int
    school_id: str
    school_name: str
    column: str  # a column key, or "" when the problem is with the whole row
    value: str  # as typed
    code: str  # e.g. "blank", "not_a_number", "out_of_range", "unknown_level"


@dataclass(frozen=True)
class School:
    """One school's row after validation: typed values, None where blank or invalid."""

    row_number: int
    school_id: str
    name: str
    level: str | None  # a level key, or several joined by "+" for a combined school
    commune: str
    principal: str
    values: Mapping[str, Value]
    raw: Mapping[str, str]
    problems: tuple[Problem, ...] = ()

    @property
    def levels(self) -> tuple[str, ...]:
        """Every level the school teaches (several for a combined school)."""
        return levels_of(self.level)


@dataclass(frozen=True)
class Rejected:
    """A row that holds data but cannot become a scorecard (e.g. no school id)."""

    row_number: int
    code: str
    cells: Mapping[str, str]


@dataclass(frozen=True)
class Intake:
    """The validated table: schools to score, rows rejected, and every problem found."""

    table: RawTable
    schools: tuple[School, ...]
    rejected: tuple[Rejected, ...]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Condition:
    """One part of a criterion: `field` `op` `value`, e.g. ioffice_share gte 90."""

    field: str
    op: str
    value: float | None = None


@dataclass(frozen=True)
class Criterion:
    """One criterion of the rulebook. Texts are per language code ('vi', 'en')."""

    id: str
    label: Mapping[str, str]
    levels: tuple[str, ...]
    conditions: tuple[Condition, ...]
    target: float  # the plan's target, percent of applicable schools
    legal_basis: Mapping[str, str]
    remediation: Mapping[str, str]


@dataclass(frozen=True)
class Rulebook:
    """The criteria, as loaded from the rulebook file."""

    version: str
    sha256: str
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Verdict:
    """One school's status for one criterion, with the values the rule looked at."""

    criterion_id: str
    status: Status
    values: Mapping[str, Value] = field(default_factory=dict)
    reason: MissingReason | None = None  # only for "missing": blank cell or invalid value


def share(met: int, applicable: int) -> float | None:
    """met / applicable: a school's score, or a criterion's rate over the schools it applies
    to; None when nothing applies. The one place this rule is computed."""
    return met / applicable if applicable else None


@dataclass(frozen=True)
class SchoolResult:
    """A school with one verdict per criterion of the rulebook, in rulebook order."""

    school: School
    verdicts: tuple[Verdict, ...]

    @property
    def met(self) -> int:
        """How many applicable criteria the school meets."""
        return sum(v.status == "met" for v in self.verdicts)

    @property
    def applicable(self) -> int:
        """How many criteria apply to the school's level (missing ones included)."""
        return sum(v.status != "not_applicable" for v in self.verdicts)

    @property
    def score(self) -> float | None:
        """met / applicable, or None when nothing applies (e.g. unknown level)."""
        return share(self.met, self.applicable)
