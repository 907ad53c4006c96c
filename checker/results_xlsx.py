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
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from checker.context import column_label, level_word, status_word, text_in, value_text
from checker.i18n import N_, Translator
from checker.model import COLUMN_BY_KEY, Rulebook, SchoolResult, Verdict
from checker.safe_text import plain_text

SHEET = N_("Results")
SCHOOL_HEADERS = (N_("School ID"), N_("School name"), N_("Level"), N_("Commune"))
SCORE_HEADERS = (N_("Criteria met"), N_("Criteria that apply"), N_("Share met"))
# Status colours as Excel fills (light, readable when printed in grey: the word says it too).
FILLS = {"met": "E2F0D9", "not_met": "F8D7DA", "missing": "FFF3CD", "not_applicable": "EEEEEE"}


def value_cell(verdict: Verdict, raw: dict[str, str], t: Translator) -> Any:
    """The value a verdict read: a number when it is one number, else the text as printed."""
    if verdict.status == "not_applicable":
        return None
    values = dict(verdict.values)
    if len(values) == 1:
        [(key, value)] = values.items()
        kind = COLUMN_BY_KEY[key].kind
        numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        if kind in ("count", "share") and numeric:
            return float(value)  # type: ignore[arg-type]  # Excel stores doubles
        return plain_text(value_text(key, value, raw.get(key, ""), t))
    return plain_text(
        "; ".join(
            f"{column_label(key, t)}: {value_text(key, value, raw.get(key, ''), t)}"
            for key, value in values.items()
        )
    )


def results_xlsx(
    results: Sequence[SchoolResult], rulebook: Rulebook, t: Translator, day: dt.date
) -> bytes:
    """results.xlsx as bytes."""
    from checker.outfiles import pinned_zip

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = t.gettext(SHEET)[:31]
    first = len(SCHOOL_HEADERS) + 1
    bold = Font(bold=True)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, header in enumerate(SCHOOL_HEADERS, start=1):
        sheet.cell(row=2, column=index, value=t.gettext(header))
    for number, criterion in enumerate(rulebook.criteria):
        column = first + 2 * number
        sheet.cell(row=1, column=column, value=text_in(criterion.label, t.lang))
        sheet.merge_cells(start_row=1, start_column=column, end_row=1, end_column=column + 1)
        sheet.cell(row=2, column=column, value=t.gettext("Result"))
        sheet.cell(row=2, column=column + 1, value=t.gettext("Value"))
    scores = first + 2 * len(rulebook.criteria)
    for offset, header in enumerate(SCORE_HEADERS):
        sheet.cell(row=2, column=scores + offset, value=t.gettext(header))
    for row in (1, 2):
        for cell in sheet[row]:
            cell.font, cell.alignment = bold, centred
    for index, result in enumerate(results, start=3):
        school = result.school
        # School-supplied text without control characters (Excel refuses them) or escapes.
        cells = [
            plain_text(text)
            for text in (school.school_id, school.name, level_word(school.level, t), school.commune)
        ]
        for column, value in enumerate(cells, start=1):
            sheet.cell(row=index, column=column, value=value).data_type = "s"  # ids stay text
        raw = dict(school.raw)
        for number, verdict in enumerate(result.verdicts):
            column = first + 2 * number
            status = sheet.cell(
                row=index, column=column, value=status_word(verdict.status, t, verdict.reason)
            )
            status.fill = PatternFill("solid", fgColor=FILLS[verdict.status])
            value = value_cell(verdict, raw, t)
            if value is not None:
                cell = sheet.cell(row=index, column=column + 1, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # a value typed as '=…' stays text, never a formula
        sheet.cell(row=index, column=scores, value=result.met)
        sheet.cell(row=index, column=scores + 1, value=result.applicable)
        share = sheet.cell(row=index, column=scores + 2, value=result.score)
        share.number_format = "0.0%"
    widths = {1: 12, 2: 34, 3: 14, 4: 16}
    for column in range(1, scores + 3):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = widths.get(column, 13)
    sheet.row_dimensions[1].height = 45
    sheet.freeze_panes = "C3"  # the school id and name stay in view
    last = get_column_letter(scores + 2)
    sheet.auto_filter.ref = f"A2:{last}{max(2, len(results) + 2)}"
    moment = dt.datetime.combine(day, dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return pinned_zip(buffer.getvalue(), moment)
