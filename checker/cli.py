"""The command line: `checker run`, `checker template`, `checker history`.

Start-up matters (the 45-school run has an 8-second budget, and an unusable input should be
refused at once): this module imports only click at the top, and `checker history` (which
brings SQLAlchemy) is imported only when it is the command given. `checker run` first checks
its rulebook, office settings and input file (checker.inputs, light imports), then starts its
validator and render workers, so they import Great Expectations and WeasyPrint while this
process reads the table and imports the rest of the pipeline.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

import click

from checker.i18n import DEFAULT_LANGUAGE, LANGUAGES
from checker.safe_text import terminal_text

if TYPE_CHECKING:
    from checker.inputs import Handover, Inputs, IntakeOptions, LoadedSettings
    from checker.limits import Limits

EXIT_UNUSABLE_INPUT = 2
EXIT_STORE_FAILED = 1

Decorated = TypeVar("Decorated", bound=Callable[..., Any])
Checked = TypeVar("Checked")


def lang_option(what: str) -> Callable[[Decorated], Decorated]:
    """The --lang option of every command; `what` says what the language applies to."""
    return click.option(
        "--lang",
        type=click.Choice(list(LANGUAGES)),
        default=DEFAULT_LANGUAGE,
        show_default=True,
        is_eager=True,  # known before the other options are checked, for their messages
        help=f"Language of {what}.",
    )


RULES_HELP = "Rulebook(s) whose fields make the columns (default: as for `checker run`)."


def rules_option(help_text: str = RULES_HELP) -> Callable[[Decorated], Decorated]:
    """--rules, repeatable (the local plan, then the national index): the rulebook(s) a
    command reads; `help_text` says what for."""
    return click.option(
        "--rules",
        "rules_paths",
        type=click.Path(path_type=Path, dir_okay=False),
        multiple=True,
        help=help_text,
    )


def db_option(command: Decorated) -> Decorated:
    """The --db option of every command that reads or writes the history database."""
    return click.option(
        "--db",
        "db",
        metavar="PATH_OR_URL",
        default=None,
        help="History database: a SQLite file or an SQLAlchemy URL "
        "[default: $CHECKER_DB, else checker.db in the working folder].",
    )(command)


def default_workers() -> int:
    """One render worker per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def fail(message: str) -> NoReturn:
    """Print one plain line on stderr and exit 2: the input cannot be used, nothing was written."""
    click.echo(terminal_text(message), err=True)
    sys.exit(EXIT_UNUSABLE_INPUT)


def error_text(error: Exception, lang: str) -> str:
    """An input error's sentence in the user's language (errors carry an English msgid + params)."""
    from checker.i18n import load_translator

    msgid = getattr(error, "msgid", None)
    params = getattr(error, "params", None)
    t = load_translator(lang)
    translate = getattr(error, "translate", None)
    if callable(translate):  # errors whose parameters are translated too
        return t.gettext("Error: ") + translate(t.gettext)
    if isinstance(msgid, str) and isinstance(params, dict):
        return t.gettext("Error: ") + t.gettext(msgid).format(**params)
    return t.gettext("Error: ") + str(error)


def usable(lang: str, check: Callable[..., Checked], *args: Any) -> Checked:
    """`check(*args)`, or exit 2 with its model.InputError as one sentence in `lang`."""
    from checker.model import InputError

    try:
        return check(*args)
    except InputError as error:
        fail(error_text(error, lang))


def checked_inputs(
    input_path: Path, settings: LoadedSettings, lang: str, intake: IntakeOptions
) -> Inputs:
    """The run's table read and checked with its loaded settings; exit 2 with one sentence
    when it cannot be used."""
    from checker.inputs import read_inputs

    return usable(lang, read_inputs, input_path, settings, intake)


def checked_before_start(
    input_path: Path, rules_paths: tuple[Path, ...], office_path: Path, lang: str, limits: Limits
) -> LoadedSettings:
    """The rulebook(s) and office settings, loaded; exit 2 with one sentence when they or the
    input file cannot be used, as far as that is known before the table is read (a missing
    file, a rulebook with a mistake): called before any process is started."""
    from checker.inputs import check_before_reading

    return usable(lang, check_before_reading, input_path, rules_paths, office_path, lang, limits)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Fork inside this block: the garbage collector's heap is frozen (gc.freeze, as Python's
    documentation advises before a fork), so a child's collections never write to the objects
    it inherited (the imported modules) and their pages stay shared with this process instead
    of being copied into each child. Unfrozen here once forked."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def start_validator() -> ProcessPoolExecutor:
    """The process that validates the table (see warm_up_processes)."""
    from checker.procs import die_with_parent

    validator = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,  # it dies with this process, even on kill -9
        initargs=(os.getpid(),),
    )
    with frozen_heap():
        validator.submit(int)  # fork now, before any heavy import
    return validator


def start_workers(workers: int) -> ProcessPoolExecutor:
    """A pool of forked render workers (see warm_up_processes). Forked before WeasyPrint is
    imported anywhere: each imports it in its warm-up. Importing it here first would share its
    pages among the workers, but cost this process a second and a half before the table is
    read, and a table that cannot be used must be refused at once (issue 14)."""
    from checker.procs import die_with_parent

    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,  # they die with this process, even on kill -9
        initargs=(os.getpid(),),
    )
    with frozen_heap():
        pool.submit(int)  # forking happens at the first submit; do it before any heavy import
    return pool


