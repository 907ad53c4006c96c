"""The history store, against real SQLite files built in tmp_path."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from conftest import DATED_QUIET, run_semester, school, write_csv
from sqlalchemy import Engine, inspect

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
    progress,
    record_run,
    recorded_semesters,
    run_log,
    school_history,
    score_of,
    sqlite_file,
    statuses_for,
    trend_criteria,
)
from checker.model import Status
from checker.semester import Semester, parse_semester

HK1_2025 = parse_semester("2025-2026/HK1")
HK2_2025 = parse_semester("2025-2026/HK2")
HK1_2026 = parse_semester("2026-2027/HK1")


def run_for(
    semester: Semester,
    run_id: str,
    started_at: str = "2026-11-29T08:00:00",
    input_sha256: str = "ab" * 32,
    input_name: str = "hk.xlsx",
) -> RunRecord:
    """A run log entry with believable counts."""
    return RunRecord(
        run_id=run_id,
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
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'history.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    store = open_store(db_url)
    yield store
    store.dispose()


def dump(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every history table, read with the plain sqlite3 module."""
    with sqlite3.connect(db_path) as connection:
        return {
            table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("semesters", "runs", "results")
        }


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
        "semester",
        "school_id",
        "criterion",
    ]


def test_a_second_open_is_idempotent_and_keeps_the_data(db_url: str, tmp_path: Path) -> None:
    first = open_store(db_url)
    record_run(first, run_for(HK1_2025, "r1"), rows_of(FIRST))
    first.dispose()
    before = dump(tmp_path / "history.db")
    second = open_store(db_url)
    try:
        assert recorded_semesters(second) == [HK1_2025]
    finally:
        second.dispose()
    assert dump(tmp_path / "history.db") == before
    with sqlite3.connect(tmp_path / "history.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (head_revision(),)
        ]


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
    assert statuses_for(engine, HK1_2025) == FIRST
    assert statuses_for(engine, HK2_2025) == SECOND
    assert statuses_for(engine, HK1_2026) == {}


def test_three_semesters_and_previous_semester(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2026, "r3"), rows_of(THIRD))
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2"), rows_of(SECOND))
    assert recorded_semesters(engine) == [HK1_2025, HK2_2025, HK1_2026]
    assert previous_semester(engine, HK1_2026) == HK2_2025
    assert previous_semester(engine, HK2_2025) == HK1_2025
    assert previous_semester(engine, HK1_2025) is None
    assert previous_semester(engine, parse_semester("2030-2031/HK1")) == HK1_2026


def test_statuses_keep_rulebook_order(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    assert list(statuses_for(engine, HK1_2025)["TH01"]) == ["website", "ioffice", "computer_lab"]


def test_district_trend_counts_met_and_applicable(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2026, "r3"), rows_of(THIRD))
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2"), rows_of(SECOND))
    trend = district_trend(engine)
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
    merged = school_history(engine, "THCS01")
    assert [e.semester for e in merged] == [HK1_2025, HK2_2025]
    assert merged[1].statuses == SECOND["THCS01"]
    assert (merged[1].met, merged[1].applicable) == (1, 3)
    assert merged[0].school_name == "Trường THCS01" and merged[0].level == "thcs"
    opened = school_history(engine, "TH02")
    assert [e.semester for e in opened] == [HK1_2026]
    assert opened[0].score == 0.0
    assert school_history(engine, "NOPE") == []


