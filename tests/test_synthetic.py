"""The synthetic district tables: determinism, sizes, ids, level mix, semesters, written files."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.worksheet import Worksheet
from shipped import COLUMN_BY_KEY, COLUMNS
from synthetic import GIONG_TROM, generate_district, level_counts, write_district

SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
LEVEL_OF_LABEL = {
    "Mầm non": "mam_non",
    "Mẫu giáo": "mam_non",
    "Tiểu học": "tieu_hoc",
    "THCS": "thcs",
}


def header(key: str) -> str:
    """The Vietnamese header of a column key."""
    return COLUMN_BY_KEY[key].header_vi


def as_number(value: object) -> float | None:
    """A cell as a number, None when blank or not a number."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def find_row(ws: Worksheet, text: str) -> int:
    """The first row whose first cell holds this text."""
    for (cell,) in ws.iter_rows(min_col=1, max_col=1):
        if cell.value == text:
            return int(cell.row)
    raise AssertionError(f"no row starts with {text!r}")


def test_same_seed_gives_the_same_table_and_another_seed_another() -> None:
    first = generate_district(45, seed=3, semester_index=1)
    again = generate_district(45, seed=3, semester_index=1)
    other = generate_district(45, seed=4, semester_index=1)
    assert first.equals(again)
    assert not first.equals(other)


@pytest.mark.parametrize("n_schools", [45, 1000])
def test_one_row_per_school_with_the_office_headers(n_schools: int) -> None:
    frame = generate_district(n_schools)
    assert len(frame) == n_schools
    assert list(frame.columns) == [c.header_vi for c in COLUMNS]


@pytest.mark.parametrize("n_schools", [45, 1000, 5000])
def test_ids_are_unique_safe_file_names_with_a_leading_zero(n_schools: int) -> None:
    frame = generate_district(n_schools, seed=2)
    ids = frame[header("school_id")].tolist()
    assert len(set(ids)) == n_schools
    assert all(isinstance(i, str) and SAFE_ID.match(i) and i.startswith("0") for i in ids)
    assert all(len(i) == 8 for i in ids)  # 9 districts x 999 schools fit the office's format
    assert frame[header("school_name")].is_unique


def test_larger_tables_spread_over_other_districts_with_their_codes() -> None:
    ids = generate_district(1000)[header("school_id")]
    assert set(ids.str[3:5]) == {"00", "01", "02", "03", "04", "05", "06", "07", "08"}


def test_45_schools_are_giong_trom_with_15_18_12_by_level() -> None:
    frame = generate_district(45, seed=7)
    levels = frame[header("level")].map(LEVEL_OF_LABEL)
    assert levels.notna().all()
    assert levels.value_counts().to_dict() == {"mam_non": 15, "tieu_hoc": 18, "thcs": 12}
    communes = set(frame[header("commune")])
    assert communes <= set(GIONG_TROM.communes)
    assert "Thị trấn Giồng Trôm" in communes
    assert frame[header("school_id")].str.startswith("08304").all()
    assert "Trường Mầm non Hoa Sen" in set(frame[header("school_name")])


def test_level_proportions_hold_for_larger_tables() -> None:
    assert level_counts(45) == {"mam_non": 15, "tieu_hoc": 18, "thcs": 12}
    assert level_counts(1000) == {"mam_non": 333, "tieu_hoc": 400, "thcs": 267}
    assert sum(level_counts(4999).values()) == 4999


def test_three_semesters_hold_the_same_schools_and_mostly_improve() -> None:
    semesters = [generate_district(45, seed=1, semester_index=i) for i in range(3)]
    ids = [s[header("school_id")].tolist() for s in semesters]
    assert ids[0] == ids[1] == ids[2]
    names = [s[header("school_name")].tolist() for s in semesters]
    assert names[0] == names[1] == names[2]
    shares = [s[header("ioffice_share")].map(as_number) for s in semesters]
    assert shares[0].mean() < shares[2].mean()
    online = [(s[header("online_enrolment")] == "Có").sum() for s in semesters]
    assert online[0] < online[2]
    assert not semesters[0].equals(semesters[1])


