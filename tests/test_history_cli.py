"""`checker history` through click's CliRunner, on real SQLite files in tmp_path."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from checker.history import ResultRow, RunRecord, open_store, record_run
from checker.history_cli import history
from checker.model import Status
from checker.semester import Semester, parse_semester

SEMESTERS = ("2025-2026/HK1", "2025-2026/HK2", "2026-2027/HK1")
# school -> statuses per semester (None: the school is not in that semester's table)
STATUSES: dict[str, list[dict[str, Status] | None]] = {
    "08304007": [
        {"website": "met", "ioffice": "not_met", "computer_lab": "missing"},
        {"website": "met", "ioffice": "met", "computer_lab": "not_met"},
        {"website": "met", "ioffice": "met", "computer_lab": "met"},
    ],
    "08304011": [
        {"website": "not_met", "ioffice": "met", "computer_lab": "not_applicable"},
        {"website": "met", "ioffice": "met", "computer_lab": "not_applicable"},
        None,  # merged into another school
    ],
    "08304020": [
        None,  # opened this year
        None,
        {"website": "missing", "ioffice": "not_met", "computer_lab": "not_met"},
    ],
    "08304030": [{"website": "met", "ioffice": "not_met", "computer_lab": "not_met"}] * 3,
}


UNIT = "pgd-giong-trom"


def run(semester: Semester, number: int, unit_id: str = UNIT) -> RunRecord:
    return RunRecord(
        f"run-{number}-{unit_id}",
        unit_id,
        semester,
        f"2026-0{number}-01T08:00:00",
        f"{number}" * 64,
        "2026.1",
        "0.1.0",
        3,
        3,
        0,
        0,
        input_name=f"truong-hk{number}.xlsx",
    )


def rows(index: int) -> list[ResultRow]:
    return [
        ResultRow(school_id, f"Trường {school_id}", "thcs", criterion, status, "v")
        for school_id, per_semester in STATUSES.items()
        if (statuses := per_semester[index]) is not None
        for criterion, status in statuses.items()
    ]


@pytest.fixture
def db_path(history_url: str) -> str:
    """A history of three semesters of one unit: an SQLite file, or a PostgreSQL database."""
    engine = open_store(history_url)
    try:
        for index in (2, 0, 1):  # recorded out of order on purpose
            record_run(engine, run(parse_semester(SEMESTERS[index]), index + 1), rows(index))
    finally:
        engine.dispose()
    return history_url


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(history, list(args), env=env or {"CHECKER_DB": ""})


def test_table_lists_every_semester_in_order_with_rates(db_path: str) -> None:
    result = invoke("--db", str(db_path), "--lang", "en")
    assert result.exit_code == 0, result.output
    positions = [result.output.index(label) for label in SEMESTERS]
    assert positions == sorted(positions)
    # criteria are named in the chosen language, never by their ids
    for label in ("School website", "Documents handled through", "Computer room for teaching"):
        assert label in result.output
    assert "computer_lab" not in result.output and "ioffice" not in result.output
    hk1 = next(line for line in result.output.splitlines() if "2025-2026/HK1" in line)
    # website 2 of 3; computer_lab: one missing, one not met, one not applicable
    cells = [cell.strip() for cell in hk1.split("│")[1:5]]
    assert cells == ["2025-2026/HK1", "2/3 (66.7%)", "1/3 (33.3%)", "0/2 (0.0%)"]
    hk2 = next(line for line in result.output.splitlines() if "2025-2026/HK2" in line)
    assert "3/3 (100.0%)" in hk2


def test_table_in_vietnamese_uses_decimal_comma_and_vietnamese_names(db_path: str) -> None:
    result = invoke("--db", str(db_path))
    assert result.exit_code == 0, result.output
    assert "2/3 (66,7%)" in result.output
    assert "Phòng máy tính phục vụ dạy học" in result.output
    assert "computer_lab" not in result.output


def test_school_table_names_criteria_in_the_chosen_language(db_path: str) -> None:
    english = invoke("--db", str(db_path), "--school", "08304007", "--lang", "en")
    assert "Computer room for teaching" in english.output
    vietnamese = invoke("--db", str(db_path), "--school", "08304007")
    assert "Phòng máy tính phục vụ dạy học" in vietnamese.output
    assert "computer_lab" not in english.output + vietnamese.output


def test_a_criterion_no_longer_in_the_rulebook_keeps_its_id(db_path: str, tmp_path: Path) -> None:
    from checker import paths

    rules = tmp_path / "rules.toml"
    text = paths.DEFAULT_RULEBOOK.read_text(encoding="utf-8")
    rules.write_text(text.replace('id = "computer_lab"', 'id = "computer_room"'), encoding="utf-8")
    result = invoke("--db", str(db_path), "--rules", str(rules), "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "computer_lab" in result.output and "School website" in result.output


def test_db_comes_from_environment_when_no_option(db_path: str) -> None:
    result = invoke("--lang", "en", env={"CHECKER_DB": str(db_path)})
    assert result.exit_code == 0, result.output
    assert "2026-2027/HK1" in result.output


def test_csv_parses(db_path: str) -> None:
    result = invoke("--db", str(db_path), "--format", "csv")
    assert result.exit_code == 0, result.output
    records = list(csv.DictReader(io.StringIO(result.output)))
    assert len(records) == 3 * 3
    assert [r["semester"] for r in records[::3]] == list(SEMESTERS)
    first = records[0]
    assert (first["criterion"], first["met"], first["applicable"]) == ("website", "2", "3")
    assert first["rate"] == "0.6667"
    lab = records[2]  # computer_lab 2025-2026/HK1: missing, not met, not applicable
    assert (lab["met"], lab["applicable"], lab["rate"]) == ("0", "2", "0.0000")


def test_json_parses(db_path: str) -> None:
    result = invoke("--db", str(db_path), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [entry["semester"] for entry in data] == list(SEMESTERS)
    last = {c["criterion"]: c for c in data[2]["criteria"]}
    assert last["ioffice"] == {"criterion": "ioffice", "met": 1, "applicable": 3, "rate": 1 / 3}


def test_school_table_shows_statuses_and_absences(db_path: str) -> None:
    result = invoke("--db", str(db_path), "--school", "08304011", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Trường 08304011" in result.output
    assert "Not met" in result.output and "Not applicable" in result.output
    hk1 = next(line for line in result.output.splitlines() if "2025-2026/HK1" in line)
    assert "Not met" in hk1 and "1/2 (50.0%)" in hk1
    # the merged school is simply not in the last semester's table: said, not an error
    assert "Not in the school table of: 2026-2027/HK1" in result.output


def test_each_semester_names_its_input_file_and_sha256_prefix(db_path: str) -> None:
    table = invoke("--db", str(db_path), "--lang", "en")
    assert table.exit_code == 0, table.output
    for number, label in enumerate(SEMESTERS, start=1):
        line = next(line for line in table.output.splitlines() if label in line)
        assert f"truong-hk{number}.xlsx ({str(number) * 8})" in line
    as_csv = invoke("--db", str(db_path), "--format", "csv")
    records = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert {(r["semester"], r["input_file"], r["input_sha256"]) for r in records} == {
        (label, f"truong-hk{n}.xlsx", str(n) * 64) for n, label in enumerate(SEMESTERS, start=1)
    }
    as_json = json.loads(invoke("--db", str(db_path), "--format", "json").output)
    assert as_json[0]["input"] == {"file": "truong-hk1.xlsx", "sha256": "1" * 64}


def test_school_changes_to_or_from_missing_are_not_comparable(db_path: str) -> None:
    result = invoke("--db", str(db_path), "--school", "08304007")
    assert result.exit_code == 0, result.output
    hk2 = next(line for line in result.output.splitlines() if "2025-2026/HK2" in line)
    # ioffice: not met -> met is progress; computer_lab: missing -> not met is not a decline
    assert "Đạt ▲" in hk2
    assert "chưa so sánh được" in hk2
    assert "▼" not in result.output
    data = json.loads(
        invoke("--db", str(db_path), "--school", "08304007", "--format", "json").output
    )
    assert data["semesters"][0]["changes"] == {}
    assert data["semesters"][1]["changes"] == {
        "website": "unchanged",
        "ioffice": "improved",
        "computer_lab": "not_comparable",
    }
    assert data["semesters"][2]["changes"]["computer_lab"] == "improved"


def test_school_csv_and_json(db_path: str) -> None:
    as_csv = invoke("--db", str(db_path), "--school", "08304020", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    records = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [(r["semester"], r["criterion"], r["status"]) for r in records] == [
        ("2026-2027/HK1", "website", "missing"),
        ("2026-2027/HK1", "ioffice", "not_met"),
        ("2026-2027/HK1", "computer_lab", "not_met"),
    ]
    as_json = invoke("--db", str(db_path), "--school", "08304007", "--format", "json")
    data = json.loads(as_json.output)
    assert data["absent_from"] == []
    assert [s["semester"] for s in data["semesters"]] == list(SEMESTERS)
    assert data["semesters"][0]["statuses"]["computer_lab"] == "missing"
    assert data["semesters"][2]["score"] == 1.0


def test_unknown_school_exits_2_with_a_message(db_path: str) -> None:
    result = invoke("--db", str(db_path), "--school", "99999999", "--lang", "en")
    assert result.exit_code == 2
    assert "99999999 is not in the history" in result.stderr
    assert result.stdout == ""


def test_no_database_is_a_friendly_exit_0(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    result = invoke("--db", str(missing), "--lang", "en")
    assert result.exit_code == 0
    assert "No semesters recorded yet" in result.output
    assert not missing.exists()  # looking does not create a database


def test_empty_database_is_a_friendly_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    open_store(f"sqlite:///{path}").dispose()
    result = invoke("--db", str(path), "--lang", "en")
    assert result.exit_code == 0
    assert "No semesters recorded yet" in result.output


@pytest.mark.parametrize("create", [True, False], ids=["empty-database", "no-database"])
def test_json_and_csv_stay_machine_readable_when_nothing_is_recorded(
    tmp_path: Path, create: bool
) -> None:
    path = tmp_path / "empty.db"
    if create:
        open_store(f"sqlite:///{path}").dispose()
    as_json = invoke("--db", str(path), "--format", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == []
    as_csv = invoke("--db", str(path), "--format", "csv")
    assert as_csv.exit_code == 0
    assert list(csv.DictReader(io.StringIO(as_csv.stdout))) == []
    assert as_csv.stdout.startswith("unit,semester,criterion,")
    school = invoke("--db", str(path), "--format", "json", "--school", "08304007")
    assert school.exit_code == 2 and school.stdout == ""
    assert path.exists() == create  # looking does not create a database


def test_unusable_database_url_is_one_line_without_traceback() -> None:
    result = invoke("--db", "nosuchdialect://u:secret@host/db")
    assert result.exit_code == 1
    assert "cannot use the database URL" in result.output
    assert "secret" not in result.output
    assert "Traceback" not in result.output


def add_second_unit(url: str) -> None:
    """A second unit's runs of the first two semesters, with every school meeting everything."""
    engine = open_store(url)
    try:
        for index in (0, 1):
            good = [
                ResultRow(r.school_id, r.school_name, r.level, r.criterion, "met", "v")
                for r in rows(index)
            ]
            record_run(engine, run(parse_semester(SEMESTERS[index]), index + 1, "pgd-b"), good)
    finally:
        engine.dispose()


