"""End to end: the sample district's semesters through the real CLI, outputs read back."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from conftest import (
    DATED_QUIET,
    PROJECT,
    SAMPLE,
    SAMPLE_SEMESTERS,
    pdf_pages,
    pdf_text,
    run_checker,
    run_semester,
)
from openpyxl import load_workbook

GOLDEN = PROJECT / "tests" / "golden" / "runs" / "sample_2026-2027_HK1.csv"


def read_results(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_every_school_gets_one_scorecard_and_the_district_a_summary(sample_run: Path) -> None:
    out = sample_run / "out-3"
    cards = sorted((out / "scorecards").glob("*.pdf"))
    assert len(cards) == 45
    for card in cards:
        assert pdf_pages(card) <= 2, f"{card.name} is more than two pages"
    assert (out / "summary.pdf").stat().st_size > 10_000
    for name in ("results.json", "manifest.json", "data-quality.xlsx", "data-quality.csv"):
        assert (out / name).exists(), name


def test_results_match_the_golden_statuses(sample_run: Path) -> None:
    """The golden file was checked by hand against the rulebook for the sample's edge rows."""
    with GOLDEN.open(encoding="utf-8") as handle:
        golden = {(r["school_id"], r["criterion"]): r["status"] for r in csv.DictReader(handle)}
    found = {
        (r["school_id"], r["criterion"]): r["status"] for r in read_results(sample_run / "out-3")
    }
    assert found == golden


def test_edge_rows_of_the_sample_have_the_expected_status(sample_run: Path) -> None:
    found = {(r["school_id"], r["criterion"]): r for r in read_results(sample_run / "out-3")}
    assert found[("08304027", "ioffice")]["status"] == "met"  # exactly 90
    assert found[("08304045", "ioffice")]["status"] == "not_met"  # 89.9
    assert found[("08304031", "computer_lab")]["status"] == "met"  # 20 computers
    assert found[("08304017", "computer_lab")]["status"] == "not_met"  # 19 computers
    assert found[("08304029", "computer_lab")]["status"] == "missing"  # "hai mươi"
    assert found[("08304038", "ioffice")]["status"] == "missing"  # 130
    assert found[("08304001", "computer_lab")]["status"] == "not_applicable"  # preschool


def test_scorecard_names_its_school_in_real_text(sample_run: Path) -> None:
    rows = read_results(sample_run / "out-3")
    names = {r["school_id"]: r["school_name"] for r in rows}
    for school_id, name in list(names.items())[:45:7]:
        text = pdf_text(sample_run / "out-3" / "scorecards" / f"{school_id}.pdf")
        assert name in text
        assert school_id in text
        assert "THÔNG BÁO" in text
        assert "Giồng Trôm, ngày 29 tháng 11 năm 2026" in text


def test_scorecard_shows_the_data_problem_of_its_row(sample_run: Path) -> None:
    text = " ".join(pdf_text(sample_run / "out-3" / "scorecards" / "08304029.pdf").split())
    assert "hai mươi" in text
    assert "Số liệu không hợp lệ" in text


def test_summary_reports_each_criterion_against_its_target(sample_run: Path) -> None:
    text = pdf_text(sample_run / "out-3" / "summary.pdf")
    assert "43/45 trường đạt (95,6%) — chỉ tiêu 100% số trường" in " ".join(text.split())
    assert "Trường cần quan tâm" in text
    for short in ("HK I 25-26", "HK II 25-26", "HK I 26-27"):  # the trend chart's semesters
        assert short in text


