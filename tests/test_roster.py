"""The roster: the unit's list of schools, read with the intake readers and checked."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from conftest import SAMPLE

from checker.roster import RosterError, load_roster, roster_path, roster_setting

HEADER = ["Mã trường", "Tên trường", "Cấp học", "Xã/Thị trấn", "Hiệu trưởng", "Email", "Điện thoại"]
ROW = [
    "08304001",
    "Trường MN Hoa Sen",
    "Mầm non",
    "Hoa Sen",
    "Lê Thị A",
    "a@example.edu.vn",
    "0275",
]


def write_rows(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_the_sample_roster_lists_the_sample_districts_45_schools() -> None:
    roster = load_roster(SAMPLE / "roster.csv")
    with (SAMPLE / "giong_trom_2026-2027_HK1.csv").open(encoding="utf-8") as handle:
        sample = list(csv.DictReader(handle))

    assert [s.school_id for s in roster.schools] == [r["Mã trường"] for r in sample]
    assert [s.name for s in roster.schools] == [r["Tên trường"] for r in sample]
    assert [s.principal for s in roster.schools] == [r["Hiệu trưởng"] for r in sample]
    assert {s.level for s in roster.schools} == {"mam_non", "tieu_hoc", "thcs"}
    assert all(s.email.endswith("@example.edu.vn") for s in roster.schools[:-1])
    assert roster.schools[-1].email == ""  # a school without an address, for `checker send`
    assert roster.find("08304001") is roster.schools[0]
    assert roster.find("nope") is None


def test_an_xlsx_roster_with_a_title_block_and_combined_school(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DANH SÁCH CÁC TRƯỜNG"])
    sheet.append([])
    sheet.append(["School ID", "School name", "Level", "Email"])
    sheet.append(["TS-01", "Trường TH&THCS Tân Thanh", "TH&THCS", "ts@example.edu.vn"])
    workbook.save(tmp_path / "roster.xlsx")

    roster = load_roster(tmp_path / "roster.xlsx")

    (only,) = roster.schools
    assert (only.school_id, only.level, only.levels) == (
        "TS-01",
        "tieu_hoc+thcs",
        ("tieu_hoc", "thcs"),
    )
    assert (only.row_number, only.commune, only.phone) == (4, "", "")


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        ([ROW, ROW], ["08304001", "rows 2, 3"]),
        ([ROW, ["abc", *ROW[1:]], ["ABC", *ROW[1:]]], ["abc", "rows 3, 4"]),
        ([["../x", *ROW[1:]]], ["row 2", "../x"]),
        ([[ROW[0], "", *ROW[2:]]], ["row 2", "Tên trường"]),
        ([[*ROW[:2], "Nhà trẻ", *ROW[3:]]], ["row 2", "Nhà trẻ"]),
        ([[*ROW[:5], "not an address", ROW[6]]], ["row 2", "not an address"]),
        ([], ["no school"]),
    ],
)
def test_a_wrong_roster_is_refused_naming_the_row(
    tmp_path: Path, rows: list[list[str]], fragments: list[str]
) -> None:
    path = write_rows(tmp_path / "ds.csv", rows)

    with pytest.raises(RosterError) as raised:
        load_roster(path)

    message = str(raised.value)
    assert "ds.csv" in message
    for fragment in fragments:
        assert fragment in message


def test_a_roster_without_the_level_column_is_refused(tmp_path: Path) -> None:
    path = write_rows(tmp_path / "ds.csv", [ROW[:2]], HEADER[:2])

    with pytest.raises(RosterError, match="Cấp học"):
        load_roster(path)


def test_the_office_settings_may_name_the_roster(tmp_path: Path) -> None:
    office = tmp_path / "office.toml"
    office.write_text((Path(__file__).parent.parent / "office.toml").read_text(encoding="utf-8"))
    assert roster_setting(office) is None
    with pytest.raises(RosterError, match="--roster"):
        roster_path(None, office)
    office.write_text('roster = "ds/truong.xlsx"\n' + office.read_text(encoding="utf-8"))

    assert roster_path(None, office) == tmp_path / "ds" / "truong.xlsx"
    assert roster_path(tmp_path / "other.csv", office) == tmp_path / "other.csv"
    from checker.office import read_office

    read_office(office, "vi")  # the key is allowed in the settings
