"""The history store: every run's log entry and each semester's latest results, in a database.

SQLite by default (a file), any SQLAlchemy URL otherwise (e.g. PostgreSQL for a provincial
office). The schema is created and migrated by Alembic (`checker/migrations`), run
programmatically by `open_store`; nobody creates tables by hand.

Tables:
- `semesters`: each recorded semester (label, year, term), shared by every unit.
- `runs`: the run log, each run under its issuing unit (`unit_id`, from the office settings)
  with its input file's name and sha256; every run is kept, including earlier runs of a re-run
  semester (running the very same input, rules and checker again on the same day updates that
  run's entry).
- `results`: per unit, semester, school and criterion, the status and value of the unit's
  latest run of the semester; `position` keeps rulebook order.

Several units may share one database (a province's PostgreSQL): a unit's rerun replaces only
its own results. Schema set-up and recording take one lock (a PostgreSQL advisory lock, the
SQLite write lock), so concurrent runs take turns instead of failing.

Every function takes the Engine it works on; nothing here holds state between calls.
"""

from __future__ import annotations

import contextlib
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from checker.i18n import N_
from checker.model import (
    APPLICABLE_STATUSES,
    Criterion,
    InputError,
    SchoolResult,
    Status,
    Verdict,
    met_and_applicable,
    share,
)
from checker.office import DEFAULT_UNIT_ID
from checker.semester import Semester, parse_semester, previous

DEFAULT_DB_FILE = "checker.db"
# The history's tables (Alembic's own included): any other table means another application's
# database, which is refused rather than mixed with ours.
OUR_TABLES = ("alembic_version", "semesters", "runs", "results", "group_results")
# Waiting for another process's SQLite transaction (a concurrent run recording) rather than
# failing at once; a semester's recording takes well under a second.
SQLITE_BUSY_TIMEOUT_MS = 60_000
# The PostgreSQL advisory lock key of the history ('checker' in ASCII): one lock for schema
# set-up and recording, taken per transaction.
ADVISORY_LOCK_KEY = 0x636865636B6572
DB_ENV_VAR = "CHECKER_DB"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# How much of an input's sha256 is shown beside its name: enough to tell two files apart.
SHA_PREFIX = 8

