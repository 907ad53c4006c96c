"""The command line as a user meets it: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import csv
import os
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import (
    DATED_QUIET,
    Finished,
    check_table,
    pdf_pages,
    pdf_text,
    run_checker,
    run_semester,
    sample_part,
    school,
    start_checker,
    write_csv,
)

from checker.cli import cli


@pytest.mark.parametrize("command", [[], ["run"], ["template"], ["history"]])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert re.search(r"Examples?:\n\s+checker \w", result.output)  # a command line under it


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Finished, Path]:
    """`checker run` on three schools, the last one far from every target; returns the
    finished command and the folder it ran in."""
    folder = tmp_path_factory.mktemp("small")
    rows = [
        school(),
        school(school_id="08304008", school_name="Trường Tiểu học Châu Hòa", level="Tiểu học"),
        school(
            school_id="08304009", ioffice_share="10", website_url="chưa có", computers="hai mươi"
        ),
    ]
    return check_table(write_csv(folder / "schools.csv", rows), folder), folder


def test_a_small_run_completes_with_exit_0_and_reconciles_rows(
    small_run: tuple[Finished, Path],
) -> None:
    result, folder = small_run
    assert result.returncode == 0, result.stderr
    assert "Đọc 3 dòng: 3 phiếu đánh giá + 0 dòng bị loại." in result.stdout
    assert sorted(p.name for p in (folder / "out" / "scorecards").iterdir()) == [
        "08304007.pdf",
        "08304008.pdf",
        "08304009.pdf",
    ]


def test_english_output_with_lang_en(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "schools.csv", [school()])
    result = check_table(source, tmp_path, "--lang", "en")
    assert result.returncode == 0, result.stderr
    text = pdf_text(tmp_path / "out" / "scorecards" / "08304007.pdf")
    assert "NOTICE" in text
    assert "95%" in text


def test_non_compliant_schools_still_exit_0(small_run: tuple[Finished, Path]) -> None:
    result, folder = small_run
    assert result.returncode == 0, result.stderr
    with (folder / "out" / "results.csv").open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if r["school_id"] == "08304009"]
    statuses = {r["criterion"]: r["status"] for r in rows}
    assert statuses["ioffice"] == "not_met"
    assert statuses["website"] == "not_met"
    assert statuses["computer_lab"] == "missing"


def unusable(tmp_path: Path, source: Path, *extra: str) -> Finished:
    """Run on an unusable input and check the common promises: exit 2, one line, nothing written."""
    out = tmp_path / "out"
    result = run_semester(source, "2026-2027/HK1", out, tmp_path / "h.db", *extra, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not out.exists(), "nothing may be written for an unusable input"
    assert not (tmp_path / "h.db").exists()
    return result


def test_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = unusable(tmp_path, tmp_path / "khong-co.xlsx")
    assert "khong-co.xlsx" in result.stderr


def test_missing_column_exits_2_naming_key_and_header(tmp_path: Path) -> None:
    source = tmp_path / "s.csv"
    write_csv(source, [school()])
    lines = source.read_text(encoding="utf-8").splitlines()
    cut = [",".join(line.split(",")[:7] + line.split(",")[8:]) for line in lines]  # drop iOffice
    source.write_text("\n".join(cut) + "\n", encoding="utf-8")
    result = unusable(tmp_path, source)
    assert "ioffice_share" in result.stderr
    assert "Tỷ lệ văn bản qua iOffice (%)" in result.stderr


def test_duplicate_ids_exit_2_with_their_rows(tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "s.csv", [school(), school(school_name="Trường khác"), school(school_id="1")]
    )
    result = unusable(tmp_path, source)
    assert "08304007 (2, 3)" in result.stderr  # the id, then the rows that hold it
    assert "(4)" not in result.stderr  # school "1" on row 4 is not a duplicate


def test_unsafe_school_id_exits_2(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "s.csv", [school(school_id="../../etc/passwd")])
    result = unusable(tmp_path, source)
    assert "../../etc/passwd" in result.stderr


def test_corrupt_spreadsheet_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "bang.xlsx"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    result = unusable(tmp_path, source)
    assert "bang.xlsx" in result.stderr


def test_bad_rulebook_exits_2_naming_it(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "s.csv", [school()])
    rules = tmp_path / "rules.toml"
    rules.write_text('version = "x"\n[[criteria]]\nid = "a"\n', encoding="utf-8")
    result = unusable(tmp_path, source, "--rules", str(rules))
    assert "rules.toml" in result.stderr


def test_bad_semester_label_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "s.csv", [school()])
    result = run_checker(
        "run", source, "--semester", "2026/HK3", "--out", tmp_path / "out", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "2026-2027/HK1" in result.stderr
    assert not (tmp_path / "out").exists()


def test_template_writes_a_workbook_that_runs_clean(tmp_path: Path) -> None:
    form = tmp_path / "mau.xlsx"
    assert run_checker("template", form, cwd=tmp_path).returncode == 0
    from openpyxl import load_workbook

    workbook = load_workbook(form)
    sheet = workbook.worksheets[0]
    header_row = next(
        r for r in sheet.iter_rows(min_row=1, max_row=10) if any(c.value == "Mã trường" for c in r)
    )
    row = int(header_row[0].row or 0) + 1
    values: list[str | int] = [
        "08304007",
        "Trường THCS Hưng Nhượng",
        "THCS",
        "Hưng Nhượng",
        "Nguyễn Thị Hồng",
        400,
        "https://thcshn.edu.vn",
        95,
        "Có",
        1,
        25,
        "Có",
        "Có",
        "Có",
    ]
    for column, value in enumerate(values, start=1):
        sheet.cell(row=row, column=column, value=value)
    workbook.save(form)
    result = check_table(form, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "scorecards" / "08304007.pdf").exists()
    with (tmp_path / "out" / "data-quality.csv").open(encoding="utf-8-sig") as handle:
        assert list(csv.DictReader(handle)) == []


def test_interrupted_run_leaves_no_truncated_pdf_and_a_rerun_completes(tmp_path: Path) -> None:
    source = sample_part("giong_trom_2026-2027_HK1.csv", tmp_path, every=2)  # 23 schools
    schools = len(source.read_text(encoding="utf-8").splitlines()) - 1
    out = tmp_path / "out"
    arguments = (
        "run", source, "--semester", "2026-2027/HK1", "--out", out, "--db", tmp_path / "h.db",
        "--quiet",
    )  # fmt: skip
    process = start_checker(*arguments, cwd=tmp_path, new_session=True)
    staged = out / f".checker-run-{process.pid}" / "scorecards"  # the run's own staging folder
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(staged.glob("*.pdf"))) < 3:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the whole run, workers included, mid-way
    assert process.wait().returncode == -signal.SIGKILL
    assert 3 <= len(list(staged.glob("*.pdf"))) < schools
    assert not list(out.glob("scorecards/*.pdf")), "a run's outputs appear all at once"
    rerun = run_checker(*arguments, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    cards = list((out / "scorecards").glob("*.pdf"))
    assert len(cards) == schools
    for card in cards:
        assert card.read_bytes().rstrip().endswith(b"%%EOF"), card.name
    assert pdf_pages(cards[0]) <= 2
    assert not list(out.rglob("*.part")), "temporary files must not survive a completed run"
    assert not list(out.glob(".checker*")), "the dead run's staging folder and lock are gone"


def test_running_the_same_semester_twice_succeeds_both_times(tmp_path: Path) -> None:
    # `make run` run twice: the same input on the same day is the same run (same run id).
    source = sample_part("giong_trom_2025-2026_HK1.csv", tmp_path, every=12)  # 4, every level
    out, db = tmp_path / "out", tmp_path / "h.db"
    arguments = (source, "2025-2026/HK1", out, db, *DATED_QUIET)
    first = run_semester(*arguments, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    manifest = (tmp_path / "out" / "manifest.json").read_bytes()
    second = run_semester(*arguments, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "out" / "manifest.json").read_bytes() == manifest
    with sqlite3.connect(tmp_path / "h.db") as connection:
        logged = connection.execute("SELECT semester FROM runs").fetchall()
    assert logged == [("2025-2026/HK1",)]  # one run, logged once
