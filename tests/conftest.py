"""Shared test helpers: build intake tables, run the real CLI, read PDFs back as text."""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from shipped import COLUMNS

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "sample_data"
HEADERS = [c.header_vi for c in COLUMNS]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The wheel test (a minute or more on its own) first: pytest-xdist hands the files out in
    this order (`make test` passes --no-loadscope-reorder), so the other worker runs the rest
    meanwhile instead of waiting for it at the end."""
    items.sort(key=lambda item: item.get_closest_marker("package") is None)  # a stable sort


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


@pytest.fixture(scope="session", autouse=True)
def heavy_imports_once() -> None:
    """Import Great Expectations, WeasyPrint and matplotlib once per test process. `checker run` forks its
    validator before importing GX (so that, on a user's terminal, the import overlaps the
    loading of the input); run from the tests in this process, each run's validator would
    import GX again, seconds each time. Forked from here, it inherits the import."""
    from checker.chart import load_plotting
    from checker.validate import preload

    preload()
    load_plotting()  # matplotlib, for the summary's chart
    import docx  # noqa: F401
    import weasyprint  # noqa: F401

    warm_up_renderers()


def warm_up_renderers() -> None:
    """What each render worker of a run does once (build the render tools, load the fonts,
    draw a chart), done here for both languages so that the workers forked from this process
    inherit it instead of each doing it again: what they render is unchanged."""
    from checker.chart import draw_trend
    from checker.context import TrendPoint
    from checker.i18n import load_translator
    from checker.paths import DEFAULT_RULEBOOK
    from checker.render import warm_up
    from checker.rulebook import load_rulebooks

    rulebook = load_rulebooks((DEFAULT_RULEBOOK,))
    for lang in ("vi", "en"):
        warm_up(lang)
        trend = [TrendPoint("2026-2027/HK1", c.id, 1, 2) for c in rulebook.criteria]
        draw_trend(trend, rulebook, load_translator(lang), ("svg", "png"))


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


@dataclass(frozen=True)
class Finished:
    """A finished `checker` command: its exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str


def run_checker(*args: str | Path, cwd: Path, env: Mapping[str, str] | None = None) -> Finished:
    """Run `checker ARGS` as a user would, in `cwd`, with `env` added to the environment.

    The command runs in this process (click's test runner: the real command line, the real
    pipeline, its own worker processes forked from here), so the tests do not pay for a new
    interpreter and its imports on every run. An exception the command does not turn into a
    message and an exit code fails the test with its traceback. Tests of what only a separate
    process shows (signals, kill -9, a second run beside the first) use `start_checker`.
    """
    from click.testing import CliRunner

    from checker.cli import cli

    environment: dict[str, str | None] = {"CHECKER_DB": None, **(env or {})}
    previous = Path.cwd()
    os.chdir(cwd)  # settings are looked for in the working folder, as in a user's terminal
    try:
        result = CliRunner().invoke(
            cli, [str(arg) for arg in args], env=environment, catch_exceptions=False
        )
    finally:
        os.chdir(previous)
    return Finished(result.exit_code, result.stdout, result.stderr)


@dataclass(frozen=True)
class Started:
    """A `checker` command running in a process of its own (see start_checker)."""

    process: BaseProcess
    output: Path  # the folder of its stdout and stderr files

    @property
    def pid(self) -> int:
        """The command's process id (the run's staging folder and lock name it)."""
        assert self.process.pid is not None
        return self.process.pid

    def poll(self) -> int | None:
        """Its exit code once it has ended (minus the signal's number if killed), else None."""
        return self.process.exitcode

    def wait(self, timeout: float = 300) -> Finished:
        """Wait for it to end (killed after `timeout` seconds: a test failure)."""
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            raise AssertionError(f"checker still running after {timeout} s")
        finished = Finished(
            self.process.exitcode,
            (self.output / "stdout").read_text(encoding="utf-8"),
            (self.output / "stderr").read_text(encoding="utf-8"),
        )
        shutil.rmtree(self.output)
        return finished


def start_checker(
    *args: str | Path,
    cwd: Path,
    new_session: bool = False,
    prepare: Callable[[], None] | None = None,
) -> Started:
    """Start `checker ARGS` in a process of its own, in `cwd`, for what only a separate process
    shows: a signal or kill -9, a second run beside the first, a resource limit (`prepare` sets
    it in the child, as Popen's preexec_fn). `new_session` puts it in a process group of its own
    (os.killpg(started.pid, ...) reaches its workers too).

    The process is forked from this one: it runs the real command line from the start, with
    this process's imports already done (Great Expectations alone costs a new interpreter 4 s
    of CPU), as the render workers of `run_checker`'s runs are. Starting the command from a new
    interpreter (`python -m checker`, the installed script) is the wheel test's.
    """
    output = Path(tempfile.mkdtemp(prefix="checker-output-"))  # not in cwd: tests list it
    process = multiprocessing.get_context("fork").Process(
        target=_checker_in_child, args=([str(a) for a in args], cwd, output, new_session, prepare)
    )
    process.start()
    return Started(process, output)