def warm_up_processes(
    validator: ProcessPoolExecutor, executor: Executor, slots: int, local: bool, lang: str
) -> None:
    """Once the table is read and usable: the validator imports Great Expectations (seconds),
    each local render worker (`local`) gets ready to render, while this process imports the
    rest of the pipeline. Their first tasks, not their start: a table that cannot be used
    leaves them idle, and the run ends at once."""
    from checker.procs import first_task
    from checker.render import warm_up
    from checker.validate import preload

    validator.submit(first_task, preload)
    if local:
        for _ in range(slots):  # one each, as a rule: a worker is busy for its warm-up's time
            executor.submit(first_task, warm_up, lang)


class Commands(click.Group):
    """The command group, with some commands imported only when they are the one given."""

    LAZY: ClassVar[dict[str, str]] = {"history": "checker.history_cli"}  # name -> its module

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.LAZY:
            import importlib

            command = getattr(importlib.import_module(self.LAZY[cmd_name]), cmd_name)
            return command if isinstance(command, click.Command) else None
        return super().get_command(ctx, cmd_name)


@contextlib.contextmanager
def render_executor(
    scheduler: str | None, workers: int | None, lang: str
) -> Iterator[tuple[Executor, int]]:
    """The executor that renders and its number of render slots: forked worker processes
    here, or a Dask cluster's workers (every thread of every worker) when given its
    scheduler's address. Shut down (the cluster left running) when the run ends."""
    if scheduler is None:
        slots = workers or default_workers()
        pool = start_workers(slots)
        try:
            yield pool, slots
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    client = connect_cluster(scheduler, lang)
    try:
        # Not pure: a chunk is rendered once, so hashing its arguments would be wasted work.
        yield client.get_executor(pure=False), sum(client.nthreads().values())
    finally:
        client.close()


def connect_cluster(address: str, lang: str) -> Any:
    """A Dask client on the cluster at `address` with at least one worker; exit 2 with one
    sentence when Dask is not installed or the cluster cannot be used (nothing written)."""
    from checker.i18n import load_translator

    t = load_translator(lang)
    try:
        from distributed import Client
    except ImportError:
        fail(
            t.gettext("Error: ")
            + t.gettext("rendering on a Dask cluster needs the dask extra: %(command)s")
            % {"command": "pip install 'checker[dask]'"}
        )
    # How long to try the scheduler, and then to wait for a first worker: Dask's own setting
    # (distributed.comm.timeouts.connect, 30 s unless the province's Dask config says else).
    from dask.config import get as dask_setting
    from dask.utils import parse_timedelta

    timeout = parse_timedelta(dask_setting("distributed.comm.timeouts.connect"))
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, ValueError) as error:
        fail(
            t.gettext("Error: ")
            + t.gettext("the Dask scheduler %(address)s cannot be reached (%(reason)s).")
            % {"address": address, "reason": error}
        )
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        client.close()
        fail(
            t.gettext("Error: ")
            + t.gettext("the Dask scheduler %(address)s has no workers.") % {"address": address}
        )
    return client


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="checker")
def cli() -> None:
    """School digitisation compliance checker for district education offices.

    \b
    Example:
        checker run sample_data/giong_trom_2026-2027_HK1.xlsx --semester 2026-2027/HK1 --out out
    """


