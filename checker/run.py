"""The semester run: load -> validate -> evaluate -> render -> write, and record in the history.

`run_checker` is the one place the stages meet. Everything that can make the input unusable
(file, rulebook, office settings, duplicate or unsafe ids) is checked before the first byte is
written (the files themselves by checker.inputs, before the CLI starts any process); the
history database is written last, in one transaction, so a run that fails leaves it as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import ArgumentError

from checker import __version__, paths
from checker.context import (
    DEFAULT_ATTENTION_PER_LEVEL,
    DistrictFacts,
    PreviousRun,
    RunFacts,
    TrendPoint,
    scorecard_context,
    summary_context,
)
from checker.evaluate import DistrictTally, evaluate
from checker.history import (
    RunRecord,
    SemesterRates,
    district_trend,
    group_rows,
    guard_semester,
    opened_store,
    previous_semester,
    record_run,
    sqlite_file,
    statuses_for,
)
from checker.history import names_for as history_names
from checker.history import (
    result_rows as history_rows,
)
from checker.i18n import Translator, load_translator
from checker.inputs import Handover, Inputs, IntakeOptions, load_inputs
from checker.limits import DEFAULT_LIMITS, Limits
from checker.model import (
    GroupResult,
    Intake,
    RawTable,
    Rejected,
    Results,
    Rulebook,
    School,
    SchoolResult,
    Verdict,
)
from checker.office import office_warnings
from checker.outdir import Staging, claimed_output
from checker.render import (
    Card,
    chunk_size_for,
    in_flight_for,
    render_scorecards,
    render_summary,
)
from checker.report import ReportInput, render_report
from checker.results_xlsx import results_xlsx
from checker.safe_text import plain_values
from checker.semester import Semester
from checker.spill import ResultFile
from checker.validate import validate_table
from checker.write import (
    QualityFacts,
    groups_csv_parts,
    json_bytes,
    quality_csv_parts,
    quality_xlsx,
    results_csv_parts,
    results_json_parts,
    school_quality_files,
    scorecard_relpath,
    verdict_value,
)


@dataclass(frozen=True)
class RunOptions:
    """What the user asked for (the CLI's options, already checked)."""

    input_path: Path
    semester: Semester
    out_dir: Path
    lang: str
    rules_paths: tuple[Path, ...]  # one rulebook, or several read in one run (sections)
    office_path: Path
    db_url: str
    day: dt.date
    replace: bool = False  # replace a semester recorded from another input file
    render_slots: int = 1  # local render processes, or a Dask cluster's threads (chunks in flight)
    limits: Limits = DEFAULT_LIMITS
    sheet: str | None = None  # --sheet: the sheet to read when several look like the table
    report_number: int | None = None  # the summary's number (số), None to write it by hand
    doc_number: int | None = None  # the scorecards' number (số), None to write it by hand
    attention_per_level: int = DEFAULT_ATTENTION_PER_LEVEL


@dataclass(frozen=True)
class RunReport:
    """What the run did, for the terminal and the tests."""

    run_id: str
    rows_read: int
    scorecards: int
    rejected: tuple[Rejected, ...]
    problems: int
    extra_columns: tuple[str, ...]
    previous_semester: str | None
    out_dir: Path
    sheet: str | None = None
    repeated_headers: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()


Progress = Callable[[int, int], None]  # (done, total)


def run_id_for(parts: Sequence[str]) -> str:
    """A run id derived from the inputs' hashes and the day: same inputs, same id."""
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:12]


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_id_of(
    table: RawTable, rulebook: Rulebook, office_path: Path, semester: str, lang: str, day: dt.date
) -> str:
    """The run's id: the input, rules, office settings, semester, language, checker and day."""
    parts = [table.sha256, rulebook.sha256, file_sha256(office_path), semester, lang]
    return run_id_for([*parts, __version__, day.isoformat()])


def trend_points(recorded: Sequence[SemesterRates]) -> list[TrendPoint]:
    """The history store's rates as flat trend points."""
    return [
        TrendPoint(str(semester_rates.semester), rate.criterion, rate.met, rate.applicable)
        for semester_rates in recorded
        for rate in semester_rates.rates
    ]


def current_trend(
    recorded: Sequence[TrendPoint], semester: str, rates: Mapping[str, tuple[int, int]]
) -> list[TrendPoint]:
    """The recorded trend with this run's semester replaced by this run's own rates."""
    kept = [p for p in recorded if p.semester != semester]
    return kept + [
        TrendPoint(semester, c, met, applicable) for c, (met, applicable) in rates.items()
    ]


