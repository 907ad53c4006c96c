"""`checker forms`: one form per school, pre-filled, locked, greyed by level, and loadable."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import check_table, run_semester, write_csv
from forms_helpers import fill_form
from shipped import COLUMNS

from checker.cli import cli
from checker.forms import (
    DATA_ROW,
    DATE_ROW,
    HEADER_ROW,
    NAME_ROW,
    form_date,
    form_file_name,
    write_forms,
)
from checker.i18n import load_translator
from checker.intake_form import GREY
from checker.load import load_table
from checker.roster import load_roster
from checker.semester import parse_semester

SEMESTER = parse_semester("2026-2027/HK1")
ROSTER = [
    ["Mã trường", "Tên trường", "Cấp học", "Xã/Thị trấn", "Hiệu trưởng", "Email"],
    ["MN-01", "Trường Mầm non Sen Hồng", "Mầm non", "Châu Hòa", "Lê Thị Mai", "mn@example.edu.vn"],
    ["TH-01", "Trường Tiểu học Lương Quới", "Tiểu học", "Lương Quới", "Võ Văn Tư", ""],
    ["LC-01", "Trường TH&THCS Tân Thanh", "TH&THCS", "", "Phạm Thu", "lc@example.edu.vn"],
]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The three schools' forms (Vietnamese), by school id; written once for the module."""
    folder = tmp_path_factory.mktemp("forms")
    with (folder / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROSTER)
    roster = load_roster(folder / "roster.csv")
    paths = list(write_forms(roster, SEMESTER, folder / "out", load_translator("vi"), COLUMNS))
    return {path.name.split("_")[0]: path for path in paths}


def position(key: str) -> int:
    return [c.key for c in COLUMNS].index(key) + 1


def is_grey(cell) -> bool:
    return cell.fill is not None and str(cell.fill.start_color.rgb).endswith(GREY)


def test_forms_are_named_by_id_and_school_name(made: dict[str, Path]) -> None:
    assert sorted(p.name for p in made.values()) == [
        "LC-01_Truong_TH_THCS_Tan_Thanh.xlsx",
        "MN-01_Truong_Mam_non_Sen_Hong.xlsx",
        "TH-01_Truong_Tieu_hoc_Luong_Quoi.xlsx",
    ]


