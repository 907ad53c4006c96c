"""The blank intake workbook the office sends to schools (`checker template OUT.xlsx`).

Sheet 1 is the table itself: the Vietnamese headers of model.COLUMNS (the loader reads them
whatever the user's language; the English name is a cell comment), drop-downs for yes/no and
the level, number limits, and text format on the id column so leading zeros survive. Sheet 2
explains what to type in each column. A filled-in form loads cleanly with `load.load_table`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from checker import ids
from checker.i18n import N_, Translator
from checker.model import COLUMNS, Column, Kind
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
    N_("Do not change, move or delete the header row; do not add columns in between."),
    N_(
        'Leave a cell blank only when the figure is not known: a blank cell counts as "missing", '
        'not as "no".'
    ),
    N_("Pick yes/no and the level from the drop-down list in the cell."),
    N_("Shares can be typed as 92.5 or as 92.5%."),
    N_("Save the file as an Excel Workbook (.xlsx) and send it back to the office."),
)
HELP_TABLE_HEADERS = (N_("Column"), N_("English name"), N_("What to type"))

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
        "students": N_("The number of students: a whole number, 0 or more."),
        "website_url": N_(
            "The school's website address, e.g. https://thcshungnhuong.edu.vn; "
            'type "Chưa có" if the school has none.'
        ),
        "ioffice_share": N_(
            "The share of documents sent and received through VNPT-iOffice, from 0 to 100."
        ),
        "cashless_fees": N_(
            "Có if parents can pay fees without cash (bank transfer, QR code), otherwise Không."
        ),
        "computer_rooms": N_(
            "The number of computer rooms for teaching: a whole number, 0 or more."
        ),
        "computers": N_("The number of computers students use: a whole number, 0 or more."),
        "e_gradebook": N_("Có if the school keeps an electronic gradebook, otherwise Không."),
        "e_contact_book": N_("Có if the school uses an electronic contact book, otherwise Không."),
        "online_enrolment": N_(
            "Có if enrolment into grade 1 or grade 6 is done online, otherwise Không."
        ),
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
    }
)

WIDTH_BY_KIND: Mapping[Kind, int] = MappingProxyType(
    {"id": 12, "text": 24, "level": 12, "count": 12, "share": 16, "yes_no": 14, "url": 32}
)
WIDTH_BY_KEY: Mapping[str, int] = MappingProxyType({"school_name": 36})

_HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def write_intake_template(path: Path, translator: Translator, day: dt.date | None = None) -> None:
    """Write the blank intake form to `path` (XLSX), atomically: temp file, then rename.

    Its times are pinned to the start of `day` (default: today), so writing it twice the same
    day gives the same bytes. Headers stay Vietnamese in every language (they are what the
    loader expects); the instructions, drop-down messages and sheet names are in the
    translator's language.
    """
    workbook = Workbook()
    table = workbook.active
    assert table is not None  # a new Workbook always has one sheet
    table.title = _sheet_title(translator.gettext(SHEET_TABLE))
    _write_table_sheet(table, translator)
    help_sheet = workbook.create_sheet(_sheet_title(translator.gettext(SHEET_HELP)))
    _write_help_sheet(help_sheet, translator)
    workbook.active = 0
    moment = dt.datetime.combine(day or dt.date.today(), dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_atomic(path, pinned_zip(buffer.getvalue(), moment))


def _sheet_title(text: str) -> str:
    """A sheet name Excel accepts: no []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Sheet"


def _write_table_sheet(sheet: Worksheet, translator: Translator) -> None:
    """The header row, the prepared rows and their checks, frozen panes and print setup."""
    for position, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        _write_header_cell(sheet, position, column)
        sheet.column_dimensions[letter].width = WIDTH_BY_KEY.get(
            column.key, WIDTH_BY_KIND[column.kind]
        )
        _prepare_cells(sheet, position, column)
        validation = _validation_for(column, translator)
        if validation is not None:
            validation.add(f"{letter}{FIRST_ROW}:{letter}{LAST_ROW}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[HEADER_ROW].height = 45
    sheet.freeze_panes = f"C{FIRST_ROW}"  # the header, the id and the name stay in view
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _write_header_cell(sheet: Worksheet, position: int, column: Column) -> None:
    """A Vietnamese header, bold and boxed, with the English name and key as its comment."""
    cell = sheet.cell(row=HEADER_ROW, column=position, value=column.header_vi)
    cell.font = Font(bold=True)
    cell.fill = _HEADER_FILL
    cell.border = _BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    cell.comment = Comment(f"{column.header_en} ({column.key})", "checker")


def _prepare_cells(sheet: Worksheet, position: int, column: Column) -> None:
    """Box the prepared cells; the id column is text ('@') so '08304007' keeps its zero."""
    for row in range(FIRST_ROW, LAST_ROW + 1):
        cell = sheet.cell(row=row, column=position)
        cell.border = _BORDER
        if column.kind == "id":
            cell.number_format = "@"


def _validation_for(column: Column, translator: Translator) -> DataValidation | None:
    """The data validation for a column's kind, or None for free text."""
    kind = column.kind
    if kind == "yes_no":
        validation = DataValidation(type="list", formula1=_list_formula(YES_NO_CHOICES))
    elif kind == "level":
        validation = DataValidation(type="list", formula1=_list_formula(LEVEL_CHOICES))
    elif kind == "share":
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="100"
        )
    elif kind == "count":
        validation = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
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
    validation.prompt = translator.gettext(COLUMN_HELP[column.key])[:255]
    return validation


def _list_formula(choices: tuple[str, ...]) -> str:
    """A drop-down list written inline, as Excel expects: '"Có,Không"'."""
    return '"' + ",".join(choices) + '"'


def _write_help_sheet(sheet: Worksheet, translator: Translator) -> None:
    """The instructions: general rules, then one line per column saying what to type."""
    sheet.cell(row=1, column=1, value=translator.gettext(HELP_TITLE)).font = Font(
        bold=True, size=14
    )
    row = 3
    for line in HELP_LINES:
        sheet.cell(row=row, column=1, value=f"• {translator.gettext(line)}")
        row += 1
    row += 1
    for position, heading in enumerate(HELP_TABLE_HEADERS, start=1):
        cell = sheet.cell(row=row, column=position, value=translator.gettext(heading))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    for column in COLUMNS:
        row += 1
        texts = (column.header_vi, column.header_en, translator.gettext(COLUMN_HELP[column.key]))
        for position, text in enumerate(texts, start=1):
            cell = sheet.cell(row=row, column=position, value=text)
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for letter, width in (("A", 32), ("B", 30), ("C", 80)):
        sheet.column_dimensions[letter].width = width