def district_facts(
    rows_read: int, intake: Intake, tally: DistrictTally, trend: Sequence[TrendPoint]
) -> DistrictFacts:
    """The district-level figures every page of this run shares."""
    return DistrictFacts(
        rates=dict(tally.rates),
        rows_read=rows_read,
        rejected=len(intake.rejected),
        problems=len(intake.problems),
        extra_columns=intake.table.extra_columns,
        trend=trend,
        medians=tally.medians(),
    )


def first_semester_cards(table_path: Path, semester: str, day: dt.date, lang: str) -> list[Card]:
    """The scorecard contexts `checker run` builds for a table with the default rulebook and
    office settings on an empty history (no previous semester; the trend is the run's own
    rates), validated in this process: the benchmark's naive baseline and the render tests
    use them."""
    t = load_translator(lang)
    inputs = load_inputs(table_path, (paths.DEFAULT_RULEBOOK,), paths.DEFAULT_OFFICE, lang)
    table, rulebook, office = inputs.table, inputs.rulebook, inputs.office
    intake = validate_table(table, rulebook)
    results = evaluate(intake.schools, rulebook)
    tally = DistrictTally.of(results, rulebook)
    run_id = run_id_of(table, rulebook, paths.DEFAULT_OFFICE, semester, lang, day)
    facts = RunFacts(semester, run_id, day, __version__, office)
    trend = current_trend([], semester, tally.rates)
    district = district_facts(len(table.rows), intake, tally, trend)
    return [scorecard_context(r, rulebook, facts, district, None, t) for r in results]


class LightResults:
    """Each school's result as the summary, summary.docx and the district's figures read it:
    its id, name, level and data problems, and its verdicts' statuses (with their reasons and
    points) and points groups' standings, without the values and cells the scorecards and
    tables print. Equal verdicts, standings and rows of statuses are one shared object, so a
    view costs a few hundred bytes: a province's fit in a few MB, and cross to the worker that
    writes summary.docx at a fraction of the results' size."""

    def __init__(self) -> None:
        self.views: list[SchoolResult] = []
        self._verdicts: dict[tuple[Any, ...], Verdict] = {}
        self._rows: dict[tuple[int, ...], tuple[Verdict, ...]] = {}
        self._groups: dict[tuple[GroupResult, ...], tuple[GroupResult, ...]] = {}
        self._nothing: dict[str, Any] = {}  # every view's values and cells (never written to)

    def add(self, result: SchoolResult) -> None:
        """Keep the light view of one school's result."""
        school = result.school
        level = sys.intern(school.level) if school.level else None  # one object per level
        # The school as it is but for what the summary never reads: a field added to School
        # is kept unless it is dropped here too.
        light = dataclasses.replace(
            school, level=level, commune="", principal="", values=self._nothing, raw=self._nothing
        )
        verdicts = tuple(self._verdict(v) for v in result.verdicts)
        row = self._rows.setdefault(tuple(map(id, verdicts)), verdicts)
        groups = self._groups.setdefault(result.groups, result.groups)
        self.views.append(SchoolResult(light, row, groups))

    def _verdict(self, verdict: Verdict) -> Verdict:
        """The shared light verdict equal to `verdict` but for its values."""
        key = (verdict.criterion_id, verdict.status, verdict.reason, verdict.points)
        light = self._verdicts.get(key)
        if light is None:
            light = self._verdicts[key] = dataclasses.replace(verdict, values=self._nothing)
        return light


@dataclass(frozen=True)
class RunResults:
    """The run's results kept three ways, each school evaluated once: in full on disk (the
    scorecards and tables read them back), as light views (the summary's) and counted (the
    district's rates and medians)."""

    rulebook: Rulebook
    file: ResultFile
    light: LightResults
    tally: DistrictTally

    def take(self, schools: Sequence[School]) -> None:
        """Evaluate some schools (in input order) and keep their results."""
        results = evaluate(schools, self.rulebook)
        self.file.add(results)
        for result in results:
            self.light.add(result)
            self.tally.add(result)


def report_views(results: Sequence[SchoolResult]) -> list[SchoolResult]:
    """The results as summary.docx reads them (light views: see LightResults): the local plan's
    criteria only."""
    return [result.plan_view() for result in results]


def validate_in(
    validator: Executor | None, table: RawTable, rulebook: Rulebook, results: RunResults
) -> Intake:
    """Validate the table in the validator process, a slice of rows at a time (then shut it
    down, giving its memory back before rendering starts), or here when there is none; each
    slice's schools are evaluated and kept (`results`) as soon as they are checked."""
    try:
        return validate_table(table, rulebook, validator, take=results.take)
    finally:
        if validator is not None:
            validator.shutdown(wait=False)


