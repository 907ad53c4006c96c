"""The blank intake workbook the office sends to schools (`checker template OUT.xlsx`).

Sheet 1 is the table itself: the Vietnamese headers of the columns (the loader reads them
whatever the user's language; a note in the user's language says what to type), drop-downs for
yes/no and the level, number limits, and text format on the id column so leading zeros survive;
the header row is protected. Sheet 2 explains what to type in each column and which levels fill
it, and prints on one page. A filled-in form loads cleanly with `load.load_table`.

The pieces (header cells, validations, the instructions sheet, saving) are shared with the
per-school forms of `checker forms` (checker.forms); the columns are a parameter everywhere.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from checker import ids
from checker.i18n import N_, Translator
from checker.model import Column, Kind
from checker.outfiles import pinned_zip, write_atomic

TEMPLATE_ROWS = 60  # prepared rows: a district has about 45 schools
HEADER_ROW = 1
FIRST_ROW = HEADER_ROW + 1
LAST_ROW = HEADER_ROW + TEMPLATE_ROWS
MAX_ID_LENGTH = ids.MAX_LENGTH  # the school-id rule lives in checker/ids.py

# The values offered in the drop-downs: Vietnamese always, as the validate stage reads them.
YES_NO_CHOICES = ("Có", "Không")
# A combined school (trường liên cấp) picks its levels joined by "&" (no commas: Excel's list).
LEVEL_CHOICES = ("Mầm non", "Tiểu học", "THCS", "THPT", "TH&THCS", "THCS&THPT", "TH&THCS&THPT")

SHEET_TABLE = N_("Schools")
SHEET_HELP = N_("Instructions")

HELP_TITLE = N_("How to fill in the school data form")
HELP_LINES = (
    N_("Type one school per row on the first sheet, starting on row 2."),
    N_("The header row is protected: do not move columns or add columns in between."),
    N_(
        'Fill every column your school\'s level uses. A blank cell counts as "missing", '
        'not as "no"; leave blank only a figure you do not know, or a column for other '
        "levels (the table below says which levels fill it)."
    ),
    N_("Pick yes/no and the level from the drop-down list in the cell."),
    N_("Shares can be typed as 92.5 or as 92.5%."),
    N_("Save the file as an Excel Workbook (.xlsx) and send it back to the office."),
)
MSG_ONLY_LEVELS = N_("Only {levels} schools fill this column; other schools leave it blank.")
MSG_NOT_FOR_LEVEL = N_(
    "Not for your school ({level}): only {levels} schools fill this column. Leave it blank."
)
# What to type in the school's own columns; a rulebook field says it in its `hint`.
COLUMN_HELP: Mapping[str, str] = MappingProxyType(
    {
        "school_id": N_(
            "The school's code given by the office, e.g. 08304007. Keep the leading zeros; "
            "letters, digits, '-' and '_' only, at most 32 characters."
        ),
        "school_name": N_("The school's full name, e.g. Trường THCS Hưng Nhượng."),
        "level": N_(
            "Pick from the list: Mầm non, Tiểu học, THCS, THPT, or the levels of a combined "
            "school (TH&THCS, THCS&THPT, TH&THCS&THPT)."
        ),
        "commune": N_("The commune or town where the school is."),
        "principal": N_("The principal's full name."),
    }
)

ERROR_TITLE = N_("Value not accepted")
ERROR_BY_KIND: Mapping[Kind, str] = MappingProxyType(
    {
        "id": N_("At most 32 characters: letters, digits, '-' and '_'."),
        "level": N_("Pick the level from the list (a combined school: TH&THCS, …)."),
        "yes_no": N_("Pick Có or Không from the list."),
        "share": N_("Type a number from 0 to 100."),
        "count": N_("Type a whole number, 0 or more."),
        "number": N_("Type a number within the range the column allows."),
        "date": N_("Type a date as day/month/year, for example 15/09/2026."),
    }
)

WIDTH_BY_KIND: Mapping[Kind, int] = MappingProxyType(
    {
        "id": 12,
        "text": 24,
        "level": 12,
        "count": 12,
        "share": 16,
        "number": 14,
        "yes_no": 14,
        "url": 32,
        "date": 14,
    }
)
WIDTH_BY_KEY: Mapping[str, int] = MappingProxyType({"school_name": 36})

GREY = "D9D9D9"
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
GREY_FILL = PatternFill("solid", start_color=GREY, end_color=GREY)
# Last semester's figure, pre-filled for the school to confirm (checker forms
# --prefill-from-history): pale yellow, still editable.
CONFIRM_FILL = PatternFill("solid", start_color="FFF2CC", end_color="FFF2CC")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)

# The instructions print on one A4 page: widths in characters of the sheet's columns, and how
# many characters of wrapped text a line holds in each (a little under the width).
HELP_WIDTHS = (26, 74)
HELP_WIDTHS_EN = (26, 22, 60)
LINE_HEIGHT = 15  # points per line of 11-point text
_CHARS_PER_WIDTH = 1.1


def write_intake_template(
    path: Path,
    translator: Translator,
    day: dt.date | None = None,
    *,
    columns: Sequence[Column],
) -> None:
    """Write the blank intake form (one row per school, `columns` in order: a rulebook's) to
    `path` (XLSX), atomically: temp file, then rename.

    Its times are pinned to the start of `day` (default: today), so writing it twice the same
    day gives the same bytes. Headers stay Vietnamese in every language (they are what the
    loader expects); the notes, instructions, drop-down messages and sheet names are in the
    translator's language. The header row is protected; the rows below are free to fill.
    """
    workbook = Workbook()
    table = workbook.active
    assert table is not None  # a new Workbook always has one sheet
    table.title = sheet_title(translator.gettext(SHEET_TABLE))
    _write_table_sheet(table, translator, columns)
    help_sheet = workbook.create_sheet(sheet_title(translator.gettext(SHEET_HELP)))
    lines = [translator.gettext(line) for line in HELP_LINES]
    write_help_sheet(help_sheet, translator, columns, lines, None)
    save_workbook(workbook, path, day)


def save_workbook(workbook: Workbook, path: Path, day: dt.date | None) -> None:
    """Save `workbook` to `path` atomically, its times pinned to the start of `day` (default:
    today): the same workbook on the same day gives the same bytes."""
    workbook.active = 0
    moment = dt.datetime.combine(day or dt.date.today(), dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_atomic(path, pinned_zip(buffer.getvalue(), moment))


def sheet_title(text: str) -> str:
    """A sheet name Excel accepts: no []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Sheet"


def column_width(column: Column) -> int:
    """The width of a column of the table, in characters."""
    return WIDTH_BY_KEY.get(column.key, WIDTH_BY_KIND[column.kind])


def column_help(column: Column, translator: Translator) -> str:
    """What to type in a column, in the translator's language: a rulebook field's own `hint`,
    the checker's text for the school's own columns, else what its kind takes."""
    if column.hint:
        return column.hint.get(translator.lang) or column.hint["vi"]
    message = COLUMN_HELP.get(column.key) or ERROR_BY_KIND.get(column.kind) or ""
    return translator.gettext(message) if message else column.header_vi


def levels_text(levels: Iterable[str], translator: Translator) -> str:
    """School levels in words, as the documents name them: 'Tiểu học, Trung học cơ sở'."""
    from checker.context import LEVEL_WORDS  # heavy (the history): only when a form is made

    return ", ".join(translator.gettext(LEVEL_WORDS.get(level, level)) for level in levels)


def protect(sheet: Worksheet) -> None:
    """Lock the sheet's locked cells against typing (without a password: it prevents
    accidents, not a determined user); widths and heights can still be changed."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # False means allowed
    sheet.protection.formatRows = False
    sheet.protection.formatCells = False


def _write_table_sheet(sheet: Worksheet, translator: Translator, columns: Sequence[Column]) -> None:
    """The header row, the prepared rows and their checks, frozen panes and print setup."""
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        write_header_cell(sheet, HEADER_ROW, position, column, translator)
        sheet.column_dimensions[letter].width = column_width(column)
        for row in range(FIRST_ROW, LAST_ROW + 1):
            prepare_cell(sheet.cell(row=row, column=position), column)
        validation = validation_for(column, translator)
        if validation is not None:
            validation.add(f"{letter}{FIRST_ROW}:{letter}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[HEADER_ROW].height = 45
    sheet.freeze_panes = f"C{FIRST_ROW}"  # the header, the id and the name stay in view
    landscape_fit_to_width(sheet)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    protect(sheet)


def landscape_fit_to_width(sheet: Worksheet, pages_high: int = 0) -> None:
    """Print landscape, every column on one page wide (`pages_high` 0: as many pages down as
    the rows need)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_high
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def write_header_cell(
    sheet: Worksheet, row: int, position: int, column: Column, translator: Translator
) -> None:
    """A Vietnamese header, bold and boxed, with a note in the translator's language saying
    what to type (and, in English, the column's English name)."""
    cell = sheet.cell(row=row, column=position, value=column.header_vi)
    cell.font = Font(bold=True)
    cell.fill = _HEADER_FILL
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    note = column_help(column, translator)
    if translator.lang != "vi":
        note = f"{column.header_en}: {note}"
    cell.comment = Comment(note, "checker", height=120, width=260)


def prepare_cell(cell: Cell | MergedCell, column: Column) -> None:
    """A cell to fill: boxed and unlocked; the id column is text ('@') so '08304007' keeps its
    leading zero."""
    cell.border = _BORDER
    cell.protection = _UNLOCKED
    if column.kind == "id":
        cell.number_format = "@"


def validation_for(column: Column, translator: Translator) -> DataValidation | None:
    """The data validation for a column's kind, or None for free text."""
    kind = column.kind
    if kind == "yes_no":
        validation = DataValidation(type="list", formula1=_list_formula(YES_NO_CHOICES))
    elif kind == "level":
        validation = DataValidation(type="list", formula1=_list_formula(LEVEL_CHOICES))
    elif kind in ("share", "number", "count") and column.minimum is not None:
        # The field's own range, as the intake checks will judge it.
        validation = DataValidation(
            type="whole" if kind == "count" else "decimal",
            operator="between",
            formula1=str(column.minimum),
            formula2=str(column.maximum),
        )
    elif kind == "id":
        validation = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(MAX_ID_LENGTH)
        )
    else:
        return None
    validation.allow_blank = True
    validation.showErrorMessage = True
    validation.errorTitle = translator.gettext(ERROR_TITLE)[:32]  # Excel's limits
    validation.error = translator.gettext(ERROR_BY_KIND[kind])[:255]
    validation.showInputMessage = True
    validation.promptTitle = column.header_vi[:32]
    validation.prompt = column_help(column, translator)[:255]
    return validation