def test_what_the_office_knows_is_filled_in_and_locked(made: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(made["MN-01"]).worksheets[0]

    assert sheet.protection.sheet
    assert [sheet.cell(row=HEADER_ROW, column=p + 1).value for p in range(len(COLUMNS))] == [
        c.header_vi for c in COLUMNS
    ]
    known = {"school_id": "MN-01", "school_name": "Trường Mầm non Sen Hồng", "level": "Mầm non",
             "commune": "Châu Hòa"}  # fmt: skip
    for key, value in known.items():
        cell = sheet.cell(row=DATA_ROW, column=position(key))
        assert cell.value == value
        assert cell.protection.locked and is_grey(cell), key
    assert sheet.cell(row=DATA_ROW, column=position("school_id")).number_format == "@"
    for key in ("website_url", "ioffice_share", "cashless_fees", "students", "principal"):
        cell = sheet.cell(row=DATA_ROW, column=position(key))
        assert not cell.protection.locked and not is_grey(cell), key
    assert sheet.cell(row=DATA_ROW, column=position("principal")).value == "Lê Thị Mai"
    assert sheet.cell(row=HEADER_ROW, column=1).protection.locked
    assert "Học kỳ I năm học 2026-2027" in [sheet.cell(row=r, column=1).value for r in (1, 2, 3)]
    # A commune the roster leaves blank is for the school to fill.
    combined = openpyxl.load_workbook(made["LC-01"]).worksheets[0]
    assert not combined.cell(row=DATA_ROW, column=position("commune")).protection.locked


def test_columns_not_for_the_schools_level_are_greyed_locked_and_explained(
    made: dict[str, Path],
) -> None:
    for school_id, levels in (("MN-01", ("mam_non",)), ("TH-01", ("tieu_hoc",)),
                              ("LC-01", ("tieu_hoc", "thcs"))):  # fmt: skip
        sheet = openpyxl.load_workbook(made[school_id]).worksheets[0]
        for column in COLUMNS:
            if column.key in ("school_id", "school_name", "level", "commune"):
                continue
            cell = sheet.cell(row=DATA_ROW, column=position(column.key))
            if column.applies_to(levels):
                assert not is_grey(cell) and cell.comment is None, (school_id, column.key)
            else:
                assert is_grey(cell) and cell.protection.locked, (school_id, column.key)
                assert cell.comment is not None
                assert "Leave it blank" not in cell.comment.text  # Vietnamese only
                assert cell.value is None
    kindergarten = openpyxl.load_workbook(made["MN-01"]).worksheets[0]
    greyed = {
        c.key for c in COLUMNS if is_grey(kindergarten.cell(row=DATA_ROW, column=position(c.key)))
    }
    assert {"computer_rooms", "computers", "e_gradebook"} <= greyed
    assert "cashless_fees" not in greyed  # kindergartens are scored on it
    primary = openpyxl.load_workbook(made["TH-01"]).worksheets[0]
    assert is_grey(primary.cell(row=DATA_ROW, column=position("cashless_fees")))


def test_cells_to_fill_have_the_templates_drop_downs_and_limits(made: dict[str, Path]) -> None:
    sheet = openpyxl.load_workbook(made["TH-01"]).worksheets[0]
    by_cell = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter

    share = by_cell[f"{letter(position('ioffice_share'))}{DATA_ROW}"]
    assert (share.type, share.formula1, share.formula2) == ("decimal", "0", "100")
    rooms = by_cell[f"{letter(position('computer_rooms'))}{DATA_ROW}"]
    # The field's range, as the rulebook declares it (a count: 0 to a million by default).
    assert (rooms.type, rooms.operator, rooms.formula1, rooms.formula2) == (
        "whole",
        "between",
        "0",
        "1000000",
    )
    book = by_cell[f"{letter(position('e_gradebook'))}{DATA_ROW}"]
    assert (book.type, book.formula1) == ("list", '"Có,Không"')
    # Greyed and pre-filled columns have none: nothing to type there.
    assert f"{letter(position('cashless_fees'))}{DATA_ROW}" not in by_cell
    assert f"{letter(position('level'))}{DATA_ROW}" not in by_cell


def test_instructions_print_on_one_page_and_say_what_is_not_for_the_school(
    made: dict[str, Path],
) -> None:
    workbook = openpyxl.load_workbook(made["MN-01"])
    helper = workbook.worksheets[1]

    assert helper.sheet_properties.pageSetUpPr is not None
    assert helper.sheet_properties.pageSetUpPr.fitToPage
    assert (helper.page_setup.fitToWidth, helper.page_setup.fitToHeight) == (1, 1)
    assert helper.print_area is not None
    texts = [str(c.value) for row in helper.iter_rows() for c in row if c.value]
    rooms = next(i for i, t in enumerate(texts) if t == "Số phòng máy tính")
    assert "Mầm non" in texts[rooms + 1]  # why the kindergarten leaves it blank
    assert not any("English name" in t or "School ID" in t for t in texts)
    form = workbook.worksheets[0]
    assert form.sheet_properties.pageSetUpPr is not None
    assert form.sheet_properties.pageSetUpPr.fitToPage
    assert (form.page_setup.fitToWidth, form.page_setup.fitToHeight) == (1, 1)
    assert form.page_setup.orientation == "landscape"


def test_the_english_form_keeps_vietnamese_headers_and_official_lines(tmp_path: Path) -> None:
    roster_file = tmp_path / "r.csv"
    with roster_file.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROSTER[:2])
    (path,) = write_forms(
        load_roster(roster_file), SEMESTER, tmp_path, load_translator("en"), COLUMNS
    )
    sheet = openpyxl.load_workbook(path).worksheets[0]

    assert sheet.cell(row=HEADER_ROW, column=1).value == "Mã trường"
    note = sheet.cell(row=HEADER_ROW, column=1).comment
    assert note is not None and note.text.startswith("School ID")
    assert "Semester 1, 2026-2027" in [sheet.cell(row=r, column=1).value for r in (1, 2, 3)]
    texts = [str(c.value) for row in sheet.iter_rows(min_row=DATE_ROW) for c in row if c.value]
    assert any(t.startswith("HIỆU TRƯỞNG") for t in texts)
    assert load_table(path, COLUMNS).title_semester is not None