def check_semester(_ctx: click.Context, _param: click.Parameter, value: str) -> Any:
    """Click callback: a semester label such as 2026-2027/HK1."""
    from checker.semester import parse_semester

    try:
        return parse_semester(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


# The days a document can carry: a zip entry (the XLSX) cannot be dated outside these years.
FIRST_DAY, LAST_DAY = dt.date(1980, 1, 1), dt.date(2107, 12, 31)


def check_day(
    _ctx: click.Context, _param: click.Parameter, value: dt.datetime | None
) -> dt.date | None:
    """Click callback: --date within the years the outputs can carry."""
    from checker.i18n import load_translator

    if value is None:
        return None
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        t = load_translator(_ctx.params.get("lang", "vi"))
        raise click.BadParameter(
            t.gettext("{day} is out of range: choose a day from {first} to {last}.").format(
                day=value.date().isoformat(), first=FIRST_DAY, last=LAST_DAY
            )
        )
    return value.date()


def capped_workers(asked: int | None, forced: bool, lang: str) -> int:
    """The render processes to start: the cores by default; more only with --force-workers
    (each costs about 40 MB and none makes a run faster than one per core)."""
    from checker.i18n import load_translator

    cores = default_workers()
    if asked is None:
        return cores
    if asked > cores and not forced:
        message = load_translator(lang).gettext(
            "Using {cores} render processes, not {asked}: this machine has {cores} cores "
            "(--force-workers to use more)."
        )
        click.echo(message.format(cores=cores, asked=asked), err=True)
        return cores
    return asked


def check_limits(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> Any:
    """Click callback: `--limit NAME=N` settings as a Limits."""
    from checker.limits import parse_limits

    try:
        return parse_limits(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@cli.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option(
    "--semester",
    required=True,
    callback=check_semester,
    help="Semester label, e.g. 2026-2027/HK1 (school year, then HK1 or HK2).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Output folder (created if needed).",
)
@lang_option("the scorecards, summary and messages")
@rules_option(
    "Rulebook TOML (default: expectations/rulebook.toml in this folder if there is one, "
    "else the local plan shipped with checker). Give it twice to check the local plan and the "
    "national index in one run: --rules expectations/rulebook.toml --rules "
    "expectations/qd4725.toml."
)
@click.option(
    "--office",
    "office_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Issuing office settings TOML (default: office.toml in this folder if there is one, "
    "else the example shipped with checker).",
)
@db_option
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Render processes on this machine (default and at most: the number of cores).",
)
@click.option(
    "--force-workers",
    is_flag=True,
    help="Start as many render processes as --workers says, even more than the cores.",
)
@click.option(
    "--scheduler",
    envvar="DASK_SCHEDULER_ADDRESS",
    default=None,
    help="Render on a Dask cluster: its scheduler's address, e.g. tcp://10.0.0.5:8786 "
    "(default: $DASK_SCHEDULER_ADDRESS; needs pip install 'checker[dask]').",
)
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    callback=check_day,
    help="Date printed on the documents (default: today).",
)
@click.option(
    "--replace",
    is_flag=True,
    help="Replace a semester already recorded in the history from another input file.",
)
@click.option(
    "--sheet",
    default=None,
    metavar="NAME",
    help="The sheet to read, when the workbook has several that look like the table.",
)
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=N",
    callback=check_limits,
    help="Raise one of the input limits for this run, e.g. --limit rows=200000 "
    "(names: file-mb, member-mb, rows, columns, cells, cell-chars, shared-strings, chars; "
    "see README).",
)
@click.option(
    "--report-number",
    type=click.IntRange(min=1, max=999_999),
    default=None,
    help="The summary report's number (số); without it, left blank to write by hand.",
)
@click.option(
    "--doc-number",
    type=click.IntRange(min=1, max=999_999),
    default=None,
    help="The scorecards' number (số, in office.toml's notice_symbol); without it, left blank "
    "to write by hand.",
)
@click.option(
    "--attention",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="How many of the weakest schools of each level the summary names as needing attention.",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress bar, summary lines or note of the folder's own settings (warnings stay).",
)
@click.option(
    "--roster",
    "roster_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="When INPUT is a folder of returned forms: the list of schools expected "
    "[default: roster in the office settings, if any].",
)
def run(
    input_path: Path,
    semester: Any,
    out_dir: Path,
    lang: str,
    rules_paths: tuple[Path, ...],
    office_path: Path | None,
    db: str | None,
    workers: int | None,
    force_workers: bool,
    scheduler: str | None,
    day: dt.date | None,
    replace: bool,
    sheet: str | None,
    limits: Any,
    report_number: int | None,
    doc_number: int | None,
    attention: int,
    quiet: bool,
    roster_file: Path | None,
) -> None:
    """Check one semester's school table and write scorecards, summary and results.

    INPUT is the office's table (XLSX, ODS or CSV), one row per school, or a folder of the
    schools' returned forms, collected first as `checker collect` does. Writes
    OUT/scorecards/<school_id>.pdf, OUT/summary.pdf, OUT/summary.docx (the report to finish
    in Word), OUT/results.csv, OUT/results.json, OUT/results.xlsx, OUT/data-quality.xlsx (and
    .csv), OUT/data-quality/<school_id>.xlsx for each school with data problems and
    OUT/manifest.json, and records the semester in the
    history database. Exit 0 when the run completes (whatever the schools' results), 2 when
    the input cannot be used (nothing is written then).

    \b
    Example:
        checker run sample_data/giong_trom_2026-2027_HK1.xlsx \\
            --semester 2026-2027/HK1 --out out
    """
    from checker.inputs import Handover, IntakeOptions

    settings = run_settings(rules_paths, office_path, lang, quiet)
    if input_path.is_dir():  # a folder of returned forms: merged first (checker collect)
        input_path = collected_table(
            input_path, semester, roster_file, office_path, settings.rules_paths, lang, quiet
        )
    if scheduler and (workers or force_workers):
        raise click.UsageError("--workers is for rendering here; with --scheduler, drop it.")
    intake = IntakeOptions(limits, sheet, semester)
    loaded = checked_before_start(
        input_path, settings.rules_paths, settings.office_path, lang, intake.limits
    )  # before any process
    if scheduler is None:
        workers = capped_workers(workers, force_workers, lang)
    validator = start_validator()  # forked first, before any thread (Dask's client has some)
    try:
        with render_executor(scheduler, workers, lang) as (executor, slots):
            # The table is read once the validator and the render workers are forked, so that
            # they never hold a copy of it (a province's is tens of MB), and handed over, so
            # that the run frees it once it is validated.
            inputs = Handover(checked_inputs(input_path, loaded, lang, intake))
            warm_up_processes(validator, executor, slots, scheduler is None, lang)
            report = run_with_progress(
                input_path,
                semester,
                out_dir,
                lang,
                settings,
                db,
                slots,
                day or dt.date.today(),
                attention,
                quiet,
                replace,
                executor,
                validator,
                inputs,
                sheet,
                limits,
                report_number,
                doc_number,
            )
    finally:
        validator.shutdown(wait=False, cancel_futures=True)
    for warning in report.warnings:  # said even with --quiet: the documents are affected
        click.echo(warning, err=True)
    if not quiet:
        print_report(report, lang)