def test_manifest_hashes_match_the_files(sample_run: Path) -> None:
    out = sample_run / "out-3"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    source = SAMPLE / "giong_trom_2026-2027_HK1.xlsx"
    assert manifest["input"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (
        manifest["counts"]["rows_read"]
        == manifest["counts"]["scorecards"] + manifest["counts"]["rejected"]
    )
    # 45 scorecards, summary.pdf/.docx, results.csv/.json/.xlsx, data-quality.xlsx/.csv, and
    # a data-quality workbook per school with problems
    per_school = sorted(p.relative_to(out).as_posix() for p in (out / "data-quality").iterdir())
    assert per_school
    assert len(manifest["outputs"]) == 45 + 7 + len(per_school)
    assert set(per_school) <= set(manifest["outputs"])
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name


def test_a_data_quality_workbook_for_each_school_with_problems_and_none_for_the_others(
    sample_run: Path,
) -> None:
    out = sample_run / "out-3"
    with (out / "data-quality.csv").open(encoding="utf-8-sig") as handle:
        problems = list(csv.reader(handle))[1:]
    with_problems = {row[0] for row in problems}
    assert 0 < len(with_problems) < 45
    files = {p.stem for p in (out / "data-quality").iterdir()}
    assert files == with_problems
    for school_id in sorted(with_problems):
        sheet = load_workbook(out / "data-quality" / f"{school_id}.xlsx").worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert school_id in str(rows[0][0])
        assert "Trần Thị Bích" in " ".join(str(r[0]) for r in rows[:5])  # office.toml's contact
        assert "29/12/2026" in " ".join(str(r[0]) for r in rows[:5])  # 30 days after the run
        header = next(n for n, r in enumerate(rows) if r[0] == "Cột")
        expected = [(r[3], r[4]) for r in problems if r[0] == school_id]
        assert [(r[0], r[1] or "") for r in rows[header + 1 :]] == expected


def test_last_semester_scorecards_show_progress(sample_run: Path) -> None:
    first = pdf_text(sample_run / "out-1" / "scorecards" / "08304001.pdf")
    assert "Chưa có học kỳ nào trước đó" in " ".join(first.split())
    changes = 0
    for card in sorted((sample_run / "out-3" / "scorecards").glob("*.pdf")):
        text = " ".join(pdf_text(card).split())
        assert "Học kỳ trước (Học kỳ II năm học 2025-2026)" in text, card.name
        changes += ("Tiến bộ" in text) + ("Giảm" in text)
    assert changes > 0


def test_history_holds_three_semesters(sample_run: Path) -> None:
    with sqlite3.connect(sample_run / "history.db") as db:
        semesters = [r[0] for r in db.execute("select distinct semester from results order by 1")]
        per_semester = db.execute("select count(*) from results group by semester").fetchall()
    assert semesters == ["2025-2026/HK1", "2025-2026/HK2", "2026-2027/HK1"]
    assert per_semester == [(45 * 6,)] * 3
    listing = run_checker(
        "history", "--db", sample_run / "history.db", "--format", "csv", cwd=sample_run
    )
    assert listing.returncode == 0
    listed = {row["semester"] for row in csv.DictReader(listing.stdout.splitlines())}
    assert listed == {"2025-2026/HK1", "2025-2026/HK2", "2026-2027/HK1"}


def test_same_input_same_day_gives_identical_bytes(sample_run: Path, tmp_path: Path) -> None:
    """The sample's first semester again, with one render worker instead of the shared run's
    two, into a fresh history: every file has the same bytes."""

    def digests(out: Path) -> dict[Path, str]:
        return {
            p.relative_to(out): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in out.rglob("*")
            if p.is_file()
        }

    name, semester = SAMPLE_SEMESTERS[0]
    out = tmp_path / "out"
    result = run_semester(
        SAMPLE / name, semester, out, tmp_path / "h.db", *DATED_QUIET, "--workers", "1",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(list((out / "scorecards").glob("*.pdf"))) == 45
    assert digests(out) == digests(sample_run / "out-1")


def semester_rows(db_path: Path) -> dict[str, list[tuple[str, ...]]]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "select semester, school_id, criterion, status, value from results order by 1, 2, 3"
        ).fetchall()
    grouped: dict[str, list[tuple[str, ...]]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def test_rerunning_the_middle_semester_changes_nothing_else(
    sample_run: Path, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    shutil.copy(sample_run / "history.db", db)
    before = semester_rows(db)
    edited = tmp_path / "hk2.csv"
    lines = (SAMPLE / "giong_trom_2025-2026_HK2.csv").read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[7] = "12"  # the first school's iOffice share, now far below 90
    edited.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_semester(edited, "2025-2026/HK2", out, db, "--quiet", "--replace", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = semester_rows(db)
    assert after["2025-2026/HK1"] == before["2025-2026/HK1"]
    assert after["2026-2027/HK1"] == before["2026-2027/HK1"]
    changed = set(after["2025-2026/HK2"]) ^ set(before["2025-2026/HK2"])
    assert {(r[1], r[2]) for r in changed} == {(first[0], "ioffice")}
    with sqlite3.connect(db) as connection:
        assert connection.execute("select count(*) from runs").fetchone() == (4,)


def test_new_and_departed_schools_are_reported_not_errors(sample_run: Path, tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    shutil.copy(sample_run / "history.db", db)
    lines = (SAMPLE / "giong_trom_2026-2027_HK1.csv").read_text(encoding="utf-8").splitlines()
    newcomer = lines[1].split(",")
    newcomer[0], newcomer[1] = "08304999", "Trường Tiểu học Mới Thành Lập"
    table = tmp_path / "next.csv"
    # Every fourth school but the first (11 of the 44 others), and the newcomer.
    kept = lines[5::4]
    table.write_text("\n".join([lines[0], *kept, ",".join(newcomer)]) + "\n", encoding="utf-8")
    result = run_semester(table, "2026-2027/HK2", tmp_path / "out", db, "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    card = " ".join(pdf_text(tmp_path / "out" / "scorecards" / "08304999.pdf").split())
    assert "trường mới" in card
    summary = " ".join(pdf_text(tmp_path / "out" / "summary.pdf").split())
    assert "08304999" in summary
    assert lines[1].split(",")[0] in summary  # the school missing from this table is named
