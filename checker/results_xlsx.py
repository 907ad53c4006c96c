"""results.xlsx: one row per school, and per criterion its status in words and its value, for
the office to sort and filter in Excel.

Row 1 names the criteria (each over two columns), row 2 the sub-columns ("Kết quả", "Số liệu")
and the school columns; the filter sits on row 2 and both rows stay in view when scrolling.
A value is a number cell when the criterion reads one number, otherwise its text as the
scorecard prints it ("Có", "https://…", "Số phòng máy tính: 1; Số máy tính cho học sinh: 25").
Reproducible: same run, same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from checker.context import column_label, level_word, status_word, text_in, value_text
from checker.i18n import N_, Translator
from checker.model import Results, Rulebook, SchoolResult, Verdict
from checker.safe_text import plain_text

SHEET = N_("Results")
SCHOOL_HEADERS = (N_("School ID"), N_("School name"), N_("Level"), N_("Commune"))
SCORE_HEADERS = (N_("Criteria met"), N_("Criteria that apply"), N_("Share met"))
# Status colours as Excel fills (light, readable when printed in grey: the word says it too).
FILLS = {"met": "E2F0D9", "not_met": "F8D7DA", "missing": "FFF3CD", "not_applicable": "EEEEEE"}


def value_cell(verdict: Verdict, raw: dict[str, str], rulebook: Rulebook, t: Translator) -> Any:
    """The value a verdict read: a number when it is one number, else the text as printed."""
    if verdict.status == "not_applicable":
        return None
    values = [(rulebook.column(key), value) for key, value in verdict.values.items()]
    if len(values) == 1:
        [(column, value)] = values
        numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if column.kind in ("count", "share", "number") and numeric:
            return float(value)  # type: ignore[arg-type]  # Excel stores doubles
        return plain_text(value_text(column, value, raw.get(column.key, ""), t))
    return plain_text(
        "; ".join(
            f"{column_label(column, t)}: {value_text(column, value, raw.get(column.key, ''), t)}"
            for column, value in values
        )
    )


def results_xlsx(results: Results, rulebook: Rulebook, t: Translator, day: dt.date) -> bytes:
    """results.xlsx as bytes. Written with openpyxl's write-only mode, a row at a time: a
    province's 20,000 schools never sit in memory as cell objects (issue 13)."""
    from checker.outfiles import pinned_zip

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(t.gettext(SHEET)[:31])
    first = len(SCHOOL_HEADERS) + 1
    scores = first + 2 * len(rulebook.criteria)
    widths = {1: 12, 2: 34, 3: 14, 4: 16}
    for column in range(1, scores + 3):  # before any row: a write-only sheet's columns
        sheet.column_dimensions[get_column_letter(column)].width = widths.get(column, 13)
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "C3"  # the school id and name stay in view
    bold = Font(bold=True)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def heading(value: str | None) -> Any:
        cell = WriteOnlyCell(sheet, value)
        cell.font, cell.alignment = bold, centred
        return cell

    labels: list[str | None] = [None] * (scores + 2)
    subheads: list[str | None] = [t.gettext(h) for h in SCHOOL_HEADERS] + [None] * (
        scores + 2 - len(SCHOOL_HEADERS)
    )
    for number, criterion in enumerate(rulebook.criteria):
        column = first + 2 * number
        labels[column - 1] = text_in(criterion.label, t.lang)
        subheads[column - 1] = t.gettext("Result")
        subheads[column] = t.gettext("Value")
        start, end = get_column_letter(column), get_column_letter(column + 1)
        sheet.merged_cells.add(f"{start}1:{end}1")
    for offset, header in enumerate(SCORE_HEADERS):
        subheads[scores - 1 + offset] = t.gettext(header)
    sheet.append([heading(value) for value in labels])
    sheet.append([heading(value) for value in subheads])
    fills = {status: PatternFill("solid", fgColor=colour) for status, colour in FILLS.items()}
    for result in results:
        sheet.append(result_row(sheet, result, rulebook, t, fills))
    last = get_column_letter(scores + 2)
    sheet.auto_filter.ref = f"A2:{last}{max(2, len(results) + 2)}"
    moment = dt.datetime.combine(day, dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return pinned_zip(buffer.getvalue(), moment)


def result_row(
    sheet: Any,
    result: SchoolResult,
    rulebook: Rulebook,
    t: Translator,
    fills: dict[str, PatternFill],
) -> list[Any]:
    """One school's row: its columns, per criterion the status word (coloured) and the value,
    then the criteria met, that apply and the share."""
    school = result.school
    cells: list[Any] = []
    # School-supplied text without control characters (Excel refuses them) or escapes.
    for text in (school.school_id, school.name, level_word(school.level, t), school.commune):
        cell = WriteOnlyCell(sheet, plain_text(text))
        cell.data_type = "s"  # ids stay text
        cells.append(cell)
    raw = dict(school.raw)
    for verdict in result.verdicts:
        status = WriteOnlyCell(sheet, status_word(verdict.status, t, verdict.reason))
        status.fill = fills[verdict.status]
        value = value_cell(verdict, raw, rulebook, t)
        cell = WriteOnlyCell(sheet, value)
        if isinstance(value, str):
            cell.data_type = "s"  # a value typed as '=…' stays text, never a formula
        cells += [status, cell]
    share = WriteOnlyCell(sheet, result.score)
    share.number_format = "0.0%"
    return [*cells, result.met, result.applicable, share]