def test_a_filled_form_loads_and_runs_and_its_date_is_read(
    made: dict[str, Path], tmp_path: Path
) -> None:
    values: dict[str, str | int | float] = {"students": 380, "website_url": "https://thluongquoi.edu.vn", "ioffice_share": 96,
              "computer_rooms": 1, "computers": 24, "e_gradebook": "Có", "e_contact_book": "Có",
              "online_enrolment": "Không"}  # fmt: skip
    filled = fill_form(made["TH-01"], values, tmp_path / "tra_ve.xlsx", dt.date(2026, 12, 5))

    table = load_table(filled, COLUMNS)

    (row,) = table.rows
    assert row.cells["school_id"] == "TH-01"
    assert row.cells["ioffice_share"] == "96"
    assert row.cells["cashless_fees"] == ""
    assert DATE_ROW in table.ignored_rows and NAME_ROW in table.ignored_rows
    assert table.title_semester is not None
    assert (table.title_semester.year, table.title_semester.term) == (2026, 1)
    sheet = openpyxl.load_workbook(filled).worksheets[0]
    assert form_date(str(c.value) for r in sheet.iter_rows() for c in r if c.value) == dt.date(
        2026, 12, 5
    )
    result = check_table(filled, tmp_path, "--quiet", "--lang", "en")
    assert result.returncode == 0, result.stderr
    results = (tmp_path / "out" / "results.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(results.splitlines()))
    assert {r["school_id"] for r in rows} == {"TH-01"}
    assert [r["criterion"] for r in rows if r["status"] == "missing"] == []  # every figure read
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    refused = check_table(filled, wrong, "--quiet", "--semester", "2025-2026/HK2")
    assert refused.returncode == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Giồng Trôm, ngày 05 tháng 12 năm 2026", dt.date(2026, 12, 5)),
        ("GIONG TROM, NGAY 5 THANG 1 NAM 2027", dt.date(2027, 1, 5)),
        ("Ngày lập: 07/12/2026", dt.date(2026, 12, 7)),
        ("…………, ngày …… tháng …… năm ……", None),
        ("ngày 31 tháng 2 năm 2026", None),
    ],
)
def test_the_date_line_is_read_as_principals_write_it(text: str, expected: dt.date | None) -> None:
    assert form_date([text]) == expected


def test_forms_command_writes_one_form_per_school(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    roster = Path(__file__).parent.parent / "sample_data" / "roster.csv"

    result = CliRunner().invoke(
        cli, ["forms", "--roster", str(roster), "--semester", "2026-2027/HK1", "--out", "phieu"]
    )

    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "phieu").glob("*.xlsx"))) == 45
    assert form_file_name(load_roster(roster).schools[0]) in {
        p.name for p in (tmp_path / "phieu").iterdir()
    }


def test_forms_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["forms", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "checker forms" in result.output


def test_last_semesters_figures_are_prefilled_to_confirm(tmp_path: Path, monkeypatch) -> None:
    figures = {"school_id": "TH-01", "school_name": "Trường Tiểu học Lương Quới",
               "level": "Tiểu học", "students": "380", "website_url": "https://thlq.edu.vn",
               "ioffice_share": "92.5", "computer_rooms": "1", "computers": "24",
               "e_gradebook": "Có", "e_contact_book": "Không", "online_enrolment": "Có"}  # fmt: skip
    table = write_csv(tmp_path / "hk2.csv", [figures])
    db = tmp_path / "h.db"
    ran = run_semester(table, "2025-2026/HK2", tmp_path / "out", db, "--quiet", "--workers", "1",
                       cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    with (tmp_path / "roster.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(ROSTER)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(
        cli,
        ["forms", "--roster", "roster.csv", "--semester", "2026-2027/HK1", "--out", "phieu",
         "--prefill-from-history", "--db", str(db)],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    form = tmp_path / "phieu" / "TH-01_Truong_Tieu_hoc_Luong_Quoi.xlsx"
    sheet = openpyxl.load_workbook(form).worksheets[0]
    cells = {c.key: sheet.cell(row=DATA_ROW, column=position(c.key)) for c in COLUMNS}
    assert cells["ioffice_share"].value == 92.5
    assert cells["computers"].value == 24
    assert (cells["e_gradebook"].value, cells["e_contact_book"].value) == ("Có", "Không")
    assert cells["website_url"].value == "https://thlq.edu.vn"
    note = cells["ioffice_share"].comment
    assert note is not None and "Học kỳ II năm học 2025-2026" in note.text
    assert not cells["ioffice_share"].protection.locked  # the school corrects what changed
    assert cells["students"].value is None  # not a figure any criterion records
    assert cells["cashless_fees"].value is None  # not for a primary school
    other = openpyxl.load_workbook(tmp_path / "phieu" / "MN-01_Truong_Mam_non_Sen_Hong.xlsx")
    assert other.worksheets[0].cell(row=DATA_ROW, column=position("ioffice_share")).value is None
    # Returned as it is, the form carries last semester's figures, confirmed.
    assert load_table(form, COLUMNS).rows[0].cells["ioffice_share"] == "92.5"