def _list_formula(choices: tuple[str, ...]) -> str:
    """A drop-down list written inline, as Excel expects: '"Có,Không"'."""
    return '"' + ",".join(choices) + '"'


def who_fills(column: Column, translator: Translator) -> str:
    """For a column only some levels fill: 'Only Tiểu học, THCS schools fill this column; leave
    it blank otherwise.' ('' for a column every school fills)."""
    if not column.levels:
        return ""
    return translator.gettext(MSG_ONLY_LEVELS).format(levels=levels_text(column.levels, translator))


def write_help_sheet(
    sheet: Worksheet,
    translator: Translator,
    columns: Sequence[Column],
    lines: Sequence[str],
    school_levels: tuple[str, ...] | None,
) -> None:
    """The instructions, on one printed page: general rules (`lines`, translated), then one line
    per column saying what to type. With `school_levels` (one school's form), a column its
    levels do not fill says so; without (the district's form), a column only some levels fill
    says which.
    """
    english = translator.lang != "vi"
    widths = HELP_WIDTHS_EN if english else HELP_WIDTHS
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    last = get_column_letter(len(widths))
    title = sheet.cell(row=1, column=1, value=translator.gettext(HELP_TITLE))
    title.font = Font(bold=True, size=14)
    row = 3
    for line in lines:
        _merged_line(sheet, row, f"• {line}", last, sum(widths))
        row += 1
    row += 1
    headings = (
        (N_("Column"), N_("English name"), N_("What to type"))
        if english
        else (N_("Column"), N_("What to type"))
    )
    for position, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=row, column=position, value=translator.gettext(heading))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    for column in columns:
        row += 1
        what = _what_to_type(column, translator, school_levels)
        texts = (column.header_vi, column.header_en, what) if english else (column.header_vi, what)
        for position, text in enumerate(texts, start=1):
            cell = sheet.cell(row=row, column=position, value=text)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if school_levels is not None and not column.applies_to(school_levels):
                cell.fill = GREY_FILL
        sheet.row_dimensions[row].height = _height(texts, widths)
    sheet.print_area = f"A1:{last}{row}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    protect(sheet)