def run_with_progress(
    input_path: Path,
    semester: Any,
    out_dir: Path,
    lang: str,
    settings: Any,
    db: str | None,
    workers: int,
    day: dt.date,
    attention: int,
    quiet: bool,
    replace: bool,
    executor: Executor,
    validator: ProcessPoolExecutor,
    inputs: Handover[Inputs],
    sheet: str | None = None,
    limits: Any = None,
    report_number: int | None = None,
    doc_number: int | None = None,
) -> Any:
    """Import the pipeline, run it with a progress bar, and turn input errors into exit 2."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from checker.history import StoreError, database_url
    from checker.i18n import load_translator
    from checker.limits import DEFAULT_LIMITS
    from checker.model import InputError
    from checker.outdir import OutputFailed
    from checker.run import RunOptions, run_checker

    options = RunOptions(
        input_path=input_path,
        semester=semester,
        out_dir=out_dir,
        lang=lang,
        rules_paths=settings.rules_paths,
        office_path=settings.office_path,
        db_url=database_url(db, os.environ),
        day=day,
        replace=replace,
        render_slots=workers,
        sheet=sheet,
        limits=limits or DEFAULT_LIMITS,
        report_number=report_number,
        doc_number=doc_number,
        attention_per_level=attention,
    )
    t = load_translator(lang)
    show = not quiet and sys.stderr.isatty()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task(t.gettext("Scorecards"), total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            return run_checker(options, executor, advance, validator, inputs)
        except InputError as error:
            fail(error_text(error, lang))
        except (StoreError, OutputFailed) as error:  # the database or the disk, not the input
            click.echo(terminal_text(error_text(error, lang)), err=True)
            sys.exit(EXIT_STORE_FAILED)
        except BrokenProcessPool:  # a worker died: out of memory or disk space, or killed
            message = t.gettext(
                "A worker process stopped unexpectedly (out of memory or disk space?); "
                "nothing was changed in {out}."
            )
            click.echo(t.gettext("Error: ") + message.format(out=terminal_text(out_dir)), err=True)
            sys.exit(EXIT_STORE_FAILED)


def run_settings(
    rules_paths: tuple[Path, ...], office_path: Path | None, lang: str, quiet: bool = False
) -> Any:
    """The settings files for a run in this folder (checker.workdir.run_settings); says once
    which of them are the folder's own copies (unless `quiet`: `make run` runs three semesters
    from the repository, itself a working folder, and says it once, on the last)."""
    from checker.i18n import load_translator
    from checker.workdir import run_settings as settings_in

    settings = settings_in(Path.cwd(), rules_paths, office_path)
    t = load_translator(lang)
    if settings.from_folder and not quiet:
        names = ", ".join(path.as_posix() for path in settings.from_folder)
        click.echo(t.gettext("Using this folder's own settings: %(files)s.") % {"files": names})
    if (Path.cwd() / RETIRED_SUITE).is_file():
        # Edits made there would be lost without a word: the checks now follow the fields.
        click.echo(
            t.gettext(
                "%(file)s is no longer read: the intake checks follow the rulebook's [[fields]] "
                "(kind, min, max, levels, must_fill); move any change you made there into them."
            )
            % {"file": RETIRED_SUITE.as_posix()}
        )
    return settings


# The hand-kept intake suite of earlier versions, which `checker init` used to copy.
RETIRED_SUITE = Path("expectations") / "intake_suite.json"


def print_report(report: Any, lang: str) -> None:
    """The run's reconciliation and where its outputs are, in a few plain lines."""
    from checker.context import semester_text
    from checker.i18n import load_translator
    from checker.limits import printable_name as printable

    t = load_translator(lang)
    if report.sheet is not None:
        click.echo(t.gettext("Sheet read: %(sheet)s") % {"sheet": printable(report.sheet)})
    click.echo(
        t.gettext("Read %(rows)s rows: %(cards)s scorecards written + %(rejected)s rows rejected.")
        % {"rows": report.rows_read, "cards": report.scorecards, "rejected": len(report.rejected)}
    )
    for rejected in report.rejected:
        click.echo(
            "  "
            + t.gettext("Row %(row)s rejected: %(reason)s")
            % {"row": rejected.row_number, "reason": rejected_reason(rejected.code, t)}
        )
    for row in report.repeated_headers:
        click.echo("  " + t.gettext("Row %(row)s repeats the header row: skipped.") % {"row": row})
    if report.extra_columns:
        click.echo(
            t.gettext("Columns not used for scoring: %(columns)s.")
            % {"columns": ", ".join(map(terminal_text, report.extra_columns))}
        )
    click.echo(
        t.gettext("Data problems: %(count)s (see %(path)s)")
        % {"count": report.problems, "path": terminal_text(report.out_dir / "data-quality.xlsx")}
    )
    if report.previous_semester:
        click.echo(
            t.gettext("Compared with %(semester)s.")
            % {"semester": semester_text(report.previous_semester, t)}
        )
    else:
        click.echo(t.gettext("No earlier semester recorded: nothing to compare with yet."))
    click.echo(
        t.gettext("Outputs in %(path)s (run %(run_id)s).")
        % {"path": terminal_text(report.out_dir), "run_id": report.run_id}
    )


def rejected_reason(code: str, t: Any) -> str:
    """Why a row was rejected, in words."""
    if code == "missing_id":
        return t.gettext("it has data but no school ID")
    return code


