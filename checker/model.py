"""Plain, immutable data passed between the pipeline stages.

load -> RawTable -> validate -> Intake -> evaluate -> SchoolResult -> render / write / history.
Nothing here does I/O; every stage is a function of these values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Literal, Protocol

# A typed cell value after validation: a number (a count is an int, a share an exact Decimal, so
# that 89.9999999999999999 stays below 90), a yes/no, a text, or None (blank or invalid).
Value = Decimal | float | bool | str | dt.date | None

Status = Literal["met", "not_met", "not_applicable", "missing"]

Kind = Literal["id", "text", "level", "count", "share", "number", "yes_no", "url", "date"]


class InputError(Exception):
    """The input file cannot be used at all: the run stops before writing anything.

    The message is one plain sentence for the user, naming the file and, where it can,
    the rows or columns at fault.
    """


@dataclass(frozen=True)
class Column:
    """One column of the intake table.

    The school's own columns (id, name, level, commune, principal) are the checker's; every
    other column is a field a rulebook declares (`[[fields]]`), so that the loader, the intake
    checks, the forms and the scorecards all follow one declaration.
    """

    key: str
    header_vi: str
    kind: Kind
    required: bool  # the header must be in the file
    header_en: str
    # The school levels that fill it (greyed for the others on a form); empty for every level.
    # A combined school fills a column when any of its levels does.
    levels: tuple[str, ...] = ()
    must_fill: bool = False  # a blank cell is a problem for the schools of `levels`
    aliases: tuple[str, ...] = ()  # other headers accepted for it (old names, spellings)
    minimum: Decimal | None = None  # for numbers: the smallest value accepted
    maximum: Decimal | None = None  # and the largest
    hint: Mapping[str, str] = field(default_factory=dict)  # how to fill it, by language

    def applies_to(self, levels: tuple[str, ...]) -> bool:
        """Whether a school of these levels fills this column."""
        return not self.levels or any(level in self.levels for level in levels)


# The school's own columns, in the order of the office's workbook: every rulebook's table
# starts with them. The rulebook's fields follow.
IDENTITY_COLUMNS: tuple[Column, ...] = (
    Column("school_id", "Mã trường", "id", True, "School ID", must_fill=True),
    Column("school_name", "Tên trường", "text", True, "School name", must_fill=True),
    Column("level", "Cấp học", "level", True, "Level", must_fill=True),
    Column("commune", "Xã/Thị trấn", "text", False, "Commune", aliases=("Xã/Phường",)),
    Column("principal", "Hiệu trưởng", "text", False, "Principal"),
)

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


# The per-school values below are made by the thousand in a province's run: `slots` (no
# per-object __dict__) takes about half their memory.
@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one cell (or a whole row), for the school and the office to fix."""

    row_number: int
    school_id: str
    school_name: str
    column: str  # a column key, or "" when the problem is with the whole row
    value: str  # as typed
    code: str  # e.g. "blank", "not_a_number", "out_of_range", "unknown_level"
    kind: Kind = "text"  # the column's kind, for the fix hint
    header: tuple[str, str] = ("", "")  # the column's Vietnamese and English header


@dataclass(frozen=True, slots=True)
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
    column: Column | None = None  # the field's declaration, joined in when the rulebook loads


# A criterion's texts by language code ('vi', 'en').
Texts = Mapping[str, str]


@dataclass(frozen=True)
class Criterion:
    """One criterion of the rulebook. Texts are per language code ('vi', 'en')."""

    id: str
    label: Texts
    levels: tuple[str, ...]
    conditions: tuple[Condition, ...]
    target: float  # the plan's target, percent of applicable schools
    legal_basis: Texts
    remediation: Texts
    code: str = ""  # the index's item number, e.g. "2.4.3"
    group: str = ""  # the scoring group's id; "" when the rulebook has no groups
    points: Decimal = Decimal(0)  # earned in full when met (or as entered, when self-scored)
    mandatory: bool = False  # a mandatory condition of its group (điều kiện bắt buộc)
    self_scored: bool = False  # the school enters its points and evidence
    verify: bool = False  # the item could not be confirmed against the regulation's text
    # Texts that differ by school level: level -> text key ('label', ...) -> language -> text.
    by_level: Mapping[str, Mapping[str, Texts]] = field(default_factory=dict)
    section: str = ""  # the id of the rulebook it comes from

    def text(self, key: str, levels: tuple[str, ...]) -> Texts:
        """The texts `key` ('label', 'legal_basis', 'remediation') for a school of `levels`:
        those of the first of its levels that has its own, else the criterion's."""
        for level in levels:
            own = self.by_level.get(level, {}).get(key)
            if own:
                return own
        texts: Texts = getattr(self, key)
        return texts


def self_scored_keys(criterion_id: str) -> tuple[str, str]:
    """The points and evidence columns a self-scored criterion adds to the intake table."""
    return criterion_id + "_points", criterion_id + "_evidence"


# The default level bands of QĐ 4725/QĐ-BGDĐT: Mức 1 below 50 points, Mức 2 from 50 to 75,
# Mức 3 above 75 (of 100).
DEFAULT_BANDS = (Decimal(50), Decimal(75))


@dataclass(frozen=True)
class Group:
    """A scoring group of a rulebook (e.g. 'Chuyển đổi số trong quản trị', out of 100)."""

    id: str
    label: Texts
    max_points: Decimal
    bands: tuple[Decimal, Decimal] = DEFAULT_BANDS  # Mức 2 from the first, Mức 3 above the 2nd
    mandatory_caps_level: bool = True  # a mandatory condition not met: at most Mức 1
    section: str = ""


