"""Collecting the schools' returned forms into one table (`checker collect`, `checker run DIR`).

Every file in the folder is read with the intake loader (XLSX, ODS or CSV; a form as sent or a
school's own sheet with the right headers) and accounted for in the collect report:

- a school's row is **taken** when the file's title names the semester asked for (or names
  none: a school's own sheet, said in the report), the school is on the roster (when there is
  one), it appears once, and the form holds more than what the office pre-filled;
- a school **returned twice** (two files, or two rows) is taken from neither, both files named,
  until the office removes one; with `latest`, the form dated last (its date line) is taken;
- files **for the wrong semester**, rows for **schools not on the roster**, **blank** forms,
  **unreadable** files and files that are **not a table** (a scanned signed page, a letter) are
  listed with the reason; schools on the roster that sent nothing are
  listed as **not returned**, with their principal and phone.

The merged table keeps each row as typed (text), in the roster's order, with the file it came
from in a last column ("Tệp nguồn") that the run mentions once and does not score; its title
names the semester, so `checker run` checks it as it checks any table.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from checker import model
from checker.files import FileError
from checker.forms import OFFICE_KEYS, TITLE, form_date
from checker.i18n import N_, Translator
from checker.intake_form import SHEET_TABLE, landscape_fit_to_width, sheet_title
from checker.limits import DEFAULT_LIMITS, Limits
from checker.load import load_table, read_sheets
from checker.outfiles import pinned_zip
from checker.roster import Roster, RosterSchool
from checker.semester import Semester
from checker.title import check_title_semester

Outcome = Literal[
    "not_returned",
    "twice",
    "wrong_semester",
    "unknown_school",
    "blank",
    "unreadable",
    "not_a_table",
    "taken",
]
# The report's order (the Literal's): what the office must act on first.
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
OUTCOME_WORDS = {
    "not_returned": N_("Not returned"),
    "twice": N_("Returned twice"),
    "wrong_semester": N_("Wrong semester"),
    "unknown_school": N_("School not on the roster"),
    "blank": N_("Returned blank"),
    "unreadable": N_("Unreadable file"),
    "not_a_table": N_("Not a table"),
    "taken": N_("Returned"),
}
SOURCE_HEADER = "Tệp nguồn"  # the merged table's last column: not an intake column
REPORT_NAME = "collect-report.xlsx"
HEADER_ROW = 3  # of the merged table, under its title

MSG_TWICE = N_("{school_id} is in {count} places: {files}; remove all but one, or use --latest.")
MSG_TWICE_LATEST = N_("{school_id} is in {count} places: {files}; the form dated {day} is taken.")
MSG_TWICE_UNDATED = N_(
    "{school_id} is in {count} places: {files}; --latest cannot choose: {why}. Remove all but one."
)
MSG_UNDATED = N_("not every form has a readable date under the table")
MSG_SAME_DAY = N_("two forms carry the same latest date")
MSG_NOT_ON_ROSTER = N_("The school ID {school_id} (row {row}) is not on the roster {roster}.")
MSG_NO_ID = N_("Row {row} holds data but no school ID.")
MSG_BLANK = N_("Row {row}: nothing filled in beyond what the office pre-filled.")
MSG_NOT_A_TABLE = N_("A scan, letter or picture, not a table of figures: not read.")
# Files a school sends beside its form (the signed page scanned, a covering letter): listed as
# such, not as damaged spreadsheets.
OTHER_SUFFIXES = frozenset(
    {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".heic", ".doc", ".docx", ".odt"}
)
MSG_NO_TITLE = N_("The title names no semester: taken as {semester}.")
MSG_NOTHING = N_(
    "Nothing usable in {folder}: {files} files read, no school's return could be taken "
    "(see the lines above)."
)


@dataclass(frozen=True)
class Found:
    """One school's row as returned, with where it came from."""

    file: str  # relative to the folder collected
    row: model.RawRow
    day: dt.date | None  # the date written under the form
    school: RosterSchool | None
    note: str = ""  # what the office should know about the file (e.g. no semester in its title)


@dataclass(frozen=True)
class Entry:
    """One line of the collect report."""

    outcome: Outcome
    file: str  # '' for a school not returned
    school_id: str
    school_name: str
    note: str  # the reason, or what the office should know, in the user's language
    school: RosterSchool | None = None
    day: dt.date | None = None


@dataclass(frozen=True)
class Collection:
    """What a folder of returns gave: the rows taken and an entry for everything found."""

    folder: Path
    files: int
    rows: tuple[Found, ...]
    entries: tuple[Entry, ...]

    def count(self, outcome: Outcome) -> int:
        """How many entries have this outcome."""
        return sum(entry.outcome == outcome for entry in self.entries)


Progress = Callable[[int, int], None]


def returned_files(folder: Path, skip: Iterable[Path] = ()) -> list[Path]:
    """Every file under `folder` (sub-folders too), but hidden ones ('.name', e.g. editors'
    lock files) and `skip` (the command's own outputs), in name order."""
    skipped = {path.resolve() for path in skip}
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and path.resolve() not in skipped
    )