def test_rerun_replaces_the_semester_and_keeps_both_runs(engine: Engine, tmp_path: Path) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2", "2026-11-30T08:00:00"), rows_of(SECOND))
    other_semester = dump(tmp_path / "history.db")["results"]
    other_semester = [row for row in other_semester if row[0] == "2025-2026/HK2"]

    fixed = {"MN01": FIRST["MN01"], "TH01": {**FIRST["TH01"], "computer_lab": "met"}}
    record_run(engine, run_for(HK1_2025, "r1-again", "2026-12-01T08:00:00"), rows_of(fixed))

    assert statuses_for(engine, HK1_2025) == fixed  # THCS01's old rows are gone too
    assert statuses_for(engine, HK2_2025) == SECOND
    after = dump(tmp_path / "history.db")["results"]
    assert [row for row in after if row[0] == "2025-2026/HK2"] == other_semester
    log = run_log(engine)
    assert [r.run_id for r in log] == ["r1", "r2", "r1-again"]
    assert log[0] == run_for(HK1_2025, "r1")
    assert recorded_semesters(engine) == [HK1_2025, HK2_2025]
    with sqlite3.connect(tmp_path / "history.db") as connection:
        run_ids = connection.execute(
            "SELECT DISTINCT run_id FROM results WHERE semester = ?", ("2025-2026/HK1",)
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
    before = dump(tmp_path / "history.db")
    with pytest.raises(StoreError, match="unchanged"):
        record_run(engine, run_for(HK1_2025, "r2"), bad_rows)
    assert dump(tmp_path / "history.db") == before
    assert statuses_for(engine, HK1_2025) == FIRST
    assert [r.run_id for r in run_log(engine)] == ["r1"]


def test_a_failing_first_run_of_a_semester_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(tmp_path / "history.db")
    duplicated = [*rows_of(SECOND), rows_of(SECOND)[0]]
    with pytest.raises(StoreError):
        record_run(engine, run_for(HK2_2025, "r2"), duplicated)
    assert dump(tmp_path / "history.db") == before
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
    assert statuses_for(engine, HK1_2025) == FIRST
    assert statuses_for(engine, HK2_2025) == SECOND


def test_a_reused_run_id_is_refused(engine: Engine, tmp_path: Path) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(tmp_path / "history.db")
    with pytest.raises(StoreError, match="r1"):
        record_run(engine, run_for(HK2_2025, "r1"), rows_of(SECOND))
    assert dump(tmp_path / "history.db") == before


# --- the history guard -----------------------------------------------------------------------

OTHER_SHA = "cd" * 32


def test_guard_lets_a_new_semester_and_the_same_file_again_through(engine: Engine) -> None:
    guard_semester(engine, HK1_2025, "hk.xlsx", "ab" * 32, replace=False)  # nothing recorded
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    guard_semester(engine, HK1_2025, "renamed.xlsx", "ab" * 32, replace=False)  # same bytes
    guard_semester(engine, HK2_2025, "other.xlsx", OTHER_SHA, replace=False)  # other semester


def test_guard_refuses_another_file_naming_the_recorded_one_and_its_date(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1", "2026-11-29T08:00:00+07:00"), rows_of(FIRST))
    with pytest.raises(SemesterAlreadyRecorded) as refused:
        guard_semester(engine, HK1_2025, "typo.xlsx", OTHER_SHA, replace=False)
    sentence = str(refused.value)
    assert "2025-2026/HK1" in sentence
    assert "hk.xlsx (abababab)" in sentence
    assert "2026-11-29" in sentence
    assert "typo.xlsx" in sentence and "--replace" in sentence
    guard_semester(engine, HK1_2025, "typo.xlsx", OTHER_SHA, replace=True)


def test_guard_compares_with_the_latest_run_of_the_semester(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1", "2026-11-29T08:00:00"), rows_of(FIRST))
    later = run_for(HK1_2025, "r2", "2026-11-30T08:00:00", OTHER_SHA, "fixed.xlsx")
    record_run(engine, later, rows_of(SECOND), replace=True)
    guard_semester(engine, HK1_2025, "fixed.xlsx", OTHER_SHA, replace=False)
    with pytest.raises(SemesterAlreadyRecorded, match=r"fixed\.xlsx \(cdcdcdcd\)"):
        guard_semester(engine, HK1_2025, "hk.xlsx", "ab" * 32, replace=False)


def test_record_run_without_replace_keeps_a_semester_recorded_meanwhile(
    engine: Engine, tmp_path: Path
) -> None:
    # Two runs checked the guard before either recorded: the second one must not overwrite.
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    before = dump(tmp_path / "history.db")
    other = run_for(HK1_2025, "r2", "2026-11-30T08:00:00", OTHER_SHA, "other.xlsx")
    with pytest.raises(StoreError, match="unchanged"):
        record_run(engine, other, rows_of(SECOND))
    assert dump(tmp_path / "history.db") == before


def test_current_runs_name_each_semesters_input(engine: Engine) -> None:
    record_run(engine, run_for(HK1_2025, "r1"), rows_of(FIRST))
    record_run(engine, run_for(HK2_2025, "r2", input_name="hk2.csv"), rows_of(SECOND))
    later = run_for(HK1_2025, "r3", "2026-12-01T08:00:00", OTHER_SHA, "fixed.xlsx")
    record_run(engine, later, rows_of(FIRST), replace=True)
    inputs = current_runs(engine)
    assert {s: r.input_label for s, r in inputs.items()} == {
        HK1_2025: "fixed.xlsx (cdcdcdcd)",
        HK2_2025: "hk2.csv (abababab)",
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
