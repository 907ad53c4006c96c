"""One intake form per school of the roster (`checker forms`).

Each workbook is the district table cut down to one school: a title naming the reporting period
(read back by checker.title, so a form returned for another semester is caught), the header row
and the school's row, pre-filled and locked where the office knows the answer (id, name, level,
commune), the columns the school's level does not fill greyed and locked with a note saying why,
the drop-downs and limits of `checker template` (checker.intake_form) on the cells to fill, and
under the table a date line and the principal's signature block, which the loader skips. Sheet 2
is the instructions for this school, on one printed page. A filled form loads with
`checker run` as it is, and `checker collect` merges the returned ones.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from checker import model
from checker.i18n import N_, Translator
from checker.intake_form import (
    CONFIRM_FILL,
    GREY_FILL,
    column_width,
    landscape_fit_to_width,
    not_applicable_note,
    prepare_cell,
    protect,
    save_workbook,
    sheet_title,
    validation_for,
    write_header_cell,
    write_help_sheet,
)
from checker.roster import Roster, RosterSchool
from checker.semester import Semester
from checker.title import semester_in_title

TITLE_ROW = 1
PERIOD_ROW = 2
SCHOOL_ROW = 3
HEADER_ROW = 5
DATA_ROW = HEADER_ROW + 1
DATE_ROW = DATA_ROW + 2
SIGNER_ROW = DATE_ROW + 1
SIGN_NOTE_ROW = SIGNER_ROW + 1
NAME_ROW = SIGN_NOTE_ROW + 4  # room to sign and stamp
SIGNATURE_SPAN = 5  # the signature block sits over the table's last columns, as on paper
FILE_NAME_CHARS = 60  # of the school's name in the file's name

# Filled in by the office: the school's row keeps these locked (when the roster gives them).
OFFICE_KEYS = ("school_id", "school_name", "level", "commune")

SHEET_FORM = N_("Report")
MSG_CONFIRM = N_("The figure recorded for {semester}: check it, and correct it if it has changed.")
TITLE = N_("REPORT ON DIGITAL TRANSFORMATION DATA")
SCHOOL_LINE = N_("School: {name} (school ID {school_id})")
# The official lines under the table stay Vietnamese (the loader knows them in Vietnamese);
# in English a gloss follows each.
DATE_LINE = "…………, ngày …… tháng …… năm ……"
SIGNER_LINE = "HIỆU TRƯỞNG"
SIGN_NOTE = "(Ký, ghi rõ họ tên, đóng dấu)"
GLOSS = {
    DATE_LINE: N_("place and date"),
    SIGNER_LINE: N_("principal"),
    SIGN_NOTE: N_("signature, full name and stamp"),
}
FORM_LINES = (
    N_(
        "Fill in the white cells of row {row} on the first sheet. Grey cells are filled in by "
        "the office or are not for your school's level: they are locked."
    ),
    N_(
        'Fill every white cell. A blank cell counts as "missing", not as "no": leave blank '
        "only a figure you do not know."
    ),
    N_("Pick yes/no from the drop-down list in the cell. Shares can be typed as 92.5 or 92.5%."),
    N_(
        "Under the table, write the place and the date; the principal signs, writes their full "
        "name and stamps the printed form."
    ),
    N_(
        "Send this file back to the office as it is (.xlsx), with the scan of the signed page "
        "if the office asks for it; do not rename the sheets or move the cells."
    ),
)

_DATE_WORDS = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")
_DATE_DIGITS = re.compile(r"(?<!\d)(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?!\d)")


def form_file_name(school: RosterSchool) -> str:
    """The form's file name: the school's id and name, in plain letters that every system and
    mail program keeps ('08304001_Truong_Mam_non_Hoa_Sen.xlsx')."""
    return f"{school.school_id}_{_plain(school.name)}.xlsx"


def _plain(text: str) -> str:
    """Letters and digits of `text` without diacritics, words joined by '_'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    words = re.findall(r"[A-Za-z0-9]+", bare)
    return "_".join(words)[:FILE_NAME_CHARS].strip("_") or "truong"