def collect(
    folder: Path,
    semester: Semester,
    roster: Roster | None,
    t: Translator,
    latest: bool = False,
    skip: Iterable[Path] = (),
    limits: Limits = DEFAULT_LIMITS,
    on_progress: Progress | None = None,
    *,
    columns: Sequence[model.Column],
) -> Collection:
    """Read every returned file under `folder` and sort each school's row into taken or not,
    with the reason (see the module's doc). Never raises for a bad file: it is an entry.
    `columns` are the table's (the rulebooks' of the run)."""
    files = returned_files(folder, skip)
    found: list[Found] = []
    entries: list[Entry] = []
    for done, path in enumerate(files, start=1):
        name = path.relative_to(folder).as_posix()
        rows, problems = _read_return(path, name, semester, roster, t, limits, columns)
        found.extend(rows)
        entries.extend(problems)
        if on_progress:
            on_progress(done, len(files))
    taken, chosen = _choose(found, latest, t)
    entries.extend(chosen)
    if roster is not None:
        returned = {f.row.cells["school_id"].strip().casefold() for f in found}
        entries.extend(
            Entry("not_returned", "", s.school_id, s.name, "", s)
            for s in roster.schools
            if s.school_id.casefold() not in returned
        )
    entries.sort(key=lambda e: (OUTCOMES.index(e.outcome), _order(e, roster), e.file))
    return Collection(folder, len(files), tuple(_in_roster_order(taken, roster)), tuple(entries))


def _order(entry: Entry, roster: Roster | None) -> int:
    """An entry's place in the roster (schools not on it last)."""
    if roster is None or entry.school is None:
        return len(roster.schools) if roster else 0
    return roster.schools.index(entry.school)


def _in_roster_order(rows: list[Found], roster: Roster | None) -> list[Found]:
    """The rows taken, in the roster's order (else in the order of the files)."""
    if roster is None:
        return rows
    return sorted(rows, key=lambda f: roster.schools.index(f.school) if f.school else 0)


def _read_return(
    path: Path,
    name: str,
    semester: Semester,
    roster: Roster | None,
    t: Translator,
    limits: Limits,
    columns: Sequence[model.Column],
) -> tuple[list[Found], list[Entry]]:
    """One file's school rows to consider, and its entries for the report (unreadable, wrong
    semester, schools not on the roster, blank forms)."""
    if path.suffix.lower() in OTHER_SUFFIXES:
        return [], [Entry("not_a_table", name, "", "", t.gettext(MSG_NOT_A_TABLE))]
    try:
        table = load_table(path, columns, limits)
    except FileError as error:
        return [], [Entry("unreadable", name, "", "", error.translate(t.gettext))]
    try:
        check_title_semester(table.title_semester, semester, name)
    except FileError as error:
        return [], [Entry("wrong_semester", name, "", "", error.translate(t.gettext))]
    day = _date_under(path, table, limits)
    found: list[Found] = []
    entries: list[Entry] = []
    untitled = ""
    if table.title_semester is None:
        untitled = t.gettext(MSG_NO_TITLE).format(semester=str(semester))
    for row in table.rows:
        school_id = row.cells["school_id"].strip()
        row_name = row.cells["school_name"].strip()
        school = roster.find(school_id) if roster is not None and school_id else None
        if not school_id:
            note = t.gettext(MSG_NO_ID).format(row=row.row_number)
            entries.append(Entry("unknown_school", name, "", row_name, note))
        elif roster is not None and school is None:
            note = t.gettext(MSG_NOT_ON_ROSTER).format(
                school_id=school_id, row=row.row_number, roster=roster.source
            )
            entries.append(Entry("unknown_school", name, school_id, row_name, note))
        elif _blank(row):
            note = t.gettext(MSG_BLANK).format(row=row.row_number)
            entries.append(Entry("blank", name, school_id, row_name, note, school, day))
        else:
            found.append(Found(name, row, day, school, untitled))
    return found, entries


def _blank(row: model.RawRow) -> bool:
    """True for a form returned as sent: nothing beyond the office's pre-filled cells."""
    return not any(
        text.strip()
        for key, text in row.cells.items()
        if key not in OFFICE_KEYS and key != "principal"
    )


def _date_under(path: Path, table: model.RawTable, limits: Limits) -> dt.date | None:
    """The date written under the table (the rows the loader left out), if any."""
    ignored = set(table.ignored_rows)
    if not ignored:
        return None
    sheets = read_sheets(path, limits)
    sheet = next((s for s in sheets if table.sheet is None or s.name == table.sheet), None)
    if sheet is None:
        return None
    return form_date(text for number, cells in sheet.rows if number in ignored for text in cells)


