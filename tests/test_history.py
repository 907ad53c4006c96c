"""The history store, against real SQLite files built in tmp_path."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from conftest import DATED_QUIET, check_table, run_checker, run_semester, school, write_csv
from sqlalchemy import Engine, create_engine, inspect, text

from checker import paths
from checker.history import (
    DEFAULT_DB_FILE,
    MIGRATIONS_DIR,
    ResultRow,
    RunRecord,
    SemesterAlreadyRecorded,
    StoreError,
    current_runs,
    database_url,
    display_url,
    district_trend,
    guard_semester,
    metadata,
    open_store,
    previous_semester,
    record_run,
    recorded_semesters,
    recorded_units,
    run_log,
    school_history,
    score_of,
    sqlite_file,
    statuses_for,
    trend_criteria,
    unit_trends,
)
from checker.model import Status, progress
from checker.semester import Semester, parse_semester

UNIT = "pgd-giong-trom"
OTHER_UNIT = "pgd-mo-cay-nam"
HK1_2025 = parse_semester("2025-2026/HK1")
HK2_2025 = parse_semester("2025-2026/HK2")
HK1_2026 = parse_semester("2026-2027/HK1")


def run_for(
    semester: Semester,
    run_id: str,
    started_at: str = "2026-11-29T08:00:00",
    input_sha256: str = "ab" * 32,
    input_name: str = "hk.xlsx",
    unit_id: str = UNIT,
) -> RunRecord:
    """A run log entry with believable counts."""
    return RunRecord(
        run_id=run_id,
        unit_id=unit_id,
        semester=semester,
        started_at=started_at,
        input_sha256=input_sha256,
        rulebook_version="2026.1",
        checker_version="0.1.0",
        rows_read=3,
        schools=3,
        rejected=0,
        problems=1,
        input_name=input_name,
    )


def rows_of(statuses: dict[str, dict[str, Status]]) -> list[ResultRow]:
    """ResultRows from school_id -> criterion -> status (names and levels made up)."""
    levels = {"MN01": "mam_non", "TH01": "tieu_hoc", "THCS01": "thcs", "TH02": "tieu_hoc"}
    return [
        ResultRow(
            school_id, f"Trường {school_id}", levels.get(school_id), criterion, status, value="x"
        )
        for school_id, by_criterion in statuses.items()
        for criterion, status in by_criterion.items()
    ]


FIRST: dict[str, dict[str, Status]] = {
    "MN01": {"website": "met", "ioffice": "not_met", "computer_lab": "not_applicable"},
    "TH01": {"website": "not_met", "ioffice": "met", "computer_lab": "missing"},
    "THCS01": {"website": "met", "ioffice": "met", "computer_lab": "not_met"},
}
SECOND: dict[str, dict[str, Status]] = {
    "MN01": {"website": "met", "ioffice": "met", "computer_lab": "not_applicable"},
    "TH01": {"website": "met", "ioffice": "met", "computer_lab": "met"},
    "THCS01": {"website": "not_met", "ioffice": "met", "computer_lab": "not_met"},
}
THIRD: dict[str, dict[str, Status]] = {  # THCS01 merged away, TH02 opened
    "MN01": {"website": "met", "ioffice": "met", "computer_lab": "not_applicable"},
    "TH01": {"website": "met", "ioffice": "met", "computer_lab": "met"},
    "TH02": {"website": "missing", "ioffice": "not_met", "computer_lab": "not_met"},
}


@pytest.fixture
def db_url(history_url: str) -> str:
    """An empty history database: SQLite, and PostgreSQL when a server is given."""
    return history_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    store = open_store(db_url)
    yield store
    store.dispose()


def dump(target: Engine | Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every history table (an Engine's database, or an SQLite file)."""
    engine = target if isinstance(target, Engine) else create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            return {
                table: sorted(
                    tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))
                )
                for table in ("semesters", "runs", "results")
            }
    finally:
        if not isinstance(target, Engine):
            engine.dispose()


