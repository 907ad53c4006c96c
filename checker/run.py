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
from collections.abc import Callable, Sequence
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
from checker.evaluate import district_rates, evaluate, field_medians
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
from checker.inputs import Inputs, IntakeOptions, load_inputs
from checker.limits import DEFAULT_LIMITS, Limits
from checker.model import Intake, RawTable, Rejected, Rulebook, SchoolResult
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
    recorded: Sequence[TrendPoint],
    semester: str,
    results: Sequence[SchoolResult],
    rulebook: Rulebook,
) -> list[TrendPoint]:
    """The recorded trend with this run's semester replaced by this run's own rates."""
    rates = district_rates(results, rulebook)
    kept = [p for p in recorded if p.semester != semester]
    return kept + [
        TrendPoint(semester, c, met, applicable) for c, (met, applicable) in rates.items()
    ]


def district_facts(
    table: RawTable,
    intake: Intake,
    results: Sequence[SchoolResult],
    rulebook: Rulebook,
    trend: Sequence[TrendPoint],
) -> DistrictFacts:
    """The district-level figures every page of this run shares."""
    return DistrictFacts(
        rates=district_rates(results, rulebook),
        rows_read=len(table.rows),
        rejected=len(intake.rejected),
        problems=len(intake.problems),
        extra_columns=table.extra_columns,
        trend=trend,
        medians=field_medians(results, rulebook),
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
    run_id = run_id_of(table, rulebook, paths.DEFAULT_OFFICE, semester, lang, day)
    facts = RunFacts(semester, run_id, day, __version__, office)
    trend = current_trend([], semester, results, rulebook)
    district = district_facts(table, intake, results, rulebook, trend)
    return [scorecard_context(r, rulebook, facts, district, None, t) for r in results]


def report_views(results: Sequence[SchoolResult]) -> list[SchoolResult]:
    """The results as summary.docx reads them: each school's name and level, and each plan
    criterion's status. Without the schools' cells, values and problems and the values each
    verdict looked at (one shared empty mapping stands for them all), a province's results
    cross to the render worker that writes the report at half the size, and take half the
    memory there."""
    nothing: dict[str, Any] = {}
    return [
        dataclasses.replace(
            result,
            school=dataclasses.replace(result.school, values=nothing, raw=nothing, problems=()),
            verdicts=tuple(dataclasses.replace(v, values=nothing) for v in result.plan_verdicts),
            groups=(),
        )
        for result in results
    ]


def validate_in(validator: Executor | None, table: RawTable, rulebook: Rulebook) -> Intake:
    """Validate the table in the validator process, a slice of rows at a time (then shut it
    down, giving its memory back before rendering starts), or here when there is none."""
    try:
        return validate_table(table, rulebook, validator)
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
    inputs: Inputs | None = None,
) -> RunReport:
    """Run the whole semester job; raises model.InputError (nothing written) on unusable input.

    `executor` renders the PDFs; `validator`, when given, runs the Great Expectations
    validation (a process that imported GX while this one was starting up). `inputs`, when
    given, are the options' files already loaded and checked (the CLI does so before it starts
    any process); otherwise they are loaded here.
    """
    t = load_translator(options.lang)
    if inputs is None:
        intake_options = IntakeOptions(options.limits, options.sheet, options.semester)
        inputs = load_inputs(
            options.input_path,
            options.rules_paths,
            options.office_path,
            options.lang,
            intake_options,
        )
    table, rulebook, office = inputs.table, inputs.rulebook, inputs.office
    unit = inputs.unit
    intake = validate_in(validator, table, rulebook)
    results = evaluate(intake.schools, rulebook)

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
        trend = current_trend(recorded, semester, results, rulebook)
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
        district = district_facts(table, intake, results, rulebook, trend)
        # Built lazily, chunk by chunk, as the renderer asks for them: memory stays flat.
        cards = (
            plain_values(scorecard_context(r, rulebook, facts, district, previous, t))
            for r in results
        )
        summary = plain_values(
            summary_context(
                results, rulebook, facts, district, previous, t, options.attention_per_level
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
                results=report_views(results),
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
            "rows_read": len(table.rows),
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
            group_rows(results),
        )
    return RunReport(
        run_id=run_id,
        rows_read=len(table.rows),
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
    results: Sequence[SchoolResult],
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
