"""The blank intake workbook: headers, checks, instructions, and a filled-in copy that loads."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from babel.support import NullTranslations
from shipped import COLUMNS

from checker.i18n import Translator, load_translator
from checker.intake_form import (
    COLUMN_HELP,
    LAST_ROW,
    LEVEL_CHOICES,
    YES_NO_CHOICES,
    column_help,
    write_intake_template,
)
from checker.load import load_table
from checker.model import RawRow
from checker.validate import level_text


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "mau_nhap_lieu.xlsx"
    write_intake_template(path, load_translator("vi"), columns=COLUMNS)
    return path


def validations_by_column(sheet) -> dict[str, list]:
    """The sheet's data validations, by the column letter of their ranges."""
    found: dict[str, list] = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            letter = cell_range.coord.split(":")[0].rstrip("0123456789")
            found.setdefault(letter, []).append(validation)
    return found


def letter_of(key: str) -> str:
    """The template's column letter for a column key."""
    position = [c.key for c in COLUMNS].index(key)
    return openpyxl.utils.get_column_letter(position + 1)


def test_template_has_the_vietnamese_headers_with_vietnamese_notes(template: Path) -> None:
    sheet = openpyxl.load_workbook(template).worksheets[0]

    headers = [cell.value for cell in sheet[1]]

    assert headers == [c.header_vi for c in COLUMNS]
    vi = load_translator("vi")
    for position, column in enumerate(COLUMNS, start=1):
        note = sheet.cell(row=1, column=position).comment
        assert note is not None
        assert note.text == column_help(column, vi)  # a field's hint, or the checker's text
        if column.key in COLUMN_HELP:
            assert note.text == vi.gettext(COLUMN_HELP[column.key])
        else:
            assert note.text == column.hint["vi"]
        assert column.header_en not in note.text  # no English in the Vietnamese form
    assert sheet.freeze_panes == "C2"
    assert sheet["A2"].number_format == "@"
    assert sheet[f"A{LAST_ROW}"].number_format == "@"
    assert sheet.column_dimensions["B"].width == 36


def test_template_has_drop_downs_and_number_limits(template: Path) -> None:
    sheet = openpyxl.load_workbook(template).worksheets[0]
    by_column = validations_by_column(sheet)

    for column in COLUMNS:
        checks = by_column.get(letter_of(column.key), [])
        if column.kind in ("text", "url"):
            assert checks == []
            continue
        assert len(checks) == 1, column.key
        check = checks[0]
        assert str(check.sqref) == f"{letter_of(column.key)}2:{letter_of(column.key)}{LAST_ROW}"
        assert check.showErrorMessage
        if column.kind == "yes_no":
            assert (check.type, check.formula1) == ("list", '"' + ",".join(YES_NO_CHOICES) + '"')
        elif column.kind == "level":
            assert (check.type, check.formula1) == (
                "list",
                '"Mầm non,Tiểu học,THCS,THPT,TH&THCS,THCS&THPT,TH&THCS&THPT"',
            )
        elif column.kind == "share":
            assert (check.type, check.operator, check.formula1, check.formula2) == (
                "decimal",
                "between",
                "0",
                "100",
            )
        elif column.kind == "count":  # the field's range, from the rulebook
            assert (check.type, check.operator, check.formula1, check.formula2) == (
                "whole",
                "between",
                str(column.minimum),
                str(column.maximum),
            )
        elif column.kind == "id":
            assert (check.type, check.formula1) == ("textLength", "32")
    assert LEVEL_CHOICES[:4] == ("Mầm non", "Tiểu học", "THCS", "THPT")
    # Every choice, combined schools' included, is a level the validator knows.
    assert all(
        level_text(choice) in ("mam_non", "tieu_hoc", "thcs", "thpt") or "+" in level_text(choice)
        for choice in LEVEL_CHOICES
    )
    assert level_text("TH&THCS&THPT") == "tieu_hoc+thcs+thpt"


def test_template_has_an_instruction_line_per_column(tmp_path: Path) -> None:
    # A catalog that marks every message shows that every text goes through the translator.
    class Marking(NullTranslations):
        def gettext(self, message: str) -> str:
            return "«" + message + "»"

    path = tmp_path / "form.xlsx"
    write_intake_template(path, Translator("vi", Marking()), columns=COLUMNS)
    workbook = openpyxl.load_workbook(path)

    assert workbook.sheetnames == ["«Schools»", "«Instructions»"]
    helper = workbook.worksheets[1]
    texts = [[cell.value for cell in row] for row in helper.iter_rows()]
    lines = {row[0]: row[1] for row in texts if row[0] and row[1]}
    for column in COLUMNS:
        if column.hint:  # a rulebook field's own hint, in the form's language
            assert str(lines[column.header_vi]).startswith(column.hint["vi"])
        else:  # the school's own columns: the checker's texts, translated
            assert str(lines[column.header_vi]).startswith("«" + COLUMN_HELP[column.key] + "»")
    table = workbook.worksheets[0]
    check = validations_by_column(table)[letter_of("level")][0]
    assert check.error.startswith("«") and check.prompt.startswith("«")
    assert [cell.value for cell in table[1]] == [c.header_vi for c in COLUMNS]