def head_revision() -> str:
    """The newest migration's revision, as Alembic finds it in checker/migrations."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


# --- where the database is --------------------------------------------------------------------


def test_database_url_defaults_to_checker_db_in_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url(None, {}) == f"sqlite:///{tmp_path.resolve() / DEFAULT_DB_FILE}"


def test_database_url_prefers_option_then_environment(tmp_path: Path) -> None:
    env = {"CHECKER_DB": str(tmp_path / "env.db")}
    assert database_url(None, env) == f"sqlite:///{(tmp_path / 'env.db').resolve()}"
    assert database_url(str(tmp_path / "opt.db"), env) == f"sqlite:///{tmp_path / 'opt.db'}"
    assert database_url("postgresql://u:p@host/db", env) == "postgresql://u:p@host/db"
    assert database_url(None, {"CHECKER_DB": "sqlite:///x.db"}) == "sqlite:///x.db"


def test_sqlite_file_and_display_url() -> None:
    assert sqlite_file("sqlite:////tmp/a/b.db") == Path("/tmp/a/b.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("postgresql://u@h/db") is None
    assert "secret" not in display_url("postgresql://u:secret@host/db")
    assert "host/db" in display_url("postgresql://u:secret@host/db")


# --- migrations ----------------------------------------------------------------------------


def test_migrations_create_the_schema_on_a_fresh_file(tmp_path: Path) -> None:
    db_path = tmp_path / "fresh.db"
    assert not db_path.exists()
    store = open_store(f"sqlite:///{db_path}")
    try:
        tables = set(inspect(store).get_table_names())
    finally:
        store.dispose()
    assert db_path.exists()
    assert {"semesters", "runs", "results", "alembic_version"} <= tables


def test_migrated_schema_matches_the_query_tables(engine: Engine) -> None:
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        migrated = [c["name"] for c in inspector.get_columns(table.name)]
        assert migrated == [c.name for c in table.columns], table.name
    assert inspector.get_pk_constraint("results")["constrained_columns"] == [
        "unit_id",
        "semester",
        "school_id",
        "criterion",
    ]


def test_a_second_open_is_idempotent_and_keeps_the_data(db_url: str) -> None:
    first = open_store(db_url)
    record_run(first, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(first)
    first.dispose()
    second = open_store(db_url)
    try:
        assert recorded_semesters(second) == [HK1_2025]
        assert dump(second) == before
        with second.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version"))
            assert versions.fetchall() == [(head_revision(),)]
    finally:
        second.dispose()


def test_open_store_reports_an_unusable_database_plainly(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open or update the history database"):
        open_store(f"sqlite:///{tmp_path / 'a-file' / 'x.db'}")
    with pytest.raises(StoreError, match="cannot use the database URL"):
        open_store("nosuchdialect://u:secret@host/db")


def test_open_store_creates_the_folder_of_a_new_sqlite_file(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'out' / 'checker.db'}")
    engine.dispose()
    assert (tmp_path / "out" / "checker.db").is_file()


# --- recording and reading back -------------------------------------------------------------


def test_two_semesters_recorded_out_of_order_read_back_in_order(engine: Engine) -> None:
    record_run(engine, run_for(HK2_2025, "r-hk2"), rows_of(SECOND))
    record_run(engine, run_for(HK1_2025, "r-hk1"), rows_of(FIRST))
    assert recorded_semesters(engine) == [HK1_2025, HK2_2025]
    assert statuses_for(engine, UNIT, HK1_2025) == FIRST
    assert statuses_for(engine, UNIT, HK2_2025) == SECOND
    assert statuses_for(engine, UNIT, HK1_2026) == {}


def test_three_semesters_and_previous_semester(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2026, "r3"), rows_of(THIRD))
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2"), rows_of(SECOND))
    assert recorded_semesters(engine) == [HK1_2025, HK2_2025, HK1_2026]
    assert previous_semester(engine, UNIT, HK1_2026) == HK2_2025
    assert previous_semester(engine, UNIT, HK2_2025) == HK1_2025
    assert previous_semester(engine, UNIT, HK1_2025) is None
    assert previous_semester(engine, UNIT, parse_semester("2030-2031/HK1")) == HK1_2026


def test_statuses_keep_rulebook_order(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    assert list(statuses_for(engine, UNIT, HK1_2025)["TH01"]) == [
        "website",
        "ioffice",
        "computer_lab",
    ]


def test_district_trend_counts_met_and_applicable(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2026, "r3"), rows_of(THIRD))
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2"), rows_of(SECOND))
    trend = district_trend(engine, UNIT)
    assert [t.semester for t in trend] == [HK1_2025, HK2_2025, HK1_2026]
    assert [r.criterion for r in trend[0].rates] == ["website", "ioffice", "computer_lab"]
    counts = {(str(t.semester), r.criterion): (r.met, r.applicable) for t in trend for r in t.rates}
    assert counts[("2025-2026/HK1", "website")] == (2, 3)
    assert counts[("2025-2026/HK1", "ioffice")] == (2, 3)
    # MN01 is not applicable; TH01 missing counts as applicable and not met
    assert counts[("2025-2026/HK1", "computer_lab")] == (0, 2)
    assert counts[("2025-2026/HK2", "computer_lab")] == (1, 2)
    assert counts[("2026-2027/HK1", "website")] == (2, 3)
    rate = trend[1].rate_for("ioffice")
    assert rate is not None and rate.rate == 1.0
    assert trend[1].rate_for("no_such_criterion") is None
    assert trend_criteria(trend) == ["website", "ioffice", "computer_lab"]


def test_school_history_shows_only_semesters_the_school_was_in(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2"), rows_of(SECOND))
    record_run(engine, run_for(HK1_2026, "r3"), rows_of(THIRD))
    merged = school_history(engine, UNIT, "THCS01")
    assert [e.semester for e in merged] == [HK1_2025, HK2_2025]
    assert merged[1].statuses == SECOND["THCS01"]
    assert (merged[1].met, merged[1].applicable) == (1, 3)
    assert merged[0].school_name == "Trường THCS01" and merged[0].level == "thcs"
    opened = school_history(engine, UNIT, "TH02")
    assert [e.semester for e in opened] == [HK1_2026]
    assert opened[0].score == 0.0
    assert school_history(engine, UNIT, "NOPE") == []


def test_rerun_replaces_the_semester_and_keeps_both_runs(engine: Engine, tmp_path: Path) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2", "2026-11-30T08:00:00"), rows_of(SECOND))
    other_semester = dump(engine)["results"]
    other_semester = [row for row in other_semester if row[1] == "2025-2026/HK2"]

    fixed = {"MN01": FIRST["MN01"], "TH01": {**FIRST["TH01"], "computer_lab": "met"}}
    record_run(engine, run_for(HK1_2025, "r1-again", "2026-12-01T08:00:00"), rows_of(fixed))

    assert statuses_for(engine, UNIT, HK1_2025) == fixed  # THCS01's old rows are gone too
    assert statuses_for(engine, UNIT, HK2_2025) == SECOND
    after = dump(engine)["results"]
    assert [row for row in after if row[1] == "2025-2026/HK2"] == other_semester
    log = run_log(engine)
    assert [r.run_id for r in log] == ["r1", "r2", "r1-again"]
    assert log[0] == run_for(HK1_2025, "r1")
    assert recorded_semesters(engine) == [HK1_2025, HK2_2025]
    with engine.connect() as connection:
        run_ids = connection.execute(
            text("SELECT DISTINCT run_id FROM results WHERE semester = '2025-2026/HK1'")
        ).fetchall()
    assert run_ids == [("r1-again",)]


@pytest.mark.parametrize(
    "bad_rows",
    [
        # the second row repeats (school, criterion): fails after the old rows were deleted
        [
            ResultRow("MN01", "A", "mam_non", "website", "met", "x"),
            ResultRow("MN01", "A", "mam_non", "website", "not_met", "y"),
        ],
        # a status the schema does not allow
        [ResultRow("MN01", "A", "mam_non", "website", "bogus", "x")],  # type: ignore[arg-type]
    ],
)
def test_a_failing_rerun_leaves_the_database_unchanged(
    engine: Engine, tmp_path: Path, bad_rows: Sequence[ResultRow]
) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(engine)
    with pytest.raises(StoreError, match="unchanged"):
        record_run(engine, run_for(HK1_2025, "r2"), bad_rows)
    assert dump(engine) == before
    assert statuses_for(engine, UNIT, HK1_2025) == FIRST
    assert [r.run_id for r in run_log(engine)] == ["r1"]


def test_a_failing_first_run_of_a_semester_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(engine)
    duplicated = [*rows_of(SECOND), rows_of(SECOND)[0]]
    with pytest.raises(StoreError):
        record_run(engine, run_for(HK2_2025, "r2"), duplicated)
    assert dump(engine) == before
    assert recorded_semesters(engine) == [HK1_2025]


def test_repeating_the_very_same_run_updates_its_log_entry(engine: Engine) -> None:
    # Same input, rules, checker, semester and day give the same run id: running it again
    # (after a printer jam, say) must not fail, nor log the run twice.
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2", "2026-11-29T09:00:00"), rows_of(SECOND))
    record_run(engine, run_for(HK1_2025, "r1", "2026-11-29T10:00:00"), rows_of(FIRST))
    assert [(r.run_id, r.started_at) for r in run_log(engine)] == [
        ("r2", "2026-11-29T09:00:00"),
        ("r1", "2026-11-29T10:00:00"),
    ]
    assert statuses_for(engine, UNIT, HK1_2025) == FIRST
    assert statuses_for(engine, UNIT, HK2_2025) == SECOND


def test_a_reused_run_id_is_refused(engine: Engine, tmp_path: Path) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(engine)
    with pytest.raises(StoreError, match="r1"):
        record_run(engine, run_for(HK2_2025, "r1"), rows_of(SECOND))
    assert dump(engine) == before


# --- units sharing one database ------------------------------------------------------------


def test_two_units_record_the_same_semester_and_both_are_kept(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "a1"), rows_of(FIRST))
    other = run_for(HK1_2025, "b1", input_sha256=OTHER_SHA, unit_id=OTHER_UNIT)
    record_run(engine, other, rows_of(SECOND))  # another unit's file: no --replace needed
    assert recorded_units(engine) == [UNIT, OTHER_UNIT]
    assert statuses_for(engine, UNIT, HK1_2025) == FIRST
    assert statuses_for(engine, OTHER_UNIT, HK1_2025) == SECOND
    # a rerun of one unit replaces only that unit's semester
    fixed = run_for(HK1_2025, "a2", "2026-12-01T08:00:00", OTHER_SHA, "fixed.xlsx")
    record_run(engine, fixed, rows_of(THIRD), replace=True)
    assert statuses_for(engine, UNIT, HK1_2025) == THIRD
    assert statuses_for(engine, OTHER_UNIT, HK1_2025) == SECOND
    trends = unit_trends(engine)
    assert list(trends) == [UNIT, OTHER_UNIT]
    assert district_trend(engine, OTHER_UNIT) == trends[OTHER_UNIT]
    website = district_trend(engine, OTHER_UNIT)[0].rate_for("website")
    assert website is not None and (website.met, website.applicable) == (2, 3)


def test_previous_semester_and_school_history_stay_within_the_unit(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "a1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "b2", unit_id=OTHER_UNIT), rows_of(SECOND))
    assert previous_semester(engine, UNIT, HK1_2026) == HK1_2025
    assert previous_semester(engine, OTHER_UNIT, HK1_2026) == HK2_2025
    assert previous_semester(engine, OTHER_UNIT, HK2_2025) is None
    assert [e.semester for e in school_history(engine, OTHER_UNIT, "TH01")] == [HK2_2025]
    assert recorded_semesters(engine, OTHER_UNIT) == [HK2_2025]
    assert recorded_semesters(engine) == [HK1_2025, HK2_2025]


def upgrade_to(url: str, revision: str) -> Engine:
    """An Engine on `url` with the schema of an older revision (a database from before)."""
    from alembic import command
    from alembic.config import Config

    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return engine


def test_a_database_from_before_units_is_brought_along(db_url: str) -> None:
    old = upgrade_to(db_url, "0002")
    with old.begin() as connection:
        connection.execute(text("INSERT INTO semesters VALUES ('2025-2026/HK1', 2025, 1)"))
        connection.execute(
            text(
                "INSERT INTO runs (run_id, semester, started_at, input_sha256, rulebook_version,"
                " checker_version, rows_read, schools, rejected, problems, input_name) VALUES"
                " ('old', '2025-2026/HK1', '2026-01-05T08:00:00', :sha, '2026.1', '0.1.0',"
                " 1, 1, 0, 0, NULL)"
            ),
            {"sha": "ef" * 32},
        )
        connection.execute(
            text(
                "INSERT INTO results VALUES ('2025-2026/HK1', 'TH01', 'Trường TH01', 'tieu_hoc',"
                " 'website', 0, 'met', 'Có', 'old')"
            )
        )
    old.dispose()
    engine = open_store(db_url, "pgd-cho-lach")  # the unit in the upgrading run's settings
    try:
        assert [(r.run_id, r.unit_id, r.input_name) for r in run_log(engine)] == [
            ("old", "pgd-cho-lach", None)
        ]
        assert statuses_for(engine, "pgd-cho-lach", HK1_2025) == {"TH01": {"website": "met"}}
        assert current_runs(engine)[("pgd-cho-lach", HK1_2025)].input_label == "? (efefefef)"
        # and the upgraded database takes new units' runs
        record_run(engine, run_for(HK1_2025, "new", unit_id=OTHER_UNIT), rows_of(FIRST))
        assert recorded_units(engine) == ["pgd-cho-lach", OTHER_UNIT]
    finally:
        engine.dispose()


CONCURRENT_RUN = """
import sys, time
from pathlib import Path
from checker.history import ResultRow, RunRecord, open_store, record_run
from checker.semester import parse_semester