def write_forms(
    roster: Roster,
    semester: Semester,
    out_dir: Path,
    translator: Translator,
    columns: Sequence[model.Column],
    day: dt.date | None = None,
    previous: Previous | None = None,
) -> Iterator[Path]:
    """Write one form per school of the roster into `out_dir` (created), yielding each path
    as it is written (for a progress bar). With `previous`, each school's figures of the
    semester before are pre-filled for the school to confirm."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for school in roster.schools:
        path = out_dir / form_file_name(school)
        write_school_form(path, school, semester, translator, columns, day, previous)
        yield path


def title_lines(school: RosterSchool, semester: Semester, translator: Translator) -> list[str]:
    """The title block: the report's name, the period and the school. The school's line is
    left out if its name reads like a semester (the title must name the period only once)."""
    from checker.context import semester_text

    period = semester_text(str(semester), translator)
    lines = [translator.gettext(TITLE), period]
    school_line = translator.gettext(SCHOOL_LINE).format(
        name=school.name, school_id=school.school_id
    )
    named = semester_in_title([*lines, school_line])
    if named is not None and (named.year, named.term) == (semester.year, semester.term):
        lines.append(school_line)
    return lines


def write_school_form(
    path: Path,
    school: RosterSchool,
    semester: Semester,
    translator: Translator,
    columns: Sequence[model.Column],
    day: dt.date | None = None,
    previous: Previous | None = None,
) -> None:
    """Write one school's form to `path` (XLSX, atomically; times pinned to `day`), with the
    school's figures of the semester before pre-filled when `previous` holds them."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = sheet_title(translator.gettext(SHEET_FORM))
    last = get_column_letter(len(columns))
    for row, text in zip(
        (TITLE_ROW, PERIOD_ROW, SCHOOL_ROW), title_lines(school, semester, translator), strict=False
    ):
        _centred_line(sheet, row, text, last, bold=row != SCHOOL_ROW)
    for position, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = column_width(column)
        write_header_cell(sheet, HEADER_ROW, position, column, translator)
        _school_cell(sheet, position, column, school, translator, previous)
    sheet.row_dimensions[HEADER_ROW].height = 45
    _signature_block(sheet, len(columns), school, translator)
    landscape_fit_to_width(sheet, pages_high=1)
    sheet.print_area = f"A1:{last}{NAME_ROW}"
    protect(sheet)
    lines = [translator.gettext(line).format(row=DATA_ROW) for line in FORM_LINES]
    help_sheet = workbook.create_sheet(sheet_title(translator.gettext(N_("Instructions"))))
    write_help_sheet(help_sheet, translator, columns, lines, school.levels)
    save_workbook(workbook, path, day)


def _centred_line(sheet: Worksheet, row: int, text: str, last: str, bold: bool) -> None:
    """A title line across the table, centred."""
    cell = sheet.cell(row=row, column=1, value=text)
    cell.font = Font(bold=bold, size=13 if row == TITLE_ROW else 12)
    cell.alignment = Alignment(horizontal="center")
    sheet.merge_cells(f"A{row}:{last}{row}")


def _office_value(column: model.Column, school: RosterSchool) -> str:
    """What the office pre-fills in a column ('' for the school to fill)."""
    values = {
        "school_id": school.school_id,
        "school_name": school.name,
        "level": school.level_text,
        "commune": school.commune,
        "principal": school.principal,
    }
    return values.get(column.key, "")


def _school_cell(
    sheet: Worksheet,
    position: int,
    column: model.Column,
    school: RosterSchool,
    translator: Translator,
    previous: Previous | None = None,
) -> None:
    """The school's cell in one column: the office's value locked, a column not for the
    school's level greyed and locked with a note, else a cell to fill with its checks (and
    last semester's figure to confirm, when given)."""
    cell = sheet.cell(row=DATA_ROW, column=position)
    prepare_cell(cell, column)  # boxed, unlocked, text format for the id
    value = _office_value(column, school)
    if value:
        cell.value = value
    if column.key in OFFICE_KEYS and value:
        cell.protection = Protection(locked=True)
        cell.fill = GREY_FILL
        return
    if not column.applies_to(school.levels):
        cell.protection = Protection(locked=True)
        cell.fill = GREY_FILL
        note = not_applicable_note(column, school.levels, translator)
        cell.comment = Comment(note, "checker", height=100, width=240)
        header = sheet.cell(row=HEADER_ROW, column=position)
        header.fill = GREY_FILL
        return
    validation = validation_for(column, translator)
    if validation is not None:
        validation.add(cell.coordinate)
        sheet.add_data_validation(validation)
    typed = previous.values.get(school.school_id, {}).get(column.key, "") if previous else ""
    if previous is not None and typed and column.key not in OFFICE_KEYS:
        cell.value = _as_typed(column, typed)
        cell.fill = CONFIRM_FILL
        note = translator.gettext(MSG_CONFIRM).format(semester=previous.semester_words)
        cell.comment = Comment(note, "checker", height=80, width=240)