@dataclass(frozen=True)
class Section:
    """One rulebook file of a run (a run may read the local plan and the national index)."""

    id: str
    title: Texts
    version: str
    sha256: str


@dataclass(frozen=True)
class Rulebook:
    """The criteria, as loaded from the rulebook file(s), with the fields they read."""

    version: str
    sha256: str
    criteria: tuple[Criterion, ...]
    fields: tuple[Column, ...] = ()
    groups: tuple[Group, ...] = ()
    sections: tuple[Section, ...] = ()

    @property
    def columns(self) -> tuple[Column, ...]:
        """The intake table's columns: the school's own, then the fields."""
        return IDENTITY_COLUMNS + self.fields

    def column(self, key: str) -> Column:
        """The column called `key` (KeyError when there is none)."""
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    @property
    def plan_criteria(self) -> tuple[Criterion, ...]:
        """The criteria scored as met / applicable: those outside any points group."""
        return tuple(c for c in self.criteria if not c.group)

    def plan_view(self) -> Rulebook:
        """The rulebook as the criteria tables, rates and charts show it: only the criteria
        scored as met / applicable (points groups have their own section)."""
        return replace(self, criteria=self.plan_criteria, groups=())


@dataclass(frozen=True, slots=True)
class Verdict:
    """One school's status for one criterion, with the values the rule looked at."""

    criterion_id: str
    status: Status
    values: Mapping[str, Value] = field(default_factory=dict)
    reason: MissingReason | None = None  # only for "missing": blank cell or invalid value
    # Earned, for every verdict on a criterion of a points group (0 when it does not apply);
    # None for the local plan's criteria, which are scored as met / applicable.
    points: Decimal | None = None


@dataclass(frozen=True, slots=True)
class GroupResult:
    """One school's standing in one scoring group."""

    group_id: str
    points: Decimal  # earned, on the group's scale
    max_points: Decimal  # the group's maximum (100 for QĐ 4725), not the sum of its items
    level: int | None  # Mức 1, 2 or 3; None when the group does not apply to the school
    mandatory_met: bool  # every mandatory condition of the group is met


# Statuses that count in the denominator of a rate: the criterion applies to the school.
APPLICABLE_STATUSES: tuple[Status, ...] = ("met", "not_met", "missing")

Progress = Literal["improved", "regressed", "unchanged", "new", "not_comparable"]


def applies(status: str) -> bool:
    """Whether a status says the criterion applies to the school (it then counts in the
    denominator of the school's score and of the criterion's rate)."""
    return status in APPLICABLE_STATUSES


def progress(previous_status: str | None, current_status: str) -> Progress:
    """How a school's status for one criterion changed since the previous semester.

    - No earlier status (a new school, or a criterion not checked then): "new".
    - Missing data before or now (a blank or invalid value, so no score): "not_comparable" —
      a typing error is neither a decline nor progress.
    - Applicability changed either way (e.g. the school's level changed, or the rulebook
      now covers its level): "new" — there is nothing comparable before.
    - Both not applicable: "unchanged".
    - Otherwise met above not met: not_met -> met "improved", met -> not_met "regressed".
    """
    if previous_status is None:
        return "new"
    if "missing" in (previous_status, current_status):
        return "not_comparable"
    if applies(previous_status) != applies(current_status):
        return "new"
    before, now = previous_status == "met", current_status == "met"
    if now and not before:
        return "improved"
    if before and not now:
        return "regressed"
    return "unchanged"


def met_and_applicable(statuses: Iterable[str]) -> tuple[int, int]:
    """(how many statuses are met, how many apply): the two counts of a school's score."""
    counted = [status for status in statuses if applies(status)]
    return sum(status == "met" for status in counted), len(counted)


def share(met: int, applicable: int) -> float | None:
    """met / applicable: a school's score, or a criterion's rate over the schools it applies
    to; None when nothing applies. The one place this rule is computed."""
    return met / applicable if applicable else None


@dataclass(frozen=True, slots=True)
class SchoolResult:
    """A school with one verdict per criterion of the rulebook, in rulebook order."""

    school: School
    verdicts: tuple[Verdict, ...]
    groups: tuple[GroupResult, ...] = ()  # one per scoring group of the rulebook(s)

    @property
    def plan_verdicts(self) -> tuple[Verdict, ...]:
        """The verdicts scored as met / applicable (criteria outside any points group)."""
        return tuple(v for v in self.verdicts if v.points is None)

    def plan_view(self) -> SchoolResult:
        """The result with only the verdicts scored as met / applicable (see Rulebook)."""
        return replace(self, verdicts=self.plan_verdicts)

    @property
    def met(self) -> int:
        """How many applicable criteria the school meets (outside points groups)."""
        return met_and_applicable(v.status for v in self.plan_verdicts)[0]

    @property
    def applicable(self) -> int:
        """How many criteria apply to the school's level (missing ones included)."""
        return met_and_applicable(v.status for v in self.plan_verdicts)[1]

    @property
    def score(self) -> float | None:
        """met / applicable, or None when nothing applies (e.g. unknown level)."""
        return share(*met_and_applicable(v.status for v in self.plan_verdicts))

    @property
    def meets_every_criterion(self) -> bool:
        """Some criterion applies to the school and it meets every one that does."""
        met, applicable = met_and_applicable(v.status for v in self.plan_verdicts)
        return applicable > 0 and met == applicable


class Results(Protocol):
    """A run's results, read through as often as needed, in their order, and counted: a list,
    or the run's results on disk (spill.ResultFile)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[SchoolResult]: ...