def _checker_in_child(
    args: list[str],
    cwd: Path,
    output: Path,
    new_session: bool,
    prepare: Callable[[], None] | None,
) -> None:
    """In the forked child: a user's terminal session for `checker ARGS`, then the command."""
    if new_session:
        os.setsid()
    os.chdir(cwd)
    os.environ.pop("CHECKER_DB", None)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        file = os.open(output / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(file, fd)
        os.close(file)
    # This process's streams are pytest's captures: the command writes to its own files.
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if prepare is not None:
        prepare()
    from checker.cli import cli

    cli.main(args=args, prog_name="checker")  # exits, with the command's exit code


def pdf_text(path: Path) -> str:
    """A PDF's text as pdftotext extracts it (what a user copying from the PDF gets)."""
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path: Path) -> int:
    """The number of pages of a PDF."""
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


SAMPLE_SEMESTERS = (
    ("giong_trom_2025-2026_HK1.csv", "2025-2026/HK1"),
    ("giong_trom_2025-2026_HK2.csv", "2025-2026/HK2"),
    ("giong_trom_2026-2027_HK1.xlsx", "2026-2027/HK1"),
)


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The sample district's three semesters run in turn into one history; returns the folder.

    Outputs: DIR/out-1, DIR/out-2, DIR/out-3 (oldest to newest) and DIR/history.db, with two
    render workers. Built once for the whole session, whichever pytest-xdist worker asks
    first (the others wait for it): tests read it and copy what they change.
    """
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each xdist worker has a folder of its own below a shared one
        shared = shared.parent
    folder = shared / "sample_run"
    with FileLock(shared / "sample_run.lock"):
        if not (folder / "complete").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            for number, (name, semester) in enumerate(SAMPLE_SEMESTERS, start=1):
                out, db = folder / f"out-{number}", folder / "history.db"
                options = (*DATED_QUIET, "--workers", "2")
                result = run_semester(SAMPLE / name, semester, out, db, *options, cwd=folder)
                assert result.returncode == 0, result.stderr
            (folder / "complete").touch()
    return folder


def sample_part(name: str, folder: Path, every: int = 4) -> Path:
    """Every `every`-th school of the sample CSV table `name` (all levels, 12 of the 45 by
    default), written to `folder`: for runs whose point is not the whole district."""
    lines = (SAMPLE / name).read_text(encoding="utf-8").splitlines()
    part = folder / f"part-{name}"
    part.write_text("\n".join([lines[0], *lines[1::every]]) + "\n", encoding="utf-8")
    return part


DATED_QUIET = ("--date", "2026-11-29", "--quiet")  # a fixed day, no progress bar


def run_semester(
    source: Path, semester: str, out: Path, db: Path, *extra: str | Path, cwd: Path
) -> Finished:
    """`checker run SOURCE --semester SEMESTER --out OUT --db DB EXTRA...` in `cwd`."""
    options = ("--semester", semester, "--out", out, "--db", db, *extra)
    return run_checker("run", source, *options, cwd=cwd)


def check_table(source: Path, tmp_path: Path, *extra: str) -> Finished:
    """`checker run SOURCE` for semester 2026-2027/HK1 into tmp_path/out, history in
    tmp_path/h.db, one render worker (the tests' usual run); `extra` adds options."""
    out, db = tmp_path / "out", tmp_path / "h.db"
    return run_semester(source, "2026-2027/HK1", out, db, "--workers", "1", *extra, cwd=tmp_path)


def run_tables(source: Path, rules: Sequence[Path] = ()) -> dict[str, str]:
    """results.csv, and groups.csv with points groups, as `checker run SOURCE` (with `rules`,
    the shipped rulebook by default) writes them, made here by the run's own stages without
    rendering a page: for a whole district whose point is the figures, beside an end-to-end run
    on part of it."""
    from checker import paths
    from checker.evaluate import evaluate
    from checker.inputs import load_inputs
    from checker.validate import validate_table
    from checker.write import groups_csv_parts, results_csv_parts

    rules_paths = tuple(rules) or (paths.DEFAULT_RULEBOOK,)
    inputs = load_inputs(source, rules_paths, paths.DEFAULT_OFFICE, "vi")
    results = evaluate(validate_table(inputs.table, inputs.rulebook).schools, inputs.rulebook)
    tables = {"results.csv": results_csv_parts(results, inputs.rulebook)}
    if inputs.rulebook.groups:
        tables["groups.csv"] = groups_csv_parts(results)
    return {name: b"".join(parts).decode("utf-8-sig") for name, parts in tables.items()}


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
