"""`checker collect`: 45 returned forms (made and filled here), with one school missing, one
returned twice, one for the wrong semester, one unknown school and one unreadable file."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from conftest import SAMPLE, run_semester, run_tables, write_csv
from forms_helpers import fill_form
from shipped import COLUMNS

from checker import paths
from checker.cli import cli
from checker.collect import SOURCE_HEADER
from checker.forms import form_file_name, write_forms
from checker.i18n import load_translator
from checker.inputs import load_inputs
from checker.roster import Roster, RosterSchool, load_roster
from checker.semester import parse_semester

SEMESTER = "2026-2027/HK1"
ROSTER = SAMPLE / "roster.csv"
OFFICE = ("school_id", "school_name", "level", "commune", "principal")


def sample_rows() -> dict[str, dict[str, str]]:
    """The sample district's figures by school id, keys as in COLUMNS."""
    with (SAMPLE / "giong_trom_2026-2027_HK1.csv").open(encoding="utf-8") as handle:
        rows = [{c.key: row[c.header_vi] for c in COLUMNS} for row in csv.DictReader(handle)]
    return {row["school_id"]: row for row in rows}


def school_values(row: dict[str, str], levels: tuple[str, ...]) -> dict[str, str | int | float]:
    """What a school types: the figures of the columns its level fills (the rest are locked)."""
    return {c.key: row[c.key] for c in COLUMNS if c.key not in OFFICE and c.applies_to(levels)}


@dataclass(frozen=True)
class Returns:
    """The folder of returns and what the test made happen in it."""

    folder: Path
    base: Path
    missing: RosterSchool  # sent nothing
    twice: RosterSchool  # sent two forms
    wrong: RosterSchool  # sent only last semester's form
    figures: dict[str, dict[str, str]]
    roster: Roster


@dataclass(frozen=True)
class Collected:
    result: Result
    out: Path
    report: Path


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> Returns:
    """The forms made once, filled as the schools would, and the folder of returns."""
    base = tmp_path_factory.mktemp("collect")
    roster = load_roster(ROSTER)
    t = load_translator("vi")
    forms = {
        p.name.split("_")[0]: p
        for p in write_forms(roster, parse_semester(SEMESTER), base / "forms", t, COLUMNS)
    }
    old = {
        p.name.split("_")[0]: p
        for p in write_forms(roster, parse_semester("2025-2026/HK2"), base / "old", t, COLUMNS)
    }
    figures = sample_rows()
    folder = base / "tra-ve"
    (folder / "email").mkdir(parents=True)
    schools = roster.schools
    missing, twice, wrong = schools[44], schools[1], schools[9]
    for number, school in enumerate(schools):
        if school in (missing, wrong):
            continue
        values = school_values(figures[school.school_id], school.levels)
        day = dt.date(2026, 12, 1 + number % 20)
        fill_form(forms[school.school_id], values, folder / form_file_name(school), day)
    # The second return of one school, saved in a sub-folder, dated later, a figure changed.
    again = school_values(figures[twice.school_id], twice.levels) | {"students": "999"}
    fill_form(
        forms[twice.school_id], again, folder / "email" / "gui-lai.xlsx", dt.date(2026, 12, 28)
    )
    # Last semester's form filled by mistake.
    values = school_values(figures[wrong.school_id], wrong.levels)
    fill_form(old[wrong.school_id], values, folder / "hk2-cu.xlsx", dt.date(2026, 12, 2))
    # A school's own sheet (CSV, right headers) for a school the roster does not list.
    write_csv(folder / "truong-la.csv", [figures[schools[3].school_id] | {"school_id": "99999999"}])
    (folder / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / ".~lock.hong.xlsx#").write_text("editor's lock file")
    (folder / "email" / "trang-ky.pdf").write_bytes(b"%PDF-1.4 the signed page, scanned")
    return Returns(folder, base, missing, twice, wrong, figures, roster)


@pytest.fixture(scope="module")
def collected(returns: Returns) -> Collected:
    out = returns.base / "hk1" / "bang.xlsx"
    result = CliRunner().invoke(
        cli,
        ["collect", str(returns.folder), "--semester", SEMESTER, "--roster", str(ROSTER),
         "--out", str(out), "--quiet"],
    )  # fmt: skip
    return Collected(result, out, out.parent / "collect-report.xlsx")


def report_rows(path: Path) -> list[dict[str, str]]:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [[str(c.value or "") for c in row] for row in sheet.iter_rows(min_row=4)]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_every_file_and_school_is_accounted_for_with_its_reason(
    returns: Returns, collected: Collected
) -> None:
    result = collected.result
    assert result.exit_code == 0, result.output
    rows = report_rows(collected.report)
    by_status: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_status.setdefault(row["Tình trạng"], []).append(row)
    missing, twice, wrong = returns.missing, returns.twice, returns.wrong

    not_returned = {r["Mã trường"]: r for r in by_status["Chưa gửi"]}
    assert set(not_returned) == {missing.school_id, wrong.school_id}
    assert not_returned[missing.school_id]["Hiệu trưởng"] == missing.principal
    assert not_returned[missing.school_id]["Điện thoại"] == missing.phone
    doubles = by_status["Gửi hai lần"]
    assert sorted(r["Tệp"] for r in doubles) == sorted(
        [form_file_name(twice), "email/gui-lai.xlsx"]
    )
    assert all("--latest" in r["Lý do / ghi chú"] for r in doubles)
    (semester,) = by_status["Sai học kỳ"]
    assert semester["Tệp"] == "hk2-cu.xlsx" and "2025-2026/HK2" in semester["Lý do / ghi chú"]
    (unknown,) = by_status["Trường không có trong danh sách"]
    assert unknown["Tệp"] == "truong-la.csv" and "99999999" in unknown["Lý do / ghi chú"]
    (broken,) = by_status["Tệp không đọc được"]
    assert broken["Tệp"] == "hong.xlsx" and broken["Lý do / ghi chú"]
    (scan,) = by_status["Không phải bảng số liệu"]
    assert scan["Tệp"] == "email/trang-ky.pdf"
    assert len(by_status["Đã gửi"]) == 42
    assert sum(map(len, by_status.values())) == len(rows)  # nothing else, nothing dropped
    # The office reads the counts on the terminal too.
    assert "Chưa gửi: 2" in result.output