@cli.command()
@click.argument("out_path", metavar="OUT.xlsx", type=click.Path(path_type=Path, dir_okay=False))
@lang_option("the instructions sheet")
@rules_option()
def template(out_path: Path, lang: str, rules_paths: tuple[Path, ...]) -> None:
    """Write the blank intake workbook the office sends to schools.

    One column per field the rulebook(s) read, with Vietnamese headers, drop-down lists for
    yes/no and level, number limits, and a sheet of instructions. A filled-in copy runs
    through `checker run` (with the same --rules) as it is.

    \b
    Example:
        checker template mau-nhap-lieu.xlsx
        checker template mau-4725.xlsx --rules expectations/qd4725.toml
    """
    from checker.i18n import load_translator
    from checker.intake_form import write_intake_template

    if out_path.suffix.lower() != ".xlsx":
        fail(error_text(ValueError(f"{out_path.name}: the template is an .xlsx file."), lang))
    columns = rulebook_columns(rules_paths, lang)
    try:
        write_intake_template(out_path, load_translator(lang), columns=columns)
    except OSError as error:  # a read-only or full folder, a folder of that name, a long name
        reason = error.strerror or type(error).__name__
        fail(error_text(ValueError(f"{out_path}: {reason}."), lang))
    click.echo(terminal_text(out_path))


@cli.command()
@click.argument(
    "folder", metavar="[DIR]", required=False, default=Path("."), type=click.Path(path_type=Path)
)
@click.option("--sample", is_flag=True, help="Also copy the sample district's tables.")
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of the messages.",
)
def init(folder: Path, sample: bool, lang: str) -> None:
    """Set up an office's working folder with its own copies of the settings.

    Writes DIR/office.toml (the issuing office), DIR/expectations/rulebook.toml (the local
    plan's criteria and the columns they read) and DIR/expectations/qd4725.toml (the national
    index), copied from the ones shipped with checker; with --sample, also the sample district
    in DIR/sample_data/. Files already there are kept. Edit the copies: `checker run` in DIR
    uses them (--rules and --office still win). DIR defaults to this folder.

    \b
    Example:
        checker init phong-gd --sample
        cd phong-gd
        checker run sample_data/giong_trom_2026-2027_HK1.xlsx --semester 2026-2027/HK1
    """
    from checker.i18n import load_translator
    from checker.workdir import init_folder

    t = load_translator(lang)
    try:
        written, kept = init_folder(folder, sample)
    except OSError as error:
        target = error.filename or folder
        fail(
            t.gettext("Error: ")
            + t.gettext("%(path)s cannot be written (%(reason)s).")
            % {"path": target, "reason": error.strerror or error}
        )
    for relative in written:
        click.echo(t.gettext("Written: %(path)s") % {"path": folder / relative})
    for relative in kept:
        click.echo(t.gettext("Kept (already there): %(path)s") % {"path": folder / relative})


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--p12",
    "p12",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The signer's key and certificate, a PKCS#12 file (.p12 or .pfx).",
)
@lang_option("the visible signature and the messages")
@click.option(
    "--to",
    "target_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the signed copies (default: OUT_DIR-signed, beside OUT_DIR).",
)
def sign(out_dir: Path, p12: Path, lang: str, target_dir: Path | None) -> None:
    """Sign a run's summary and every scorecard with a key file, in one batch.

    Each PDF is signed (PAdES) in its empty signature field, visibly; the signed copies go to
    OUT_DIR-signed/ (or --to DIR) under the same names and the unsigned files stay as they
    are. The key file's password is read from $CHECKER_P12_PASSWORD, or asked for (it is
    never an option).
    Exit 2, with nothing signed, if the key file cannot be opened or a PDF has no empty field.

    \\b
    Example:
        checker sign out/2026-2027_HK1 --p12 chu-ky-so.p12
    """
    from checker.i18n import load_translator
    from checker.sign import SigningError, load_signer, read_password, sign_folder, signed_folder

    t = load_translator(lang)
    password = read_password(
        dict(os.environ),
        lambda: click.prompt(t.gettext("Password of the key file"), hide_input=True, err=True),
    )
    try:
        signer = load_signer(p12, password)
        target = target_dir or signed_folder(out_dir)
        signed = sign_folder(out_dir, target, signer, t)
    except SigningError as error:
        fail(error_text(error, lang))
    click.echo(
        t.gettext("Signed %(count)s documents into %(path)s.")
        % {"count": len(signed), "path": target}
    )


def roster_option(command: Decorated) -> Decorated:
    """The --roster option of the semester round-trip commands (forms, collect, send)."""
    return click.option(
        "--roster",
        "roster_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="The unit's list of schools (XLSX, ODS or CSV) [default: roster in the office "
        "settings].",
    )(command)


def office_option(command: Decorated) -> Decorated:
    """The --office option of the commands that read the office settings but do not run."""
    return click.option(
        "--office",
        "office_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Issuing office settings TOML (default: office.toml in this folder if there is "
        "one, else the example shipped with checker).",
    )(command)


def rulebook_columns(rules_paths: tuple[Path, ...], lang: str) -> Any:
    """The table's columns: those the rulebook(s) declare (`--rules`, else the working folder's
    or the shipped local plan); exit 2 with one sentence when a rulebook cannot be used."""
    from checker.rulebook import load_rulebooks
    from checker.workdir import run_settings as settings_in

    settings = settings_in(Path.cwd(), rules_paths, None)
    return usable(lang, load_rulebooks, settings.rules_paths).columns