def _choose(found: list[Found], latest: bool, t: Translator) -> tuple[list[Found], list[Entry]]:
    """The rows taken (one per school), and the report's entries for the schools returned."""
    groups: dict[str, list[Found]] = {}
    for item in found:
        groups.setdefault(item.row.cells["school_id"].strip().casefold(), []).append(item)
    taken: list[Found] = []
    entries: list[Entry] = []
    for group in groups.values():
        first = group[0]
        school_id = first.school.school_id if first.school else first.row.cells["school_id"]
        name = first.school.name if first.school else first.row.cells["school_name"]
        if len(group) == 1:
            taken.append(first)
            entries.append(
                Entry("taken", first.file, school_id, name, first.note, first.school, first.day)
            )
            continue
        places = ", ".join(
            f"{f.file} ({t.gettext('Row %(row)s') % {'row': f.row.row_number}})" for f in group
        )
        params = {"school_id": school_id, "count": str(len(group)), "files": places}
        chosen, why = _latest(group) if latest else (None, "")
        if chosen is not None and chosen.day is not None:
            taken.append(chosen)
            note = t.gettext(MSG_TWICE_LATEST).format(day=t.date(chosen.day), **params)
        elif latest:
            note = t.gettext(MSG_TWICE_UNDATED).format(why=t.gettext(why), **params)
        else:
            note = t.gettext(MSG_TWICE).format(**params)
        entries.extend(
            Entry("twice", f.file, school_id, name, note, f.school, f.day) for f in group
        )
    return taken, entries


def _latest(group: Sequence[Found]) -> tuple[Found | None, str]:
    """The form dated last, or None and why none can be chosen."""
    if any(f.day is None for f in group):
        return None, MSG_UNDATED
    ordered = sorted(group, key=lambda f: f.day or dt.date.min)
    if ordered[-1].day == ordered[-2].day:
        return None, MSG_SAME_DAY
    return ordered[-1], ""


# --- Writing ----------------------------------------------------------------------------------


def table_xlsx(
    collection: Collection,
    semester: Semester,
    t: Translator,
    columns: Sequence[model.Column],
    day: dt.date | None = None,
) -> bytes:
    """The merged table (XLSX bytes): a title naming the semester, the Vietnamese headers and a
    row per school taken, every value as typed, and the file it came from."""
    from checker.context import semester_text

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(t.gettext(SHEET_TABLE))
    sheet.cell(row=1, column=1, value=f"{t.gettext(TITLE)} — {semester_text(str(semester), t)}")
    sheet.cell(row=1, column=1).font = Font(bold=True)
    headers = [column.header_vi for column in columns] + [SOURCE_HEADER]
    for position, header in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=position, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(position)].width = 18
    for offset, item in enumerate(collection.rows, start=1):
        cells = dict(item.row.cells)
        if item.school is not None:  # the roster's spelling of the id ('ts-01' -> 'TS-01')
            cells["school_id"] = item.school.school_id
        values = [cells.get(column.key, "") for column in columns] + [item.file]
        for position, value in enumerate(values, start=1):
            cell = sheet.cell(row=HEADER_ROW + offset, column=position, value=value or None)
            cell.number_format = "@"  # as typed: ids keep their leading zeros
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    landscape_fit_to_width(sheet)
    return _saved(workbook, day)


REPORT_HEADERS = (
    N_("Status"),
    N_("School ID"),
    N_("School name"),
    N_("Principal"),
    N_("Phone"),
    N_("E-mail"),
    N_("File"),
    N_("Date on the form"),
    N_("Reason / note"),
)
REPORT_WIDTHS = (18, 12, 32, 22, 16, 26, 34, 14, 70)


def report_xlsx(
    collection: Collection, semester: Semester, t: Translator, day: dt.date | None = None
) -> bytes:
    """The collect report (XLSX bytes): the counts per outcome, then one line per school or
    file with its outcome and reason, what the office must act on first."""
    from checker.context import semester_text

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = t.gettext(N_("Returns"))[:31]
    title = t.gettext(N_("Returns collected from {folder}, {semester}")).format(
        folder=collection.folder.name, semester=semester_text(str(semester), t)
    )
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    counts = "; ".join(f"{t.gettext(OUTCOME_WORDS[o])}: {collection.count(o)}" for o in OUTCOMES)
    sheet.cell(row=2, column=1, value=counts)
    header_row = 4
    for position, (heading, width) in enumerate(zip(REPORT_HEADERS, REPORT_WIDTHS, strict=True), 1):
        cell = sheet.cell(row=header_row, column=position, value=t.gettext(heading))
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(position)].width = width
    for offset, entry in enumerate(collection.entries, start=1):
        school = entry.school
        values = (
            t.gettext(OUTCOME_WORDS[entry.outcome]),
            entry.school_id,
            entry.school_name,
            school.principal if school else "",
            school.phone if school else "",
            school.email if school else "",
            entry.file,
            t.date(entry.day) if entry.day else "",
            entry.note,
        )
        for position, value in enumerate(values, start=1):
            cell = sheet.cell(row=header_row + offset, column=position, value=value or None)
            cell.number_format = "@"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    last = get_column_letter(len(REPORT_HEADERS))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(collection.entries)}"
    sheet.freeze_panes = f"A{header_row + 1}"
    landscape_fit_to_width(sheet)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    return _saved(workbook, day)


def _saved(workbook: Workbook, day: dt.date | None) -> bytes:
    """The workbook's bytes, its times pinned to `day` (same content, same bytes)."""
    moment = dt.datetime.combine(day or dt.date.today(), dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return pinned_zip(buffer.getvalue(), moment)
