"""Shared test helpers: build intake tables, run the real CLI, read PDFs back as text."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from shipped import COLUMNS

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample_data"
HEADERS = [c.header_vi for c in COLUMNS]

# A school that meets every criterion of its level; tests override what they need.
GOOD_SCHOOL = {
    "school_id": "08304007",
    "school_name": "Trường THCS Hưng Nhượng",
    "level": "THCS",
    "commune": "Hưng Nhượng",
    "principal": "Nguyễn Thị Hồng",
    "students": "412",
    "website_url": "https://thcshungnhuong.giongtrom.edu.vn",
    "ioffice_share": "95",
    "cashless_fees": "Có",
    "computer_rooms": "1",
    "computers": "25",
    "e_gradebook": "Có",
    "e_contact_book": "Có",
    "online_enrolment": "Có",
}


def school(**changes: str) -> dict[str, str]:
    """A good school's row with some values changed (keys as in COLUMNS)."""
    return {**GOOD_SCHOOL, **changes}


def write_csv(path: Path, rows: Sequence[Mapping[str, str]]) -> Path:
    """A plain UTF-8 CSV with the Vietnamese headers, one row per school."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow([row.get(c.key, "") for c in COLUMNS])
    return path


def run_checker(
    *args: str | Path, cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m checker ARGS` as a user would, in `cwd`; returns the finished process."""
    environment = {**os.environ, **(env or {})}
    environment.pop("CHECKER_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )


def pdf_text(path: Path) -> str:
    """A PDF's text as pdftotext extracts it (what a user copying from the PDF gets)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path: Path) -> int:
    """The number of pages of a PDF."""
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample district's three semesters run in turn into one history; returns the folder.

    Outputs: DIR/out-1, DIR/out-2, DIR/out-3 (oldest to newest) and DIR/history.db.
    """
    folder = tmp_path_factory.mktemp("sample_run")
    runs = [
        ("giong_trom_2025-2026_HK1.csv", "2025-2026/HK1"),
        ("giong_trom_2025-2026_HK2.csv", "2025-2026/HK2"),
        ("giong_trom_2026-2027_HK1.xlsx", "2026-2027/HK1"),
    ]
    for number, (name, semester) in enumerate(runs, start=1):
        out = folder / f"out-{number}"
        db = folder / "history.db"
        result = run_semester(SAMPLE / name, semester, out, db, *DATED_QUIET, cwd=folder)
        assert result.returncode == 0, result.stderr
    return folder


DATED_QUIET = ("--date", "2026-11-29", "--quiet")  # a fixed day, no progress bar


def run_semester(
    source: Path, semester: str, out: Path, db: Path, *extra: str | Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`checker run SOURCE --semester SEMESTER --out OUT --db DB EXTRA...` in `cwd`."""
    options = ("--semester", semester, "--out", out, "--db", db, *extra)
    return run_checker("run", source, *options, cwd=cwd)


def check_table(source: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`checker run SOURCE` for semester 2026-2027/HK1 into tmp_path/out, history in
    tmp_path/h.db, one render worker (the tests' usual run); `extra` adds options."""
    out, db = tmp_path / "out", tmp_path / "h.db"
    return run_semester(source, "2026-2027/HK1", out, db, "--workers", "1", *extra, cwd=tmp_path)


# --- history databases: SQLite, and PostgreSQL when a server is given -----------------------

PG_URL_VAR = "CHECKER_TEST_PG_URL"  # e.g. postgresql+psycopg://checker@/postgres?host=/tmp/pg
PG_REQUIRED_VAR = "CHECKER_TEST_PG_REQUIRED"  # set by .ci/run: no skipping there


def _postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the server $CHECKER_TEST_PG_URL names, dropped after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = os.environ.get(PG_URL_VAR)
    if not admin_url:
        if os.environ.get(PG_REQUIRED_VAR):
            pytest.fail(f"{PG_REQUIRED_VAR} is set but {PG_URL_VAR} is not")
        pytest.skip(f"PostgreSQL tests need a server: set {PG_URL_VAR} (.ci/run starts one)")
    name = f"checker_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty history database: an SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.db'}"
    else:
        yield from _postgres_database()