def load_roster_or_fail(roster_file: Path | None, office_path: Path | None, lang: str) -> Any:
    """The roster `--roster` or the office settings name, checked; exit 2 with one sentence
    when there is none or it cannot be used."""
    from checker.office import read_office
    from checker.roster import load_roster, roster_path
    from checker.workdir import run_settings as settings_in

    office = settings_in(Path.cwd(), (), office_path).office_path
    usable(lang, read_office, office, lang)
    return usable(lang, lambda: load_roster(roster_path(roster_file, office)))


def progress_bar(quiet: bool) -> Any:
    """The progress bar of the long commands (rich), shown on a terminal unless --quiet."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        disable=quiet or not sys.stderr.isatty(),
        transient=True,
    )


@cli.command()
@roster_option
@click.option(
    "--semester",
    required=True,
    callback=check_semester,
    help="The semester the forms are for, e.g. 2026-2027/HK1.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder for the forms (created if needed).",
)
@lang_option("the forms' notes and instructions")
@office_option
@click.option(
    "--prefill-from-history",
    "prefill",
    is_flag=True,
    help="Fill in each school's figures of the semester before (from the history database), "
    "for the school to confirm or correct.",
)
@db_option
@rules_option()
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def forms(
    roster_file: Path | None,
    semester: Any,
    out_dir: Path,
    lang: str,
    office_path: Path | None,
    prefill: bool,
    db: str | None,
    rules_paths: tuple[Path, ...],
    quiet: bool,
) -> None:
    """Write one intake form per school of the roster, to send to the schools.

    Each form (OUT/<id>_<school name>.xlsx) names the semester in its title, has the school's
    id, name, level and commune filled in and locked, greys and locks the columns the school's
    level does not fill, and ends with a date line and the principal's signature block. A
    returned form runs through `checker collect` (or `checker run`) as it is.

    \b
    Example:
        checker forms --roster sample_data/roster.csv --semester 2026-2027/HK1 --out phieu
    """
    from checker.forms import write_forms
    from checker.i18n import load_translator

    columns = rulebook_columns(rules_paths, lang)
    roster = load_roster_or_fail(roster_file, office_path, lang)
    t = load_translator(lang)
    previous = (
        last_semester_figures(semester, office_path, rules_paths, db, lang) if prefill else None
    )
    written = 0
    try:
        with progress_bar(quiet) as bar:
            task = bar.add_task(t.gettext("Forms"), total=len(roster.schools))
            for _path in write_forms(roster, semester, out_dir, t, columns, previous=previous):
                written += 1
                bar.update(task, completed=written)
    except OSError as error:  # a read-only or full folder, a file where the folder should be
        target = error.filename or out_dir
        fail(
            t.gettext("Error: ")
            + t.gettext("%(path)s cannot be written (%(reason)s).")
            % {"path": target, "reason": error.strerror or error}
        )
    click.echo(
        t.gettext("Wrote %(count)s forms into %(path)s.")
        % {"count": written, "path": terminal_text(out_dir)}
    )


def last_semester_figures(
    semester: Any,
    office_path: Path | None,
    rules_paths: tuple[Path, ...],
    db: str | None,
    lang: str,
) -> Any:
    """The figures recorded in the history for the semester before `semester` (forms.Previous),
    or None (said on the terminal) when none is recorded; exit 2 when there is no history and
    1 when it cannot be read."""
    from sqlalchemy.exc import ArgumentError

    from checker.forms import previous_figures
    from checker.history import StoreError, database_url, opened_store, sqlite_file
    from checker.i18n import load_translator
    from checker.model import InputError
    from checker.office import read_office
    from checker.rulebook import load_rulebooks

    t = load_translator(lang)
    settings = run_settings(rules_paths, office_path, lang)
    url = database_url(db, os.environ)
    try:
        local = sqlite_file(url)
    except ArgumentError:  # not a URL: open_store says so in one sentence
        local = None
    if local is not None and not local.is_file():
        fail(t.gettext("Error: ") + t.gettext("No history database at {path}.").format(path=local))
    try:
        unit_id = read_office(settings.office_path, lang).unit_id
        rulebook = load_rulebooks(settings.rules_paths)
        with opened_store(url, unit_id) as engine:
            previous = previous_figures(engine, unit_id, semester, rulebook, t)
    except StoreError as error:
        click.echo(terminal_text(error_text(error, lang)), err=True)
        sys.exit(EXIT_STORE_FAILED)
    except InputError as error:
        fail(error_text(error, lang))
    if previous is None:
        click.echo(
            t.gettext("No semester before %(semester)s is recorded: nothing to pre-fill.")
            % {"semester": semester}
        )
    return previous


def collect_returns(
    folder: Path,
    semester: Any,
    roster: Any,
    lang: str,
    latest: bool,
    quiet: bool,
    columns: Sequence[Any],
    skip: tuple[Path, ...] = (),
) -> Any:
    """Collect the returns in `folder` with a progress bar, print what the office must act on,
    and exit 2 when nothing usable was found (checker.collect)."""
    from checker.collect import MSG_NOTHING, OUTCOME_WORDS, OUTCOMES, collect
    from checker.i18n import load_translator

    t = load_translator(lang)
    if not folder.is_dir():
        fail(t.gettext("Error: ") + t.gettext("{file} is not a folder.").format(file=folder))
    with progress_bar(quiet) as bar:
        task = bar.add_task(t.gettext("Returned files"), total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        collection = collect(
            folder, semester, roster, t, latest, skip, on_progress=advance, columns=columns
        )
    for entry in collection.entries:
        if entry.outcome == "taken" and not entry.note:
            continue
        what = " ".join(filter(None, (entry.school_id, entry.school_name, entry.file)))
        if entry.outcome == "not_returned" and entry.school is not None:
            what += " — " + ", ".join(filter(None, (entry.school.principal, entry.school.phone)))
        note = f": {entry.note}" if entry.note else ""
        click.echo(terminal_text(f"  {t.gettext(OUTCOME_WORDS[entry.outcome])}: {what}{note}"))
    counts = "; ".join(f"{t.gettext(OUTCOME_WORDS[o])}: {collection.count(o)}" for o in OUTCOMES)
    click.echo(terminal_text(counts))
    if not collection.rows:
        fail(
            t.gettext("Error: ")
            + t.gettext(MSG_NOTHING).format(folder=folder, files=collection.files)
        )
    return collection


@cli.command()
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option(
    "--semester",
    required=True,
    callback=check_semester,
    help="The semester the returns are for, e.g. 2026-2027/HK1.",
)
@roster_option
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The merged table to write (.xlsx); collect-report.xlsx is written beside it.",
)
@click.option(
    "--latest",
    is_flag=True,
    help="For a school that returned twice, take the form dated last (else neither is taken).",
)
@lang_option("the report and messages")
@office_option
@rules_option()
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def collect(
    folder: Path,
    semester: Any,
    roster_file: Path | None,
    out_path: Path,
    latest: bool,
    lang: str,
    office_path: Path | None,
    rules_paths: tuple[Path, ...],
    quiet: bool,
) -> None:
    """Merge the schools' returned forms into one table for `checker run`.

    Reads every file in DIR (XLSX, ODS, CSV; the forms of `checker forms` or a school's own
    sheet with the right headers) and writes OUT (one row per school, with the file it came
    from) and collect-report.xlsx beside it: schools returned, not returned (with principal
    and phone), returned twice (neither taken unless --latest), for the wrong semester, not on
    the roster, blank, and unreadable files, each with the reason. The roster is optional
    without one in the office settings; with it, unknown and missing schools are named.
    Exit 2 only when nothing usable was found (nothing is written then).

    \b
    Example:
        checker collect tra-ve/ --semester 2026-2027/HK1 --roster sample_data/roster.csv \\
            --out hk1.xlsx
        checker run hk1.xlsx --semester 2026-2027/HK1
    """
    from checker.collect import REPORT_NAME, report_xlsx, table_xlsx
    from checker.i18n import load_translator
    from checker.outfiles import write_atomic

    t = load_translator(lang)
    if out_path.suffix.lower() != ".xlsx":
        fail(
            t.gettext("Error: ")
            + t.gettext("{file}: the table is an .xlsx file.").format(file=out_path.name)
        )
    columns = rulebook_columns(rules_paths, lang)
    roster = optional_roster(roster_file, office_path, lang)
    report_path = out_path.with_name(REPORT_NAME)
    collection = collect_returns(
        folder, semester, roster, lang, latest, quiet, columns, (out_path, report_path)
    )
    day = dt.date.today()
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out_path, table_xlsx(collection, semester, t, columns, day=day))
        write_atomic(report_path, report_xlsx(collection, semester, t, day))
    except OSError as error:
        target = error.filename or out_path
        fail(
            t.gettext("Error: ")
            + t.gettext("%(path)s cannot be written (%(reason)s).")
            % {"path": target, "reason": error.strerror or error}
        )
    click.echo(
        t.gettext("Table: %(table)s (%(rows)s schools); report: %(report)s.")
        % {
            "table": terminal_text(out_path),
            "rows": len(collection.rows),
            "report": terminal_text(report_path),
        }
    )


def optional_roster(roster_file: Path | None, office_path: Path | None, lang: str) -> Any:
    """The roster `--roster` or the office settings name, or None when neither names one."""
    from checker.model import InputError
    from checker.roster import roster_setting
    from checker.workdir import run_settings as settings_in

    if roster_file is None:
        office = settings_in(Path.cwd(), (), office_path).office_path
        try:
            if roster_setting(office) is None:
                return None
        except (OSError, ValueError, InputError):
            pass  # load_roster_or_fail says what is wrong with the settings
    return load_roster_or_fail(roster_file, office_path, lang)


def collected_table(
    folder: Path,
    semester: Any,
    roster_file: Path | None,
    office_path: Path | None,
    rules_paths: tuple[Path, ...],
    lang: str,
    quiet: bool,
) -> Path:
    """`checker run DIR`: the returns in DIR collected into a table in a temporary folder
    (removed when the command ends), named after DIR for the history. Its bytes depend only on
    the returns, so running the same folder again is the same input."""
    import atexit
    import shutil
    import tempfile

    from checker.collect import table_xlsx
    from checker.i18n import load_translator
    from checker.outfiles import write_atomic

    columns = rulebook_columns(rules_paths, lang)
    roster = optional_roster(roster_file, office_path, lang)
    collection = collect_returns(folder, semester, roster, lang, False, quiet, columns)
    temporary = Path(tempfile.mkdtemp(prefix="checker-collect-"))
    atexit.register(shutil.rmtree, temporary, True)
    table = temporary / f"{folder.resolve().name or 'returns'}.xlsx"
    fixed_day = dt.date(1980, 1, 1)  # no date inside: the same returns give the same bytes
    translator = load_translator(lang)
    write_atomic(table, table_xlsx(collection, semester, translator, columns, day=fixed_day))
    return table


@cli.command()
@click.argument("out_dir", metavar="OUT_DIR", type=click.Path(path_type=Path, file_okay=False))
@roster_option
@click.option("--yes", is_flag=True, help="Send (without it: a dry run listing who gets what).")
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The office's own e-mail template (default: the one shipped with checker).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The send log (default: OUT_DIR-send-log.csv beside OUT_DIR).",
)
@lang_option("the e-mails and messages")
@office_option
def send(
    out_dir: Path,
    roster_file: Path | None,
    yes: bool,
    template_path: Path | None,
    log_path: Path | None,
    lang: str,
    office_path: Path | None,
) -> None:
    """E-mail each principal their scorecard (and data-quality file, if any).

    One message per school of the roster with a scorecard in OUT_DIR, through the office's
    mail server ([smtp] in office.toml: host, port, starttls, sender, user). Without --yes,
    a dry run: who would get what, and the schools without an e-mail address. The password is
    read from $CHECKER_SMTP_PASSWORD, or asked for. A message refused is reported and the rest
    go on; the log (OUT_DIR-send-log.csv) records each message, and sending again skips what
    was delivered. Exit 1 when a message could not be sent, 2 when nothing can be sent.

    \b
    Example:
        checker send out/2026-2027_HK1 --roster sample_data/roster.csv
        checker send out/2026-2027_HK1 --roster sample_data/roster.csv --yes
    """
    from checker.context import semester_text
    from checker.i18n import load_translator
    from checker.model import InputError
    from checker.office import read_office
    from checker.send import (
        attachment_names,
        compose_all,
        connect,
        email_environment,
        has_smtp,
        load_template,
        log_path_for,
        plan_messages,
        read_password,
        send_all,
        smtp_settings,
    )
    from checker.workdir import run_settings as settings_in

    t = load_translator(lang)
    roster = load_roster_or_fail(roster_file, office_path, lang)
    office_file = settings_in(Path.cwd(), (), office_path).office_path
    log = log_path or log_path_for(out_dir)
    try:
        office = read_office(office_file, lang).texts
        # A dry run works before the mail server is set up; sending needs it.
        settings = smtp_settings(office_file) if yes or has_smtp(office_file) else None
        plan = plan_messages(out_dir, roster, log)
        template = load_template(email_environment(t), template_path)
        words = semester_text(plan.semester, t) if plan.semester else ""
        prepared = compose_all(plan, template, settings, office, words) if settings else []
    except InputError as error:
        fail(error_text(error, lang))
    for message in plan.messages:
        click.echo(
            terminal_text(
                f"{message.school.school_id} {message.school.name} → {message.school.email}: "
                + ", ".join(attachment_names(message))
            )
        )
    for school in plan.no_email:
        click.echo(
            terminal_text(
                t.gettext("No e-mail address: %(school)s (%(phone)s)")
                % {"school": f"{school.school_id} {school.name}", "phone": school.phone or "—"}
            )
        )
    for school in plan.no_scorecard:
        click.echo(
            terminal_text(
                t.gettext("No scorecard in this run: %(school)s")
                % {"school": f"{school.school_id} {school.name}"}
            )
        )
    if plan.delivered:
        click.echo(
            t.gettext("Already delivered, skipped: %(count)s (see %(log)s).")
            % {"count": len(plan.delivered), "log": terminal_text(log)}
        )
    if not yes:
        click.echo(
            t.gettext("Dry run: %(count)s messages would be sent; nothing was sent (--yes sends).")
            % {"count": len(plan.messages)}
        )
        return
    if not plan.messages or settings is None:
        click.echo(t.gettext("Nothing to send."))
        return
    password = ""
    if settings.user:
        password = read_password(
            dict(os.environ),
            lambda: click.prompt(
                t.gettext("Password of the mail account"), hide_input=True, err=True
            ),
        )
    session = usable(lang, connect, settings, password)
    failed = 0
    try:
        for outcome in send_all(prepared, settings.sender, session, log):
            school = outcome.message.school
            if outcome.sent:
                click.echo(terminal_text(t.gettext("Sent: %(to)s") % {"to": school.email}))
            else:
                failed += 1
                click.echo(
                    terminal_text(
                        t.gettext("Not sent: %(to)s (%(answer)s)")
                        % {"to": school.email, "answer": outcome.answer}
                    ),
                    err=True,
                )
    finally:
        with contextlib.suppress(Exception):
            session.quit()
    click.echo(
        t.gettext("Sent %(sent)s of %(count)s messages; log: %(log)s.")
        % {
            "sent": len(plan.messages) - failed,
            "count": len(plan.messages),
            "log": terminal_text(log),
        }
    )
    if failed:
        sys.exit(EXIT_STORE_FAILED)


def main() -> None:
    """Entry point of the `checker` command."""
    cli(prog_name="checker")