def _what_to_type(
    column: Column, translator: Translator, school_levels: tuple[str, ...] | None
) -> str:
    """A column's instruction: what to type, and who fills it."""
    if school_levels is not None and not column.applies_to(school_levels):
        return not_applicable_note(column, school_levels, translator)
    if school_levels is not None:
        return column_help(column, translator)
    return " ".join(filter(None, (column_help(column, translator), who_fills(column, translator))))


def not_applicable_note(column: Column, levels: tuple[str, ...], translator: Translator) -> str:
    """Why a school leaves a column blank: 'Not for a Mầm non school: only Tiểu học, THCS
    schools fill this column. Leave it blank.'"""
    return translator.gettext(MSG_NOT_FOR_LEVEL).format(
        level=levels_text(levels, translator), levels=levels_text(column.levels, translator)
    )


def _merged_line(sheet: Worksheet, row: int, text: str, last: str, width: int) -> None:
    """One wrapped line of text across the sheet's columns, tall enough for its lines (Excel
    does not grow a merged row by itself: text would spill over the next line)."""
    cell = sheet.cell(row=row, column=1, value=text)
    cell.alignment = Alignment(vertical="top", wrap_text=True)
    sheet.merge_cells(f"A{row}:{last}{row}")
    sheet.row_dimensions[row].height = LINE_HEIGHT * _lines(text, width)


def _lines(text: str, width: int) -> int:
    """How many printed lines `text` takes wrapped in a cell `width` characters wide."""
    per_line = max(1, int(width * _CHARS_PER_WIDTH) - 2)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


def _height(texts: Sequence[str], widths: Sequence[int]) -> float:
    """A row's height for its tallest wrapped cell."""
    return LINE_HEIGHT * max(_lines(t, w) for t, w in zip(texts, widths, strict=True))