# Query-side description of the schema. It must match what the migrations build; a test
# compares the two so they cannot drift apart silently.
metadata = MetaData()
semesters_table = Table(
    "semesters",
    metadata,
    Column("label", String(16), primary_key=True),
    Column("year", Integer, nullable=False),
    Column("term", Integer, nullable=False),
)
runs_table = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("semester", String(16), ForeignKey("semesters.label"), nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("rulebook_version", String(64), nullable=False),
    Column("checker_version", String(64), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("schools", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("input_name", Text, nullable=True),  # NULL for runs recorded before revision 0002
    Column("unit_id", String(64), nullable=False),
)
results_table = Table(
    "results",
    metadata,
    Column("unit_id", String(64), nullable=False),
    Column("semester", String(16), ForeignKey("semesters.label"), nullable=False),
    Column("school_id", String(64), nullable=False),
    Column("school_name", Text, nullable=False),
    Column("level", String(32), nullable=True),
    Column("criterion", String(64), nullable=False),
    Column("position", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("value", Text, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    # For a criterion of a points group (QĐ 4725): points earned and available, as exact
    # decimal text; NULL for the local plan's criteria (and results before revision 0004).
    Column("points", Text, nullable=True),
    Column("max_points", Text, nullable=True),
    PrimaryKeyConstraint("unit_id", "semester", "school_id", "criterion"),
    CheckConstraint("status IN ('met', 'not_met', 'not_applicable', 'missing')"),
)
group_results_table = Table(
    "group_results",
    metadata,
    Column("unit_id", String(64), nullable=False),
    Column("semester", String(16), ForeignKey("semesters.label"), nullable=False),
    Column("school_id", String(64), nullable=False),
    Column("group_id", String(64), nullable=False),
    Column("points", Text, nullable=False),
    Column("max_points", Text, nullable=False),
    Column("level", Integer, nullable=True),  # Mức 1-3; NULL when the group does not apply
    Column("mandatory_met", Boolean, nullable=False),
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    PrimaryKeyConstraint("unit_id", "semester", "school_id", "group_id"),
)


class StoreError(Exception):
    """The history database cannot be opened, migrated or written; one plain sentence."""


class SemesterAlreadyRecorded(InputError):
    """The semester is recorded from another input file and --replace was not given.

    Like the loader's errors: an English message id (marked with N_) and its parameters, so
    the command line can say it in the user's language.
    """

    def __init__(self, msgid: str, params: Mapping[str, str]) -> None:
        super().__init__(msgid, dict(params))
        self.msgid: str = msgid
        self.params: dict[str, str] = dict(params)

    def __str__(self) -> str:
        return self.msgid.format(**self.params)


MSG_ALREADY_RECORDED = N_(
    "{semester} is already recorded from another file, {recorded} (recorded on {date}); "
    "to replace it with {file}, run again with --replace."
)


@dataclass(frozen=True)
class RunRecord:
    """One entry of the run log: which unit, input, rules and checker produced a semester's
    results."""

    run_id: str
    unit_id: str  # the issuing unit (office settings' `unit_id`)
    semester: Semester
    started_at: str  # ISO 8601 text, e.g. '2026-11-29T08:15:00+07:00'
    input_sha256: str
    rulebook_version: str
    checker_version: str
    rows_read: int
    schools: int
    rejected: int
    problems: int
    input_name: str | None  # the input file's name; None for runs recorded before it was kept

    @property
    def input_label(self) -> str:
        """'name.xlsx (1a2b3c4d)': the input's name and the start of its sha256."""
        name = self.input_name or "?"
        return f"{name} ({self.input_sha256[:SHA_PREFIX]})"


@dataclass(frozen=True)
class ResultRow:
    """One school's status for one criterion, as recorded (the value as shown in results.csv)."""

    school_id: str
    school_name: str
    level: str | None  # None when the school's level was blank or unknown
    criterion: str
    status: Status
    value: str
    points: Decimal | None = None  # earned, for a criterion of a points group
    max_points: Decimal | None = None  # and available


@dataclass(frozen=True)
class GroupRow:
    """One school's standing in one points group, as recorded."""

    school_id: str
    group_id: str
    points: Decimal
    max_points: Decimal
    level: int | None  # Mức 1-3; None when the group does not apply to the school
    mandatory_met: bool


@dataclass(frozen=True)
class GroupLevels:
    """How a unit's schools stood in one points group in one semester."""

    group_id: str
    by_level: Mapping[int, int]  # Mức -> schools
    median_points: Decimal | None  # over the schools the group applies to


@dataclass(frozen=True)
class CriterionRate:
    """How many applicable schools met one criterion in one semester."""

    criterion: str
    met: int
    applicable: int
    pointed: bool = False  # an item of a points group (QĐ 4725), shown by its group's levels

    @property
    def rate(self) -> float | None:
        """met / applicable, or None when the criterion applied to no school."""
        return share(self.met, self.applicable)


@dataclass(frozen=True)
class SemesterRates:
    """The district's rate per criterion in one recorded semester, in rulebook order."""

    semester: Semester
    rates: tuple[CriterionRate, ...]

    def rate_for(self, criterion: str) -> CriterionRate | None:
        """This semester's rate for a criterion, or None if the criterion was not checked."""
        return next((r for r in self.rates if r.criterion == criterion), None)


@dataclass(frozen=True)
class SchoolSemester:
    """One school's recorded statuses in one semester (criterion -> status, rulebook order)."""

    semester: Semester
    school_name: str
    level: str | None
    statuses: Mapping[str, str]
    # Criteria of points groups (QĐ 4725): scored by points, not in met / applicable.
    pointed: frozenset[str] = frozenset()

    @property
    def plan_statuses(self) -> dict[str, str]:
        """The statuses scored as met / applicable."""
        return {c: s for c, s in self.statuses.items() if c not in self.pointed}

    @property
    def met(self) -> int:
        """How many criteria the school met (outside points groups)."""
        return met_and_applicable(self.plan_statuses.values())[0]

    @property
    def applicable(self) -> int:
        """How many criteria applied to the school (missing ones included)."""
        return met_and_applicable(self.plan_statuses.values())[1]

    @property
    def score(self) -> float | None:
        """met / applicable, or None when nothing applied."""
        return score_of(self.plan_statuses)


# --- where the database is ----------------------------------------------------------------


def database_url(option: str | None, environ: Mapping[str, str]) -> str:
    """The database URL from --db, else $CHECKER_DB, else `checker.db` in the working folder.

    A value containing '://' is taken as an SQLAlchemy URL as is; anything else is a file
    path, made absolute: 'history/checker.db' -> 'sqlite:////abs/path/history/checker.db'.
    """
    chosen = option or environ.get(DB_ENV_VAR) or DEFAULT_DB_FILE
    if "://" in chosen:
        return chosen
    return f"sqlite:///{Path(chosen).expanduser().resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL, or None for other databases, in-memory SQLite and URLs
    that do not parse (open_store then says what is wrong with them)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def display_url(url: str) -> str:
    """The URL fit to show to a user: any password is masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


# --- opening and migrating ------------------------------------------------------------------


def open_store(url: str, unit_id: str = DEFAULT_UNIT_ID) -> Engine:
    """An Engine on the history database at `url`, its schema brought up to date by Alembic.

    Creates the SQLite file, and its folder, if absent. Safe to call on an up-to-date
    database, and from several processes at once: the set-up runs in one transaction under
    the history's lock, so a failure leaves nothing half done and a second process waits,
    then finds the schema in place. Runs recorded before databases knew units are given
    `unit_id`. Raises StoreError when the database cannot be opened or migrated, holds
    another application's tables, or lacks one of ours (the message masks any password).
    """
    # Alembic is imported here, not at the top: it is only needed once per run and the
    # whole run has a time budget.
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    shown = display_url(url)
    try:
        engine = _engine_for(url)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use the database URL {shown}: {exc}") from exc
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["unit_id"] = unit_id
    try:
        with engine.begin() as connection:
            _lock(connection)
            _refuse_foreign_tables(connection, shown)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            _require_our_tables(connection, shown)
    except (SQLAlchemyError, CommandError) as exc:
        engine.dispose()
        raise StoreError(
            f"cannot open or update the history database {shown}: {_reason(exc)}"
        ) from exc
    except StoreError:
        engine.dispose()
        raise
    return engine


@contextlib.contextmanager
def opened_store(url: str, unit_id: str = DEFAULT_UNIT_ID) -> Iterator[Engine]:
    """open_store's Engine, disposed of when the block ends: its pooled connections are
    closed at once, not when the process exits (a run called as a function, from a Dask
    client's process or the tests, would otherwise keep them open)."""
    engine = open_store(url, unit_id)
    try:
        yield engine
    finally:
        engine.dispose()


def _engine_for(url: str) -> Engine:
    """An Engine for `url`; for SQLite, with the file's folder made, foreign keys enforced,
    a busy timeout, and every transaction taking the write lock at its start."""
    engine = create_engine(url)
    if engine.dialect.name != "sqlite":
        return engine
    if (path := sqlite_file(url)) is not None:
        try:  # `--db out/checker.db` before `out/` exists is what a user expects to work
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot open or update the history database {display_url(url)}: {exc}"
            ) from exc
    event.listen(engine, "connect", _configure_sqlite)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Per SQLite connection: foreign keys checked (SQLite checks them only when asked), a
    busy timeout (wait for another process's transaction instead of failing), and the
    driver's own transaction handling off, so that `_begin_immediate` decides (this also
    makes the schema set-up's DDL part of the transaction)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    """Start every SQLite transaction holding the write lock: two runs recording at once
    then take turns, instead of one failing when it upgrades a read lock."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _lock(connection: Connection) -> None:
    """Take the history's lock until the transaction ends. PostgreSQL: a transaction-level
    advisory lock; SQLite: the write lock `BEGIN IMMEDIATE` already holds."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


def _refuse_foreign_tables(connection: Connection, shown: str) -> None:
    """Refuse a database holding tables that are not the history's: it belongs to another
    application, and adding ours to it would mix two applications' data."""
    foreign = sorted(set(inspect(connection).get_table_names()) - set(OUR_TABLES))
    if foreign:
        raise StoreError(
            f"{shown} is not a checker history database: it holds other tables "
            f"({', '.join(foreign[:5])}); nothing was changed. Give --db a file or database "
            "of its own."
        )


def _require_our_tables(connection: Connection, shown: str) -> None:
    """After the upgrade every table of the history must exist; a database at the current
    version that lacks one was damaged (e.g. a table dropped by hand)."""
    missing = sorted(set(OUR_TABLES) - set(inspect(connection).get_table_names()))
    if missing:
        raise StoreError(
            f"the history database {shown} is damaged: it lacks the table(s) "
            f"{', '.join(missing)}; restore it from a backup or give --db a new file."
        )


def _reason(exc: Exception) -> str:
    """The first line of a database error, without SQLAlchemy's statement dump."""
    original = getattr(exc, "orig", None)
    return str(original if original is not None else exc).splitlines()[0]


# --- writing ------------------------------------------------------------------------------


def record_run(
    engine: Engine,
    run: RunRecord,
    rows: Iterable[ResultRow],
    replace: bool = False,
    groups: Sequence[GroupRow] = (),
) -> None:
    """Record one run in ONE transaction, under the history's lock: log the run, replace the
    unit's results (and points groups' standings) for the semester (other units' are left
    alone).

    The semester is added if new; earlier runs stay in the run log. The run id is derived
    from the input, rules, office settings, checker, semester and day, so running the very
    same thing again is the same run: its log entry is replaced (with the new time) rather
    than refused. Unless `replace`, a semester the unit recorded meanwhile from another input
    is not overwritten. If anything fails (a run id already used for another semester, two
    rows for the same school and criterion, an unknown status), the database is left exactly
    as it was and StoreError is raised.
    """
    label = run.semester.label
    try:
        with engine.begin() as connection:
            _lock(connection)
            current = _current_run(connection, run.unit_id, run.semester)
            name, sha = run.input_name or "", run.input_sha256
            try:
                check_not_overwriting(current, run.semester, name, sha, replace)
            except SemesterAlreadyRecorded as exc:
                raise StoreError(
                    f"could not record run {run.run_id}: another run recorded {run.semester} "
                    f"meanwhile; the history database is unchanged: {exc}"
                ) from exc
            _ensure_semester(connection, run.semester)
            for table in (results_table, group_results_table):
                connection.execute(
                    delete(table).where(
                        (table.c.unit_id == run.unit_id) & (table.c.semester == label)
                    )
                )
            connection.execute(
                delete(runs_table).where(
                    (runs_table.c.run_id == run.run_id) & (runs_table.c.semester == label)
                )
            )
            connection.execute(insert(runs_table).values(_run_values(run)))
            for values in _result_values(run, rows):  # in batches: memory stays flat
                connection.execute(insert(results_table), values)
            if groups:
                connection.execute(insert(group_results_table), _group_values(run, groups))
    except SQLAlchemyError as exc:
        raise StoreError(
            f"could not record run {run.run_id} for {run.semester}; the history database is "
            f"unchanged: {_reason(exc)}"
        ) from exc


def guard_semester(
    engine: Engine,
    unit_id: str,
    semester: Semester,
    input_name: str,
    input_sha256: str,
    replace: bool,
) -> None:
    """Refuse to overwrite a semester the unit recorded from another input unless `replace`.

    Called before anything is written. The same file again (same sha256) is a re-run and
    passes. Raises SemesterAlreadyRecorded, naming the recorded file and the day it was
    recorded.
    """
    try:
        with engine.connect() as connection:
            current = _current_run(connection, unit_id, semester)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the history database: {_reason(exc)}") from exc
    check_not_overwriting(current, semester, input_name, input_sha256, replace)


def check_not_overwriting(
    current: RunRecord | None,
    semester: Semester,
    input_name: str,
    input_sha256: str,
    replace: bool,
) -> None:
    """The history guard's rule: a recorded semester is replaced from another input only when
    asked to (`replace`); raises SemesterAlreadyRecorded otherwise."""
    if current is None or replace or current.input_sha256 == input_sha256:
        return
    raise SemesterAlreadyRecorded(
        MSG_ALREADY_RECORDED,
        {
            "semester": semester.label,
            "recorded": current.input_label,
            "date": current.started_at[:10],
            "file": input_name,
        },
    )


def _current_run(connection: Connection, unit_id: str, semester: Semester) -> RunRecord | None:
    """The run whose results a unit's semester holds: its latest recorded run, or None."""
    query = (
        select(runs_table)
        .where((runs_table.c.unit_id == unit_id) & (runs_table.c.semester == semester.label))
        .order_by(runs_table.c.started_at.desc(), runs_table.c.run_id.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return None if row is None else _run_record(row)


def _ensure_semester(connection: Connection, semester: Semester) -> None:
    """Add the semester to `semesters` unless it is there already (under the lock, so two
    runs of a new semester cannot both add it)."""
    known = connection.execute(
        select(semesters_table.c.label).where(semesters_table.c.label == semester.label)
    ).first()
    if known is None:
        connection.execute(
            insert(semesters_table).values(
                label=semester.label, year=semester.year, term=semester.term
            )
        )


def _run_values(run: RunRecord) -> dict[str, object]:
    """The run as a `runs` row."""
    return {
        "run_id": run.run_id,
        "semester": run.semester.label,
        "started_at": run.started_at,
        "input_sha256": run.input_sha256,
        "rulebook_version": run.rulebook_version,
        "checker_version": run.checker_version,
        "rows_read": run.rows_read,
        "schools": run.schools,
        "rejected": run.rejected,
        "problems": run.problems,
        "input_name": run.input_name,
        "unit_id": run.unit_id,
    }


RECORD_BATCH = 5000  # result rows inserted at a time


def _result_values(run: RunRecord, rows: Iterable[ResultRow]) -> Iterator[list[dict[str, object]]]:
    """The rows as `results` rows, in batches of RECORD_BATCH; `position` is each criterion's
    first place among the rows, which is rulebook order when the rows come school by school in
    rulebook order."""
    positions: dict[str, int] = {}
    batch: list[dict[str, object]] = []
    for row in rows:
        batch.append(
            {
                "unit_id": run.unit_id,
                "semester": run.semester.label,
                "school_id": row.school_id,
                "school_name": row.school_name,
                "level": row.level,
                "criterion": row.criterion,
                "position": positions.setdefault(row.criterion, len(positions)),
                "status": row.status,
                "value": row.value,
                "run_id": run.run_id,
                "points": _decimal_text(row.points),
                "max_points": _decimal_text(row.max_points),
            }
        )
        if len(batch) == RECORD_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _group_values(run: RunRecord, groups: Sequence[GroupRow]) -> list[dict[str, object]]:
    """The standings as `group_results` rows."""
    return [
        {
            "unit_id": run.unit_id,
            "semester": run.semester.label,
            "school_id": group.school_id,
            "group_id": group.group_id,
            "points": _decimal_text(group.points),
            "max_points": _decimal_text(group.max_points),
            "level": group.level,
            "mandatory_met": group.mandatory_met,
            "run_id": run.run_id,
        }
        for group in groups
    ]


def _decimal_text(number: Decimal | None) -> str | None:
    """An exact number as text ('6', '7.5'), so that no database rounds it."""
    return None if number is None else format(number.normalize(), "f")


def group_rows(results: Iterable[SchoolResult]) -> list[GroupRow]:
    """The points groups' standings to record for a run's results."""
    return [
        GroupRow(
            result.school.school_id,
            group.group_id,
            group.points,
            group.max_points,
            group.level,
            group.mandatory_met,
        )
        for result in results
        for group in result.groups
    ]


def result_rows(
    results: Iterable[SchoolResult],
    value_text: Callable[[Verdict], str],
    criteria: Sequence[Criterion] = (),
) -> Iterator[ResultRow]:
    """The rows to record for a run's results, made as they are recorded; `value_text` renders
    a verdict's value as in results.csv (the writer owns that format); `criteria` (the
    rulebook's) give the points a criterion of a points group is worth."""
    worth = {c.id: c.points for c in criteria if c.group}
    return (
        ResultRow(
            school_id=result.school.school_id,
            school_name=result.school.name,
            level=result.school.level,
            criterion=verdict.criterion_id,
            status=verdict.status,
            value=value_text(verdict),
            points=verdict.points,
            max_points=worth.get(verdict.criterion_id) if verdict.points is not None else None,
        )
        for result in results
        for verdict in result.verdicts
    )


def group_levels(
    engine: Engine, unit_id: str | None = None
) -> dict[str, dict[Semester, list[GroupLevels]]]:
    """Per unit, per recorded semester (oldest first), per points group: schools per Mức and
    the median points ({} when no run recorded points groups)."""
    table = group_results_table
    query = (
        select(
            table.c.unit_id,
            semesters_table.c.year,
            semesters_table.c.term,
            table.c.group_id,
            table.c.points,
            table.c.level,
        )
        .join(semesters_table, semesters_table.c.label == table.c.semester)
        .order_by(table.c.unit_id, semesters_table.c.year, semesters_table.c.term)
    )
    if unit_id is not None:
        query = query.where(table.c.unit_id == unit_id)
    found: dict[str, dict[Semester, dict[str, list[tuple[Decimal, int | None]]]]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            semester = Semester(row.year, row.term)
            groups = found.setdefault(row.unit_id, {}).setdefault(semester, {})
            groups.setdefault(row.group_id, []).append((Decimal(row.points), row.level))
    return {
        unit: {
            semester: [_levels_of(group, rows) for group, rows in groups.items()]
            for semester, groups in semesters.items()
        }
        for unit, semesters in found.items()
    }


def _levels_of(group_id: str, rows: Sequence[tuple[Decimal, int | None]]) -> GroupLevels:
    """Schools per Mức and the median points of the schools a group applies to."""
    applying = [(points, level) for points, level in rows if level is not None]
    by_level = {level: sum(1 for _, lv in applying if lv == level) for level in (1, 2, 3)}
    median = statistics.median(points for points, _ in applying) if applying else None
    return GroupLevels(group_id, by_level, median)


def school_groups(engine: Engine, unit_id: str, school_id: str) -> dict[Semester, list[GroupRow]]:
    """One school's standing in each points group, per recorded semester (oldest first)."""
    table = group_results_table
    query = (
        select(semesters_table.c.year, semesters_table.c.term, table)
        .join(semesters_table, semesters_table.c.label == table.c.semester)
        .where((table.c.unit_id == unit_id) & (table.c.school_id == school_id))
        .order_by(semesters_table.c.year, semesters_table.c.term, table.c.group_id)
    )
    found: dict[Semester, list[GroupRow]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            found.setdefault(Semester(row.year, row.term), []).append(
                GroupRow(
                    row.school_id,
                    row.group_id,
                    Decimal(row.points),
                    Decimal(row.max_points),
                    row.level,
                    bool(row.mandatory_met),
                )
            )
    return found


# --- reading ------------------------------------------------------------------------------


def recorded_units(engine: Engine) -> list[str]:
    """Every unit with a recorded run, in alphabetical order."""
    query = select(runs_table.c.unit_id).distinct().order_by(runs_table.c.unit_id)
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def recorded_semesters(engine: Engine, unit_id: str | None = None) -> list[Semester]:
    """Every semester with recorded results (of one unit, or of any), oldest first."""
    query = select(semesters_table.c.year, semesters_table.c.term)
    if unit_id is not None:
        of_unit = select(runs_table.c.semester).where(runs_table.c.unit_id == unit_id)
        query = query.where(semesters_table.c.label.in_(of_unit))
    query = query.order_by(semesters_table.c.year, semesters_table.c.term)
    with engine.connect() as connection:
        return [Semester(year, term) for year, term in connection.execute(query)]


def previous_semester(engine: Engine, unit_id: str, current: Semester) -> Semester | None:
    """The unit's latest recorded semester strictly before `current`, or None."""
    return previous(recorded_semesters(engine, unit_id), current)


def run_log(engine: Engine, unit_id: str | None = None) -> list[RunRecord]:
    """Every recorded run (of one unit, or of all), oldest first (by start time, then id)."""
    query = select(runs_table)
    if unit_id is not None:
        query = query.where(runs_table.c.unit_id == unit_id)
    query = query.order_by(runs_table.c.started_at, runs_table.c.run_id)
    with engine.connect() as connection:
        return [_run_record(row) for row in connection.execute(query)]


def _run_record(row: Any) -> RunRecord:
    """A `runs` row as a RunRecord."""
    return RunRecord(
        run_id=row.run_id,
        unit_id=row.unit_id,
        semester=parse_semester(row.semester),
        started_at=row.started_at,
        input_sha256=row.input_sha256,
        rulebook_version=row.rulebook_version,
        checker_version=row.checker_version,
        rows_read=row.rows_read,
        schools=row.schools,
        rejected=row.rejected,
        problems=row.problems,
        input_name=row.input_name,
    )


def current_runs(engine: Engine) -> dict[tuple[str, Semester], RunRecord]:
    """Per unit and recorded semester, the run whose results it holds (its input file)."""
    # The log is oldest first, so the latest run of each unit's semester is the one kept.
    return {(run.unit_id, run.semester): run for run in run_log(engine)}


def statuses_for(engine: Engine, unit_id: str, semester: Semester) -> dict[str, dict[str, str]]:
    """school_id -> criterion -> status in one unit's semester ({} when it is not recorded)."""
    results = results_table
    query = (
        select(results.c.school_id, results.c.criterion, results.c.status)
        .where((results.c.unit_id == unit_id) & (results.c.semester == semester.label))
        .order_by(results.c.school_id, results.c.position)
    )
    statuses: dict[str, dict[str, str]] = {}
    with engine.connect() as connection:
        for school_id, criterion, status in connection.execute(query):
            statuses.setdefault(school_id, {})[criterion] = status
    return statuses


def unit_trends(engine: Engine, unit_id: str | None = None) -> dict[str, list[SemesterRates]]:
    """Per unit (alphabetical; only `unit_id` when given), per recorded semester (oldest
    first), per criterion: schools met and applicable."""
    results = results_table
    query = select(
        results.c.unit_id,
        semesters_table.c.year,
        semesters_table.c.term,
        results.c.criterion,
        func.min(results.c.position).label("position"),
        func.sum(case((results.c.status == "met", 1), else_=0)).label("met"),
        func.sum(case((results.c.status.in_(APPLICABLE_STATUSES), 1), else_=0)).label("applicable"),
        func.max(results.c.max_points).label("pointed"),
    ).join(semesters_table, semesters_table.c.label == results.c.semester)
    if unit_id is not None:
        query = query.where(results.c.unit_id == unit_id)
    keys = (results.c.unit_id, semesters_table.c.year, semesters_table.c.term)
    query = query.group_by(*keys, results.c.criterion).order_by(
        *keys, "position", results.c.criterion
    )
    grouped: dict[str, dict[Semester, list[CriterionRate]]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            rate = CriterionRate(
                row.criterion, int(row.met), int(row.applicable), row.pointed is not None
            )
            by_semester = grouped.setdefault(row.unit_id, {})
            by_semester.setdefault(Semester(row.year, row.term), []).append(rate)
    return {
        unit: [SemesterRates(semester, tuple(rates)) for semester, rates in by_semester.items()]
        for unit, by_semester in grouped.items()
    }


def district_trend(engine: Engine, unit_id: str) -> list[SemesterRates]:
    """One unit's rates per recorded semester (oldest first), per criterion."""
    return unit_trends(engine, unit_id).get(unit_id, [])


def trend_criteria(trend: Sequence[SemesterRates]) -> list[str]:
    """Every criterion in the trend: the latest semester's, in its order, then older ones."""
    criteria: list[str] = []
    for semester_rates in reversed(trend):
        criteria.extend(r.criterion for r in semester_rates.rates if r.criterion not in criteria)
    return criteria


def school_history(engine: Engine, unit_id: str, school_id: str) -> list[SchoolSemester]:
    """One school's statuses in every semester its unit recorded it in, oldest first.

    Semesters without the school (before it opened, after a merger) are simply absent.
    """
    results = results_table
    query = (
        select(
            semesters_table.c.year,
            semesters_table.c.term,
            results.c.school_name,
            results.c.level,
            results.c.criterion,
            results.c.status,
            results.c.points,
        )
        .join(semesters_table, semesters_table.c.label == results.c.semester)
        .where((results.c.unit_id == unit_id) & (results.c.school_id == school_id))
        .order_by(semesters_table.c.year, semesters_table.c.term, results.c.position)
    )
    found: dict[Semester, tuple[str, str | None, dict[str, str], set[str]]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            entry = found.setdefault(
                Semester(row.year, row.term), (row.school_name, row.level, {}, set())
            )
            entry[2][row.criterion] = row.status
            if row.points is not None:
                entry[3].add(row.criterion)
    return [
        SchoolSemester(semester, name, level, statuses, frozenset(pointed))
        for semester, (name, level, statuses, pointed) in found.items()
    ]


# --- comparing ----------------------------------------------------------------------------


def score_of(statuses: Mapping[str, str]) -> float | None:
    """met / applicable for one school's statuses; None when no criterion applies."""
    return share(*met_and_applicable(statuses.values()))


def names_for(engine: Engine, unit_id: str, semester: Semester) -> dict[str, str]:
    """school_id -> school name as recorded in one unit's semester (for schools that did not
    report this time)."""
    results = results_table
    query = (
        select(results.c.school_id, results.c.school_name)
        .where((results.c.unit_id == unit_id) & (results.c.semester == semester.label))
        .distinct()
    )
    with engine.connect() as connection:
        return {school_id: name for school_id, name in connection.execute(query)}
