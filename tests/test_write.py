"""The write stage: outputs stay inside --out, are written whole, and are reproducible."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import freezegun
import pytest
from openpyxl import load_workbook
from shipped import COLUMN_BY_KEY, COLUMNS
from shipped import problem as shipped_problem

from checker.context import column_label, problem_texts, semester_text
from checker.i18n import load_translator
from checker.model import Intake, Problem, RawTable, Verdict
from checker.office import Contact
from checker.outfiles import write_atomic
from checker.write import (
    QualityFacts,
    quality_csv,
    quality_xlsx,
    school_quality_files,
    verdict_value,
)

FORM = tuple(column.key for column in COLUMNS)  # the form's column order
CONTACT = Contact("Trần Thị Bích", "0275 3000 000", "chuyendoiso@example.com")
FACTS = QualityFacts(
    "2026-2027/HK1",
    "bang_tong_hop.xlsx",
    dt.date(2026, 11, 29),
    FORM,
    dt.date(2026, 12, 29),
    CONTACT,
)


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    target.write_bytes(b"old")
    digest = write_atomic(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert digest == hashlib.sha256(b"%PDF-new").hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ioffice_share": 92.5}, "92.5"),
        ({"ioffice_share": 90.0}, "90"),
        ({"cashless_fees": True}, "yes"),
        ({"cashless_fees": None}, ""),
        ({"computer_rooms": 1, "computers": 19}, "computer_rooms=1;computers=19"),
    ],
)
def test_result_values_are_plain_text(values: dict[str, object], expected: str) -> None:
    assert verdict_value(Verdict("c", "met", values)) == expected  # type: ignore[arg-type]


def test_data_quality_workbook_is_byte_identical_for_the_same_day(tmp_path: Path) -> None:
    problem = shipped_problem(
        12, "08304029", "Trường Tiểu học Tân Hào", "computers", "hai mươi", "not_a_number"
    )
    intake = Intake(RawTable(tmp_path / "x.csv", "0" * 64, 1, ()), (), (), (problem,))
    t = load_translator("vi")
    # Written at two different moments (openpyxl and zipfile read the clock): the same bytes.
    with freezegun.freeze_time("2027-01-05 08:00:00"):
        first = quality_xlsx(intake, t, FACTS)
        first_school = dict(school_quality_files(intake, t, FACTS))
    with freezegun.freeze_time("2031-07-15 23:59:58"):
        second = quality_xlsx(intake, t, FACTS)
        second_school = dict(school_quality_files(intake, t, FACTS))
    assert first == second
    assert first_school == second_school
    assert list(first_school) == ["data-quality/08304029.xlsx"]
    times = {info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert times == {(2026, 11, 29, 0, 0, 0)}
    # Pinned, not merely written within the same second: openpyxl stamps the time of saving.
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert core.count("2026-11-29T00:00:00Z") == 2  # created and modified
    sheet = load_workbook(io.BytesIO(first)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Mã trường"
    assert rows[2][:5] == (
        "08304029",
        "Trường Tiểu học Tân Hào",
        12,
        "Số máy tính cho học sinh",
        "hai mươi",
    )
    assert rows[2][5] == "Giá trị không phải là số"


def intake_of(*problems: Problem) -> Intake:
    """An intake holding only these data problems."""
    return Intake(RawTable(Path("x.csv"), "0" * 64, 1, ()), (), (), problems)


TAN_HAO = ("08304029", "Trường Tiểu học Tân Hào")
HUNG_LE = ("08304038", "Trường THCS Hưng Lễ")
# Given out of order: a later row first, and columns in neither the form's nor A-Z order.
PROBLEMS = (
    shipped_problem(44, *HUNG_LE, "ioffice_share", "130%", "out_of_range"),
    shipped_problem(35, *TAN_HAO, "computers", "hai mươi", "not_a_number"),
    shipped_problem(35, *TAN_HAO, "cashless_fees", "có lẽ", "not_yes_no"),
    shipped_problem(35, *TAN_HAO, "website_url", "", "blank"),
)


def rows_of(data: bytes) -> tuple[list[tuple[Any, ...]], Any]:
    """A workbook's only sheet read back: its rows' values, and the sheet."""
    workbook = load_workbook(io.BytesIO(data))
    assert len(workbook.worksheets) == 1
    sheet = workbook.worksheets[0]
    return list(sheet.iter_rows(values_only=True)), sheet


def test_office_sheet_is_in_file_then_form_order_titled_and_set_up_to_print() -> None:
    t = load_translator("vi")
    rows, sheet = rows_of(quality_xlsx(intake_of(*PROBLEMS), t, FACTS))
    title = str(rows[0][0])
    assert "Học kỳ I năm học 2026-2027" in title and "bang_tong_hop.xlsx" in title
    assert rows[1] == (
        "Mã trường",
        "Tên trường",
        "Dòng trong tệp",
        "Cột",
        "Giá trị đã nhập",
        "Nội dung lỗi",
        "Cách khắc phục",
    )
    # Row 35's problems in the form's column order (website, iOffice, fees, computers, …).
    form_order = [k for k in FORM if k in ("computers", "cashless_fees", "website_url")]
    expected = [(35, column_label(COLUMN_BY_KEY[key], t)) for key in form_order] + [
        (44, "Tỷ lệ văn bản qua iOffice (%)")
    ]
    assert [(r[2], r[3]) for r in rows[2:]] == expected
    assert form_order != sorted(form_order)  # the order tested is not mere A-Z
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$2:$2"  # the header on every printed page
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:G6"
    # The CSV lists the same problems in the same order.
    text = quality_csv(intake_of(*PROBLEMS), t, FORM).decode("utf-8-sig")
    assert [line.split(",")[2] for line in text.splitlines()[1:]] == [
        f'"{row}"' for row, _ in expected
    ]


def test_a_whole_row_problem_comes_before_its_cells() -> None:
    t = load_translator("en")
    whole = shipped_problem(35, *TAN_HAO, "", "", "too_long")
    rows, _ = rows_of(quality_xlsx(intake_of(*PROBLEMS[1:], whole), t, FACTS))
    assert rows[2][2:4] == (35, None)  # no column: the whole row, first
    assert rows[3][2:4] == (35, COLUMN_BY_KEY["website_url"].header_en)


def test_one_workbook_per_school_with_problems_on_one_landscape_page() -> None:
    t = load_translator("vi")
    files = dict(school_quality_files(intake_of(*PROBLEMS), t, FACTS))
    assert sorted(files) == ["data-quality/08304029.xlsx", "data-quality/08304038.xlsx"]
    rows, sheet = rows_of(files["data-quality/08304029.xlsx"])
    heading = [str(r[0]) for r in rows[:4]]
    assert "Trường Tiểu học Tân Hào" in heading[0] and "08304029" in heading[0]
    assert heading[1] == "Học kỳ I năm học 2026-2027"
    assert "29/12/2026" in heading[2]  # the deadline from office.toml
    assert all(part in heading[3] for part in CONTACT.__dict__.values())
    assert rows[4] == (None, None, None, None)
    assert rows[5] == ("Cột", "Giá trị đã nhập", "Nội dung lỗi", "Cách khắc phục")
    form_order = [k for k in FORM if k in ("computers", "cashless_fees", "website_url")]
    assert [r[0] for r in rows[6:]] == [column_label(COLUMN_BY_KEY[k], t) for k in form_order]
    typed = {r[0]: r[1] for r in rows[6:]}
    assert typed[column_label(COLUMN_BY_KEY["computers"], t)] == "hai mươi"
    assert (
        typed[column_label(COLUMN_BY_KEY["website_url"], t)] is None
    )  # typed blank, said so beside it
    fixes = {r[0]: (r[2], r[3]) for r in rows[6:]}
    assert fixes[column_label(COLUMN_BY_KEY["computers"], t)] == problem_texts(PROBLEMS[1], t)
    assert not any("Hưng Lễ" in str(v) for r in rows for v in r)  # only its own problems
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 1)  # one page
    assert sheet.print_title_rows == "$6:$6"


def test_a_school_s_workbook_speaks_the_user_s_language_and_skips_what_the_office_left_out() -> (
    None
):
    t = load_translator("en")
    facts = QualityFacts(
        "2026-2027/HK2", "in.csv", dt.date(2027, 5, 2), FORM, None, Contact("", "", "")
    )
    files = dict(school_quality_files(intake_of(PROBLEMS[0]), t, facts))
    rows, _ = rows_of(files["data-quality/08304038.xlsx"])
    assert rows[1][0] == semester_text("2026-2027/HK2", t)
    assert rows[2] == (None, None, None, None)  # no deadline, no contact: no lines for them
    assert rows[3] == ("Column", "Value as typed", "What is wrong", "How to fix it")
    assert rows[4][:2] == (COLUMN_BY_KEY["ioffice_share"].header_en, "130%")


def test_no_school_file_for_a_row_without_a_school_id_nor_when_there_is_no_problem() -> None:
    t = load_translator("vi")
    assert list(school_quality_files(intake_of(), t, FACTS)) == []
    nameless = shipped_problem(7, "", "", "computers", "x", "not_a_number")
    assert list(school_quality_files(intake_of(nameless), t, FACTS)) == []