def database_file(url: str) -> Path | None:
    """The history's SQLite file, or None (another database, or a URL open_store will refuse
    with its own sentence)."""
    try:
        return sqlite_file(url)
    except ArgumentError:
        return None


def run_checker(
    options: RunOptions,
    executor: Executor,
    on_progress: Progress | None = None,
    validator: Executor | None = None,
    inputs: Inputs | Handover[Inputs] | None = None,
) -> RunReport:
    """Run the whole semester job; raises model.InputError (nothing written) on unusable input.

    `executor` renders the PDFs; `validator`, when given, runs the Great Expectations
    validation (a process that imported GX while this one was starting up). `inputs`, when
    given, are the options' files already loaded and checked (the CLI does so before it starts
    any process, and hands them over: see Handover); otherwise they are loaded here.
    """
    if isinstance(inputs, Handover):
        inputs = inputs.take()
    if inputs is None:
        intake_options = IntakeOptions(options.limits, options.sheet, options.semester)
        inputs = load_inputs(
            options.input_path,
            options.rules_paths,
            options.office_path,
            options.lang,
            intake_options,
        )
    # Each school is evaluated as soon as its slice is validated and kept on disk in full, in
    # memory as a light view, and counted: nothing holds a province's results whole.
    with ResultFile() as spilled:
        rulebook = inputs.rulebook
        results = RunResults(rulebook, spilled, LightResults(), DistrictTally(rulebook))
        intake = validate_in(validator, inputs.table, rulebook, results)
        rows_read = len(inputs.table.rows)
        # The rows as read are not needed any more (the results on disk hold each school's
        # cells): without them, the table's memory is given back before the scorecards.
        table = dataclasses.replace(inputs.table, rows=())
        inputs = dataclasses.replace(inputs, table=table)
        intake = dataclasses.replace(intake, table=table)
        return write_run(options, executor, on_progress, inputs, intake, results, rows_read)