def _signature_block(
    sheet: Worksheet, width: int, school: RosterSchool, translator: Translator
) -> None:
    """The date line and the principal's block under the table, over its last columns; the
    date, the signature space and the name are left to fill (unlocked)."""
    first = max(1, width - SIGNATURE_SPAN + 1)
    start, end = get_column_letter(first), get_column_letter(width)
    lines = (
        (DATE_ROW, DATE_LINE, False, True),
        (SIGNER_ROW, SIGNER_LINE, True, False),
        (SIGN_NOTE_ROW, SIGN_NOTE, False, False),
        (NAME_ROW, school.principal, True, True),
    )
    for row, text, bold, editable in lines:
        shown = text
        if text in GLOSS and translator.lang != "vi":
            shown = f"{text} ({translator.gettext(GLOSS[text])})"
        cell = sheet.cell(row=row, column=first, value=shown or None)
        cell.font = Font(bold=bold, italic=text == SIGN_NOTE)
        cell.alignment = Alignment(horizontal="center")
        if editable:
            cell.protection = Protection(locked=False)
        sheet.merge_cells(f"{start}{row}:{end}{row}")


@dataclass(frozen=True)
class Previous:
    """The figures recorded for each school in the semester before: school id -> column key ->
    value as the history keeps it ('yes', '92.5')."""

    semester_words: str  # 'Học kỳ II năm học 2025-2026'
    values: Mapping[str, Mapping[str, str]]


def previous_figures(
    engine: Any, unit_id: str, semester: Semester, rulebook: model.Rulebook, translator: Translator
) -> Previous | None:
    """The figures of the semester recorded before `semester` in the history, by school and
    column (from each criterion's values: one column alone, or 'column=value;…'); None when no
    semester before it is recorded."""
    from sqlalchemy import select

    from checker.context import semester_text
    from checker.history import previous_semester, results_table

    before = previous_semester(engine, unit_id, semester)
    if before is None:
        return None
    fields = {c.id: [condition.field for condition in c.conditions] for c in rulebook.criteria}
    table = results_table
    query = select(table.c.school_id, table.c.criterion, table.c.value).where(
        (table.c.unit_id == unit_id) & (table.c.semester == before.label)
    )
    values: dict[str, dict[str, str]] = {}
    with engine.connect() as connection:
        for school_id, criterion, value in connection.execute(query):
            named = fields.get(criterion, [])
            found = _criterion_values(value or "", named)
            values.setdefault(school_id, {}).update(found)
    return Previous(semester_text(before.label, translator), values)


def _criterion_values(value: str, fields: Sequence[str]) -> dict[str, str]:
    """A criterion's recorded value as column -> value ('' values left out)."""
    if len(set(fields)) == 1:
        return {fields[0]: value} if value else {}
    pairs = (part.partition("=") for part in value.split(";") if "=" in part)
    return {key: text for key, _, text in pairs if key in fields and text}


def _as_typed(column: model.Column, text: str) -> str | int | float:
    """A recorded value as the form's cell takes it: Có/Không, a number, or the text."""
    if column.kind == "yes_no":
        return {"yes": "Có", "no": "Không"}.get(text, text)
    if column.kind in ("count", "share"):
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def form_date(texts: Iterable[str]) -> dt.date | None:
    """The date written on a returned form's date line ('Giồng Trôm, ngày 5 tháng 12 năm
    2026', or '05/12/2026' on a line with 'ngày'), or None when none is readable."""
    for text in texts:
        folded = _fold(text)
        if "ngay" not in folded:
            continue
        match = _DATE_WORDS.search(folded) or _DATE_DIGITS.search(folded)
        if match:
            day, month, year = (int(part) for part in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                continue
    return None


def _fold(text: str) -> str:
    """Lower case without diacritics: 'Ngày' -> 'ngay'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").lower()
