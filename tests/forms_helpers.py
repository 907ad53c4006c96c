"""Filling a school's form as a school would (openpyxl, as Excel saves it), for the tests of
`checker forms`, `checker collect` and `checker send`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import openpyxl
from shipped import COLUMNS

from checker.forms import DATA_ROW, DATE_ROW, HEADER_ROW, SIGNATURE_SPAN


def fill_form(
    form: Path, values: Mapping[str, str | int | float], target: Path, day: dt.date | None = None
) -> Path:
    """Save a copy of `form` at `target` with the school's cells typed (keys as in
    COLUMNS; the locked cells are left as the office wrote them) and, with `day`, the
    date line written as a principal writes it."""
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.worksheets[0]
    headers = [sheet.cell(row=HEADER_ROW, column=p).value for p in range(1, len(COLUMNS) + 1)]
    for column in COLUMNS:
        if column.key in values:
            position = headers.index(column.header_vi) + 1
            sheet.cell(row=DATA_ROW, column=position, value=values[column.key])
    if day is not None:
        first = len(COLUMNS) - SIGNATURE_SPAN + 1
        sheet.cell(
            row=DATE_ROW, column=first
        ).value = f"Giồng Trôm, ngày {day.day} tháng {day.month} năm {day.year}"
    workbook.save(target)
    return target