def write_run(
    options: RunOptions,
    executor: Executor,
    on_progress: Progress | None,
    inputs: Inputs,
    intake: Intake,
    kept: RunResults,
    rows_read: int,
) -> RunReport:
    """Everything after the evaluation: the scorecards, summary and tables written, the run
    recorded in the history (see run_checker); `rows_read`: the table's rows."""
    t = load_translator(options.lang)
    table, rulebook, office, unit = inputs.table, inputs.rulebook, inputs.office, inputs.unit
    results, views = kept.file, kept.light.views
    out = options.out_dir
    # The output folder is claimed (locked, checked for files checker did not write) before
    # the history is opened: a refusal leaves everything as it was.
    unit_id = inputs.unit_id
    with (
        claimed_output(out, database_file(options.db_url)) as staging,
        opened_store(options.db_url, unit_id) as engine,
    ):
        # Before anything is written: a semester recorded from another file is kept unless asked.
        input_name = options.input_path.name
        sha256 = table.sha256
        guard_semester(engine, unit_id, options.semester, input_name, sha256, options.replace)
        semester = str(options.semester)
        before = previous_semester(engine, unit_id, options.semester)
        previous = (
            PreviousRun(
                str(before),
                statuses_for(engine, unit_id, before),
                history_names(engine, unit_id, before),
            )
            if before
            else None
        )
        recorded = trend_points(district_trend(engine, unit_id))
        trend = current_trend(recorded, semester, kept.tally.rates)
        run_id = run_id_of(
            table, rulebook, options.office_path, semester, options.lang, options.day
        )
        facts = RunFacts(
            semester,
            run_id,
            options.day,
            __version__,
            office,
            notice_number=options.doc_number,
            report_number=options.report_number,
        )
        district = district_facts(rows_read, intake, kept.tally, trend)
        # Built lazily, chunk by chunk, as the renderer asks for them: memory stays flat.
        cards = (
            plain_values(scorecard_context(r, rulebook, facts, district, previous, t))
            for r in results
        )
        summary = plain_values(
            summary_context(
                views, rulebook, facts, district, previous, t, options.attention_per_level
            )
        )

        # The chart and the editable report show the local plan's criteria (met / applicable);
        # points groups are in the summary's own section.
        plan = rulebook.plan_view()
        summary_job = executor.submit(render_summary, summary, trend, plan, options.lang)
        hashes: dict[str, str] = {}
        chunk = chunk_size_for(len(results))
        in_flight = in_flight_for(options.render_slots, chunk)
        for done, (school_id, pdf) in enumerate(
            render_scorecards(cards, options.lang, __version__, executor, chunk, in_flight),
            start=1,
        ):
            relative = scorecard_relpath(school_id)
            hashes[relative] = staging.write(relative, pdf)
            if on_progress:
                on_progress(done, len(results))
        # The chart is laid out once, by the summary's worker, which also saved it as the PNG
        # summary.docx holds; the Word file is made while this process builds results.xlsx.
        summary_pdf, chart_png = summary_job.result()
        # Built in the call: the views are freed as soon as the worker has written the report.
        summary_docx = executor.submit(
            render_report,
            ReportInput(
                results=report_views(views),
                rulebook=plan,
                office=unit,
                semester=semester,
                day=options.day,
                number=options.report_number,
                trend=trend,
                previous_semester=str(before) if before else None,
                chart_png=chart_png,
                basis=summary["basis"],
            ),
            options.lang,
        )
        results_workbook = results_xlsx(results, rulebook, t, options.day)
        hashes["summary.pdf"] = staging.write("summary.pdf", summary_pdf)
        hashes["summary.docx"] = staging.write("summary.docx", summary_docx.result())
        hashes["results.xlsx"] = staging.write("results.xlsx", results_workbook)
        quality = QualityFacts(
            semester=semester,
            input_name=input_name,
            day=options.day,
            columns=tuple(column.key for column in rulebook.columns),  # the form's order
            deadline=unit.deadline(options.day),
            contact=unit.contact,
        )
        hashes.update(write_tables(staging, results, rulebook, intake, run_id, t, quality))

        counts = {
            "rows_read": rows_read,
            "scorecards": len(results),
            "rejected": len(intake.rejected),
            "problems": len(intake.problems),
            "ignored_rows": len(table.ignored_rows),
        }
        manifest = {
            "checker_version": __version__,
            "run_id": run_id,
            "semester": semester,
            "date": options.day.isoformat(),
            "language": options.lang,
            "input": {
                "file": options.input_path.name,
                "sha256": table.sha256,
                "sheet": table.sheet,
            },
            "rulebook": {"version": rulebook.version, "sha256": rulebook.sha256},
            "counts": counts,
            "rejected_rows": [{"row": r.row_number, "reason": r.code} for r in intake.rejected],
            "repeated_header_rows": list(table.repeated_headers),
            "outputs": dict(sorted(hashes.items())),
        }
        staging.write("manifest.json", json_bytes(manifest))
        staging.commit()  # every output moves into place only now, the manifest last

        record_run(
            engine,
            RunRecord(
                run_id=run_id,
                unit_id=unit_id,
                semester=options.semester,
                started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                input_sha256=table.sha256,
                rulebook_version=rulebook.version,
                checker_version=__version__,
                rows_read=counts["rows_read"],
                schools=counts["scorecards"],
                rejected=counts["rejected"],
                problems=counts["problems"],
                input_name=input_name,
            ),
            history_rows(results, verdict_value, rulebook.criteria),
            options.replace,
            group_rows(views),
        )
    return RunReport(
        run_id=run_id,
        rows_read=rows_read,
        scorecards=len(results),
        rejected=intake.rejected,
        problems=len(intake.problems),
        extra_columns=table.extra_columns,
        previous_semester=str(before) if before else None,
        out_dir=out,
        sheet=table.sheet,
        repeated_headers=table.repeated_headers,
        warnings=tuple(office_warnings(unit, t)),
    )


def write_tables(
    staging: Staging,
    results: Results,
    rulebook: Rulebook,
    intake: Intake,
    run_id: str,
    t: Translator,
    quality: QualityFacts,
) -> dict[str, str]:
    """results.csv/json (and groups.csv with points groups), data-quality.xlsx/csv and each
    school's data-quality/<id>.xlsx; returns their sha256 by name. The tables are streamed to
    their files (memory does not grow with the schools)."""
    streamed = {
        "results.csv": results_csv_parts(results, rulebook),
        "results.json": results_json_parts(results, quality.semester, run_id),
        "data-quality.csv": quality_csv_parts(intake, t, quality.columns),
    } | ({"groups.csv": groups_csv_parts(results)} if rulebook.groups else {})
    hashes = {name: staging.write_parts(name, parts) for name, parts in streamed.items()}
    hashes["data-quality.xlsx"] = staging.write(
        "data-quality.xlsx", quality_xlsx(intake, t, quality)
    )
    for relative, data in school_quality_files(intake, t, quality):
        hashes[relative] = staging.write(relative, data)
    return hashes