def test_the_header_row_is_protected_and_the_rows_below_are_free(template: Path) -> None:
    sheet = openpyxl.load_workbook(template).worksheets[0]

    assert sheet.protection.sheet
    assert all(cell.protection.locked for cell in sheet[1])
    assert not any(cell.protection.locked for cell in sheet[2])
    assert not sheet.cell(row=LAST_ROW, column=len(COLUMNS)).protection.locked


def test_instructions_print_on_one_page_and_say_which_levels_fill_a_column(
    template: Path,
) -> None:
    helper = openpyxl.load_workbook(template).worksheets[1]

    assert helper.sheet_properties.pageSetUpPr is not None
    assert helper.sheet_properties.pageSetUpPr.fitToPage
    assert (helper.page_setup.fitToWidth, helper.page_setup.fitToHeight) == (1, 1)
    assert helper.print_area is not None
    # Long lines are wrapped in cells tall enough for them, never spilling over the next.
    merged = {str(r) for r in helper.merged_cells.ranges}
    for row in helper.iter_rows(min_row=3, max_row=8):
        if row[0].value:
            assert f"A{row[0].row}:B{row[0].row}" in merged
            assert row[0].alignment.wrap_text
            assert helper.row_dimensions[row[0].row].height >= 15
    lines = {row[0].value: row[1].value for row in helper.iter_rows() if row[0].value}
    assert "Tiểu học, Trung học cơ sở" in str(lines["Số phòng máy tính"])
    assert "Tiểu học" not in str(lines["Website"])
    assert not any(
        "English name" in str(v) or "School ID" in str(v) for v in [*lines, *lines.values()]
    )


def test_english_template_keeps_the_vietnamese_headers(tmp_path: Path) -> None:
    path = tmp_path / "form_en.xlsx"

    write_intake_template(path, load_translator("en"), columns=COLUMNS)
    workbook = openpyxl.load_workbook(path)

    assert workbook.sheetnames == ["Schools", "Instructions"]
    assert [cell.value for cell in workbook.worksheets[0][1]] == [c.header_vi for c in COLUMNS]


def test_template_is_written_atomically_over_an_old_file(tmp_path: Path) -> None:
    path = tmp_path / "form.xlsx"
    path.write_bytes(b"old content")

    write_intake_template(path, load_translator("vi"), columns=COLUMNS)

    assert openpyxl.load_workbook(path).worksheets[0]["A1"].value == "Mã trường"
    assert [p.name for p in tmp_path.iterdir()] == ["form.xlsx"]  # no temp file left


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "is_a_folder.xlsx"
    target.mkdir()

    with pytest.raises(OSError):
        write_intake_template(target, load_translator("vi"), columns=COLUMNS)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["is_a_folder.xlsx"]


def test_filled_in_template_loads_to_the_expected_rows(template: Path) -> None:
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    schools: list[list[str | float]] = [
        ["08304007", "Trường THCS Hưng Nhượng", "THCS", "Hưng Nhượng", "Nguyễn Văn An", 512,
         "https://thcshungnhuong.edu.vn", 0.95, "Có", 1, 20, "Có", "Không", "Có"],
        ["08304012", "Trường TH Tân Thanh", "Tiểu học", "Tân Thanh", "Lê Thị Bình", 340,
         "Chưa có", 92.5, "Không", 2, 35, "Có", "Có", "Có"],
        ["08304101", "Trường MN Sao Mai", "Mầm non", "Giồng Trôm", "", 150,
         "www.mnsaomai.edu.vn", 88, "Có", 0, 0, "", "", ""],
    ]  # fmt: skip
    for offset, values in enumerate(schools):
        for position, value in enumerate(values, start=1):
            sheet.cell(row=2 + offset, column=position, value=value if value != "" else None)
    sheet[f"{letter_of('ioffice_share')}2"].number_format = "0%"  # the user typed 95%
    filled = template.with_name("da_dien.xlsx")
    workbook.save(filled)

    table = load_table(filled, COLUMNS)

    keys = [c.key for c in COLUMNS]
    expected = [
        RawRow(2, dict(zip(keys, [str(v) for v in schools[0]], strict=True)) | {
            "ioffice_share": "95%"}),
        RawRow(3, dict(zip(keys, [str(v) for v in schools[1]], strict=True))),
        RawRow(4, dict(zip(keys, [str(v) for v in schools[2]], strict=True))),
    ]  # fmt: skip
    assert list(table.rows) == expected
    assert table.header_row == 1
    assert table.extra_columns == ()
    assert table.ignored_rows == ()