def test_the_table_holds_each_school_taken_once_with_its_source_file(
    returns: Returns, collected: Collected
) -> None:
    sheet = openpyxl.load_workbook(collected.out).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    header, data = rows[0], rows[1:]
    assert header == [c.header_vi for c in COLUMNS] + [SOURCE_HEADER]
    roster = returns.roster
    skipped = {returns.missing, returns.twice, returns.wrong}
    expected = [s for s in roster.schools if s not in skipped]
    assert [row[0] for row in data] == [s.school_id for s in expected]
    assert [row[-1] for row in data] == [form_file_name(s) for s in expected]


def cells_by_school(table: Path) -> dict[str, dict[str, str]]:
    """Each school's cells as `checker run` reads them from `table` (text as typed)."""
    inputs = load_inputs(table, (paths.DEFAULT_RULEBOOK,), paths.DEFAULT_OFFICE, "vi")
    return {row.cells["school_id"]: dict(row.cells) for row in inputs.table.rows}


def test_the_collected_table_and_a_run_on_the_folder_equal_the_hand_merged_table(
    returns: Returns, collected: Collected, tmp_path: Path
) -> None:
    figures = returns.figures
    skipped = {returns.missing, returns.twice, returns.wrong}
    by_hand = [
        {
            k: v
            for k, v in figures[s.school_id].items()
            if k in OFFICE or k in school_values(figures[s.school_id], s.levels)
        }
        for s in returns.roster.schools
        if s not in skipped
    ]
    merged = write_csv(tmp_path / "gop-tay.csv", by_hand)
    # The collected table reads cell for cell as the hand-merged one, so a run on it is a run
    # on the same input; `checker run FOLDER --roster` collects and runs in one go, and gives
    # the results the run's stages give for the hand-merged table.
    hand_cells = cells_by_school(merged)
    assert len(hand_cells) == len(by_hand) == 42
    assert cells_by_school(collected.out) == hand_cells
    result = run_semester(returns.folder, SEMESTER, tmp_path / "out", tmp_path / "h.db",
                          "--quiet", "--workers", "1", "--date", "2026-12-30",
                          "--roster", str(ROSTER), cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    from_folder = (tmp_path / "out" / "results.csv").read_text(encoding="utf-8-sig")
    by_hand_results = run_tables(merged)["results.csv"]
    assert from_folder == by_hand_results
    assert len(by_hand_results.splitlines()) > 42


def test_latest_takes_the_form_dated_last(returns: Returns, tmp_path: Path) -> None:
    out = tmp_path / "bang.xlsx"
    result = CliRunner().invoke(
        cli,
        ["collect", str(returns.folder), "--semester", SEMESTER, "--roster", str(ROSTER),
         "--out", str(out), "--latest", "--lang", "en"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    twice = returns.twice
    (row,) = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] == twice.school_id]
    assert row[-1] == "email/gui-lai.xlsx"
    assert row[[c.key for c in COLUMNS].index("students")] == "999"
    assert "the form dated 28/12/2026 is taken." in result.output  # the terminal says which


def test_nothing_usable_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "tra-ve"
    folder.mkdir()
    (folder / "hong.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "bang.xlsx"

    result = CliRunner().invoke(
        cli, ["collect", str(folder), "--semester", SEMESTER, "--out", str(out), "--quiet"]
    )

    assert result.exit_code == 2
    assert "hong.xlsx" in result.output
    assert not out.exists() and not (tmp_path / "collect-report.xlsx").exists()


@pytest.mark.parametrize("command", ["collect", "send"])
def test_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"checker {command}" in result.output


def test_an_own_sheet_without_title_is_taken_under_the_rosters_id_spelling(
    tmp_path: Path,
) -> None:
    figures = sample_rows()["08304016"]
    folder = tmp_path / "tra-ve"
    folder.mkdir()
    write_csv(folder / "bang-rieng.csv", [figures | {"school_id": "08304016 "}])
    roster = tmp_path / "ds.csv"
    roster.write_text(
        "Mã trường,Tên trường,Cấp học\nTH-16,x,Tiểu học\n08304016,Trường Tiểu học Thị trấn,Tiểu học\n",
        encoding="utf-8",
    )
    out = tmp_path / "bang.xlsx"

    result = CliRunner().invoke(
        cli, ["collect", str(folder), "--semester", SEMESTER, "--roster", str(roster),
              "--out", str(out), "--lang", "en"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "The title names no semester: taken as 2026-2027/HK1." in result.output
    assert "Not returned: TH-16" in result.output
    sheet = openpyxl.load_workbook(out).worksheets[0]
    (row,) = list(sheet.iter_rows(min_row=4, values_only=True))
    assert row[0] == "08304016" and row[-1] == "bang-rieng.csv"