def test_several_units_need_unit_or_all_units(db_path: str) -> None:
    add_second_unit(db_path)
    unchosen = invoke("--db", db_path, "--lang", "en")
    assert unchosen.exit_code == 2
    assert "pgd-b, pgd-giong-trom" in unchosen.stderr and "--unit" in unchosen.stderr
    assert unchosen.stdout == ""
    one = invoke("--db", db_path, "--lang", "en", "--unit", "pgd-b", "--format", "json")
    assert one.exit_code == 0, one.output
    data = json.loads(one.stdout)
    assert [(e["unit"], e["semester"]) for e in data] == [("pgd-b", s) for s in SEMESTERS[:2]]
    assert all(c["rate"] == 1.0 for e in data for c in e["criteria"])
    unknown = invoke("--db", db_path, "--lang", "en", "--unit", "pgd-x")
    assert unknown.exit_code == 2 and "pgd-x" in unknown.stderr


def test_all_units_lists_each_units_rates_per_semester(db_path: str) -> None:
    add_second_unit(db_path)
    table = invoke("--db", db_path, "--lang", "en", "--all-units")
    assert table.exit_code == 0, table.output
    lines = [line for line in table.stdout.splitlines() if "/HK" in line]
    assert [(line.split("│")[1].strip(), line.split("│")[2].strip()) for line in lines] == [
        ("pgd-b", "2025-2026/HK1"),
        ("pgd-b", "2025-2026/HK2"),
        ("pgd-giong-trom", "2025-2026/HK1"),
        ("pgd-giong-trom", "2025-2026/HK2"),
        ("pgd-giong-trom", "2026-2027/HK1"),
    ]
    assert "3/3 (100.0%)" in lines[0] and "2/3 (66.7%)" in lines[2]
    records = list(
        csv.DictReader(
            io.StringIO(invoke("--db", db_path, "--all-units", "--format", "csv").stdout)
        )
    )
    assert {r["unit"] for r in records} == {"pgd-b", "pgd-giong-trom"}
    school = invoke("--db", db_path, "--unit", "pgd-b", "--school", "08304030", "--lang", "en")
    assert school.exit_code == 0, school.output
    # only pgd-b's semesters: it never recorded 2026-2027/HK1, so the school is not absent there
    assert "2025-2026/HK2" in school.output and "2026-2027/HK1" not in school.output
    both = invoke("--db", db_path, "--unit", "pgd-b", "--all-units")
    assert both.exit_code == 2


def test_an_unparsable_database_url_is_a_sentence() -> None:
    result = invoke("--db", "://")
    assert result.exit_code == 1
    assert "cannot use the database URL" in result.output
    assert "Traceback" not in result.output


def test_help_has_an_example() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "checker history --school 08304007" in result.output
    assert "--format [table|csv|json]" in result.output