url, unit, number, folder = sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])
(folder / f"ready-{number}").touch()
while not (folder / "go").exists():
    time.sleep(0.002)
engine = open_store(url, unit)
run = RunRecord(
    run_id=f"run-{number}", unit_id=unit, semester=parse_semester("2026-2027/HK1"),
    started_at=f"2026-12-01T08:00:0{number}", input_sha256="ab" * 32,
    rulebook_version="2026.1", checker_version="0.1.0", rows_read=1, schools=1, rejected=0,
    problems=0, input_name="hk1.xlsx",
)
record_run(engine, run, [ResultRow("S1", "Trường S1", "thcs", "website", "met", "Có")])
engine.dispose()
"""


def test_four_processes_recording_into_a_fresh_database_all_succeed(
    db_url: str, tmp_path: Path
) -> None:
    # Two units, two processes each, the same new semester, all released at the same moment
    # into a database that has no schema yet: nobody may fail on the schema or the semester.
    units = [UNIT, OTHER_UNIT, UNIT, OTHER_UNIT]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_RUN, db_url, unit, str(n), str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, unit in enumerate(units)
    ]
    try:
        while len(list(tmp_path.glob("ready-*"))) < len(units):
            assert all(p.poll() is None for p in processes), "a process ended before the start"
            time.sleep(0.01)
        (tmp_path / "go").touch()
        outcomes = [p.communicate(timeout=120) for p in processes]
    finally:
        for process in processes:
            process.kill()
    assert [p.returncode for p in processes] == [0, 0, 0, 0], [err for _, err in outcomes]
    engine = open_store(db_url)
    try:
        assert sorted(r.run_id for r in run_log(engine)) == ["run-0", "run-1", "run-2", "run-3"]
        for unit in (UNIT, OTHER_UNIT):
            assert statuses_for(engine, unit, HK1_2026) == {"S1": {"website": "met"}}
        assert recorded_semesters(engine) == [HK1_2026]
    finally:
        engine.dispose()


def office_of(unit_id: str, folder: Path) -> Path:
    """The sample office settings with another unit id."""
    text_ = paths.DEFAULT_OFFICE.read_text(encoding="utf-8")
    settings = folder / f"{unit_id}.toml"
    settings.write_text(
        text_.replace('unit_id = "pgd-giong-trom"', f'unit_id = "{unit_id}"'), encoding="utf-8"
    )
    return settings


def test_two_units_runs_of_one_semester_into_one_database_are_both_kept(
    db_url: str, tmp_path: Path
) -> None:
    a = write_csv(tmp_path / "a.csv", [school(), school(school_id="08304011", computers="2")])
    b = write_csv(tmp_path / "b.csv", [school(school_id="08999001")])
    options = ("--workers", "1", *DATED_QUIET)
    for source, unit in ((a, UNIT), (b, OTHER_UNIT)):
        office = office_of(unit, tmp_path)
        out = tmp_path / f"out-{unit}"
        done = run_checker(
            "run", source, "--semester", "2026-2027/HK1", "--out", out, "--db", db_url,
            "--office", office, *options, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    engine = open_store(db_url)
    try:
        assert recorded_units(engine) == [UNIT, OTHER_UNIT]
        assert set(statuses_for(engine, UNIT, HK1_2026)) == {"08304007", "08304011"}
        assert set(statuses_for(engine, OTHER_UNIT, HK1_2026)) == {"08999001"}
    finally:
        engine.dispose()


def test_a_bad_unit_id_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    office = office_of("Phòng GD Giồng Trôm!", tmp_path)
    source = write_csv(tmp_path / "a.csv", [school()])
    refused = check_table(source, tmp_path, "--office", str(office), *DATED_QUIET)
    assert refused.returncode == 2
    assert "unit_id" in refused.stderr and "Traceback" not in refused.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "h.db").exists()


def test_a_run_into_another_applications_database_exits_1_and_adds_nothing(
    tmp_path: Path,
) -> None:
    foreign = tmp_path / "ke-toan.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    before = foreign.read_bytes()
    source = write_csv(tmp_path / "a.csv", [school()])
    options = ("--workers", "1", *DATED_QUIET)
    refused = run_semester(
        source, "2026-2027/HK1", tmp_path / "out", foreign, *options, cwd=tmp_path
    )
    assert refused.returncode == 1
    assert "not a checker history database" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert foreign.read_bytes() == before
    assert not (tmp_path / "out").exists()


# --- databases that are not (or no longer) a history -------------------------------------------


def table_names(url: str) -> set[str]:
    """The tables in the database at `url`, read with a plain engine."""
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_another_applications_database_is_refused_and_left_untouched(db_url: str) -> None:
    other = create_engine(db_url)
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        connection.execute(text("INSERT INTO customers VALUES (1, 'Nguyễn Văn A')"))
    other.dispose()
    with pytest.raises(StoreError, match=r"not a checker history database.*customers"):
        open_store(db_url)
    assert table_names(db_url) == {"customers"}  # nothing added


def test_a_failed_schema_set_up_leaves_nothing_half_done(db_url: str) -> None:
    # A table named like ours blocks the set-up after two tables were created: all is undone.
    other = create_engine(db_url)
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE results (id INTEGER)"))
    other.dispose()
    with pytest.raises(StoreError, match="cannot open or update the history database"):
        open_store(db_url)
    assert table_names(db_url) == {"results"}


def test_a_database_at_the_current_version_missing_a_table_is_a_sentence(db_url: str) -> None:
    engine = open_store(db_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE results"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"damaged: it lacks the table\(s\) results"):
        open_store(db_url)


def test_an_unparsable_url_is_a_sentence() -> None:
    assert sqlite_file("://") is None
    with pytest.raises(StoreError, match="cannot use the database URL"):
        open_store("://")


# --- the history guard -----------------------------------------------------------------------

OTHER_SHA = "cd" * 32


def test_guard_lets_a_new_semester_and_the_same_file_again_through(engine: Engine) -> None:
    guard_semester(engine, UNIT, HK1_2025, "hk.xlsx", "ab" * 32, replace=False)  # nothing recorded
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    guard_semester(engine, UNIT, HK1_2025, "renamed.xlsx", "ab" * 32, replace=False)  # same bytes
    guard_semester(engine, UNIT, HK2_2025, "other.xlsx", OTHER_SHA, replace=False)  # other semester


def test_guard_refuses_another_file_naming_the_recorded_one_and_its_date(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1", "2026-11-29T08:00:00+07:00"), rows_of(FIRST))
    with pytest.raises(SemesterAlreadyRecorded) as refused:
        guard_semester(engine, UNIT, HK1_2025, "typo.xlsx", OTHER_SHA, replace=False)
    sentence = str(refused.value)
    assert "2025-2026/HK1" in sentence
    assert "hk.xlsx (abababab)" in sentence
    assert "2026-11-29" in sentence
    assert "typo.xlsx" in sentence and "--replace" in sentence
    guard_semester(engine, UNIT, HK1_2025, "typo.xlsx", OTHER_SHA, replace=True)


def test_guard_compares_with_the_latest_run_of_the_semester(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1", "2026-11-29T08:00:00"), rows_of(FIRST))
    later = run_for(HK1_2025, "r2", "2026-11-30T08:00:00", OTHER_SHA, "fixed.xlsx")
    record_run(engine, later, rows_of(SECOND), replace=True)
    guard_semester(engine, UNIT, HK1_2025, "fixed.xlsx", OTHER_SHA, replace=False)
    with pytest.raises(SemesterAlreadyRecorded, match=r"fixed\.xlsx \(cdcdcdcd\)"):
        guard_semester(engine, UNIT, HK1_2025, "hk.xlsx", "ab" * 32, replace=False)


def test_record_run_without_replace_keeps_a_semester_recorded_meanwhile(
    engine: Engine, tmp_path: Path
) -> None:
    # Two runs checked the guard before either recorded: the second one must not overwrite.
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(engine)
    other = run_for(HK1_2025, "r2", "2026-11-30T08:00:00", OTHER_SHA, "other.xlsx")
    with pytest.raises(StoreError, match="unchanged"):
        record_run(engine, other, rows_of(SECOND))
    assert dump(engine) == before


def test_current_runs_name_each_semesters_input(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2", input_name="hk2.csv"), rows_of(SECOND))
    later = run_for(HK1_2025, "r3", "2026-12-01T08:00:00", OTHER_SHA, "fixed.xlsx")
    record_run(engine, later, rows_of(FIRST), replace=True)
    inputs = current_runs(engine)
    assert {key: r.input_label for key, r in inputs.items()} == {
        (UNIT, HK1_2025): "fixed.xlsx (cdcdcdcd)",
        (UNIT, HK2_2025): "hk2.csv (abababab)",
    }


def test_checker_run_guards_a_recorded_semester_end_to_end(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "truong-hk1.csv", [school(), school(school_id="08304011")])
    typo = write_csv(
        tmp_path / "sua-lai.csv", [school(), school(school_id="08304011", computers="2")]
    )
    db = tmp_path / "h.db"
    options = ("--workers", "1", *DATED_QUIET, "--lang", "en")
    recorded = run_semester(first, "2025-2026/HK1", tmp_path / "out-1", db, *options, cwd=tmp_path)
    assert recorded.returncode == 0, recorded.stderr
    before = dump(db)

    refused = run_semester(typo, "2025-2026/HK1", tmp_path / "out-2", db, *options, cwd=tmp_path)
    assert refused.returncode == 2
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    sha_prefix = hashlib.sha256(first.read_bytes()).hexdigest()[:8]
    assert f"truong-hk1.csv ({sha_prefix})" in message
    started_at = before["runs"][0][2]
    assert isinstance(started_at, str) and started_at[:10] in message  # the day it was recorded
    assert "sua-lai.csv" in message and "--replace" in message
    assert not (tmp_path / "out-2").exists()  # nothing written
    assert dump(db) == before

    again = run_semester(first, "2025-2026/HK1", tmp_path / "out-1", db, *options, cwd=tmp_path)
    assert again.returncode == 0, again.stderr  # the same file again is a re-run

    replaced = run_semester(
        typo, "2025-2026/HK1", tmp_path / "out-2", db, *options, "--replace", cwd=tmp_path
    )
    assert replaced.returncode == 0, replaced.stderr
    with sqlite3.connect(db) as connection:
        status = connection.execute(
            "SELECT status FROM results WHERE school_id = '08304011' AND criterion = 'computer_lab'"
        ).fetchall()
        names = connection.execute("SELECT input_name FROM runs ORDER BY started_at").fetchall()
    assert status == [("not_met",)]
    assert names[-1] == ("sua-lai.csv",)


# --- comparing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        (None, "met", "new"),
        (None, "not_met", "new"),
        (None, "not_applicable", "new"),
        ("not_met", "met", "improved"),
        ("met", "not_met", "regressed"),
        ("met", "met", "unchanged"),
        ("not_met", "not_met", "unchanged"),
        # missing (blank or invalid) is never a decline nor progress, nor "unchanged"
        ("missing", "met", "not_comparable"),
        ("met", "missing", "not_comparable"),
        ("not_met", "missing", "not_comparable"),
        ("missing", "not_met", "not_comparable"),
        ("missing", "missing", "not_comparable"),
        ("missing", "not_applicable", "not_comparable"),
        ("not_applicable", "missing", "not_comparable"),
        ("not_applicable", "not_applicable", "unchanged"),
        ("not_applicable", "met", "new"),
        ("not_applicable", "not_met", "new"),
        ("met", "not_applicable", "new"),
        ("not_met", "not_applicable", "new"),
    ],
)
def test_progress_table(before: str | None, now: str, expected: str) -> None:
    assert progress(before, now) == expected


def test_score_of_counts_missing_as_not_met() -> None:
    assert score_of({"a": "met", "b": "missing", "c": "not_applicable", "d": "not_met"}) == 1 / 3
    assert score_of({"a": "not_applicable"}) is None
    assert score_of({}) is None


def test_rows_recorded_in_batches_are_the_rows_recorded_at_once(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's rows go in batches (memory stays flat): the same rows, positions included,
    as in one insert, and a failing batch still leaves the database as it was."""
    whole = open_store(f"sqlite:///{tmp_path / 'whole.db'}")
    record_run(whole, run_for(HK1_2025, "r1"), rows_of(FIRST))
    monkeypatch.setattr("checker.history.RECORD_BATCH", 2)
    batched = open_store(db_url)
    record_run(batched, run_for(HK1_2025, "r1"), iter(rows_of(FIRST)))
    assert len(rows_of(FIRST)) > 2 * 2  # several batches
    assert dump(batched)["results"] == dump(whole)["results"]
    before = dump(batched)
    doubled = [*rows_of(SECOND), rows_of(SECOND)[0]]  # the last batch repeats a row
    with pytest.raises(StoreError):
        record_run(batched, run_for(HK2_2025, "r2"), iter(doubled))
    assert dump(batched) == before
    whole.dispose()
    batched.dispose()