def test_a_sample_district_has_boundaries_blanks_and_typos() -> None:
    frame = generate_district(45, seed=1, semester_index=2)
    shares = frame[header("ioffice_share")].tolist()
    computers = frame[header("computers")].tolist()
    assert 89.9 in shares and 90 in shares
    assert 19 in computers and 20 in computers
    assert "hai mươi" in computers
    assert 130 in shares
    assert int(frame.isna().sum().sum()) == 3
    websites = frame[header("website_url")].dropna()
    assert websites.str.startswith("https://").any()
    assert websites.str.startswith("www.").any()
    assert set(frame[header("cashless_fees")].dropna()) <= {"Có", "Không"}


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_district(-1)
    with pytest.raises(ValueError):
        generate_district(10, semester_index=-1)


def test_xlsx_keeps_ids_as_text_under_a_title_block(tmp_path: Path) -> None:
    frame = generate_district(45, seed=1, semester_index=2)
    path = tmp_path / "district.xlsx"
    write_district(frame, path, semester="2026-2027/HK1")
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    texts = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert {
        "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO GIỒNG TRÔM",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO CHUYỂN ĐỔI SỐ CÁC TRƯỜNG HỌC — HỌC KỲ I NĂM HỌC 2026-2027",
        "Người lập biểu",
        "(Ký, ghi rõ họ tên)",
        "TRƯỞNG PHÒNG",
    } <= texts
    top = find_row(ws, header("school_id"))
    assert top > 1
    assert ws.cell(row=top, column=2).font.b
    id_cells = [ws.cell(row=top + 1 + i, column=1) for i in range(len(frame))]
    assert [c.value for c in id_cells] == frame[header("school_id")].tolist()
    assert all(c.data_type == "s" for c in id_cells)
    assert find_row(ws, "Người lập biểu") > top + len(frame)


def test_xlsx_shares_are_percent_cells(tmp_path: Path) -> None:
    frame = generate_district(45, seed=1, semester_index=2)
    path = tmp_path / "district.xlsx"
    write_district(frame, path)
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    top = find_row(ws, header("school_id"))
    column = [c.header_vi for c in COLUMNS].index(header("ioffice_share")) + 1
    for i, typed in enumerate(frame[header("ioffice_share")]):
        cell = ws.cell(row=top + 1 + i, column=column)
        if typed is None:
            assert cell.value is None
        else:
            assert "%" in cell.number_format
            assert isinstance(cell.value, float | int)
            assert cell.value * 100 == pytest.approx(float(typed))


def test_xlsx_bytes_are_reproducible_and_name_the_semester(tmp_path: Path) -> None:
    frame = generate_district(20, seed=9)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_district(frame, first, semester="2025-2026/HK2")
    write_district(frame, second, semester="2025-2026/HK2")
    assert first.read_bytes() == second.read_bytes()
    ws = openpyxl.load_workbook(first).active
    assert ws is not None
    texts = {c.value for row in ws.iter_rows() for c in row}
    assert "BÁO CÁO CHUYỂN ĐỔI SỐ CÁC TRƯỜNG HỌC — HỌC KỲ II NĂM HỌC 2025-2026" in texts


def test_csv_is_plain_utf8_with_the_header_first(tmp_path: Path) -> None:
    frame = generate_district(45, seed=1, semester_index=2)
    path = tmp_path / "district.csv"
    write_district(frame, path)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8").splitlines()[0] == ",".join(c.header_vi for c in COLUMNS)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back[header("school_id")].tolist() == frame[header("school_id")].tolist()
    assert "89.9" in set(back[header("ioffice_share")])
    assert int((back == "").sum().sum()) == 3  # the blanks stay blank


def test_other_file_types_and_semester_forms_are_refused(tmp_path: Path) -> None:
    frame = generate_district(3)
    with pytest.raises(ValueError):
        write_district(frame, tmp_path / "district.txt")
    with pytest.raises(ValueError):
        write_district(frame, tmp_path / "district.xlsx", semester="HK1 2026")
    assert not (tmp_path / "district.xlsx").exists()
