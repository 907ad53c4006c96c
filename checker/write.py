"""WRITE stage: the bytes of every output table, inert and reproducible.

Inert: school data is untrusted, so every text field is cleaned of control characters and
escape sequences, CSV fields a spreadsheet would read as a formula get OWASP's `'` prefix, and
XLSX cells are explicit string cells, never formulas (checker.safe_text). results.json keeps
the values as they are (escaped by JSON), for machines. Reproducible: no clock times or random
ids inside files; rows in a stable order; the XLSX's zip entries get the run's day as their
timestamp. Where the files go, and how a run claims its folder, is checker.outdir.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from checker.context import column_label, problem_texts
from checker.i18n import Translator
from checker.ids import is_safe_id
from checker.model import Intake, Problem, SchoolResult, Value, Verdict
from checker.outfiles import pinned_zip
from checker.safe_text import looks_like_formula, plain_text, spreadsheet_field

T = TypeVar("T")
# `reason` is new and last: "blank" or "invalid" for a missing status, so consumers that read
# the first six columns keep working.
RESULT_FIELDS = ("school_id", "school_name", "level", "criterion", "status", "value", "reason")


def scorecard_relpath(school_id: str) -> str:
    """Where a school's scorecard goes, relative to the output folder (a safe id only)."""
    if not is_safe_id(school_id):  # validate refuses these; never let one name a file
        raise ValueError(f"{school_id!r} is not a safe school id")
    return f"scorecards/{school_id}.pdf"


def value_for_machine(value: Value) -> str:
    """A typed value as plain machine-readable text: 'yes'/'no', '20', '92.5', '' for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # exact digits, no exponent: '89.999999', '90'
    return str(value)


def verdict_value(verdict: Verdict) -> str:
    """The values a verdict looked at: one value alone, or 'field=value;field=value'."""
    if len(verdict.values) == 1:
        return value_for_machine(next(iter(verdict.values.values())))
    return ";".join(f"{key}={value_for_machine(v)}" for key, v in verdict.values.items())


def result_rows(results: Sequence[SchoolResult]) -> list[dict[str, str]]:
    """One row per school × criterion, in input order then rulebook order."""
    return [
        {
            "school_id": r.school.school_id,
            "school_name": r.school.name,
            "level": r.school.level or "",
            "criterion": v.criterion_id,
            "status": v.status,
            "value": verdict_value(v),
            "reason": v.reason or "",
        }
        for r in results
        for v in r.verdicts
    ]


def csv_bytes(fieldnames: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """CSV as UTF-8 with a BOM, so Excel on a Vietnamese machine opens the diacritics right.

    Every field is quoted: Excel set to a `;` list separator (as on many Vietnamese machines)
    then cannot split `x;=cmd|…` into a cell of its own. Text fields are made inert
    (safe_text.spreadsheet_field).
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(fieldnames), lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    writer.writeheader()
    writer.writerows({key: inert_field(value) for key, value in row.items()} for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def inert_field(value: Any) -> Any:
    """A CSV field as a spreadsheet should show it: text made inert, numbers as they are."""
    return spreadsheet_field(value) if isinstance(value, str) else value


def json_bytes(payload: Any) -> bytes:
    """Stable, readable JSON (sorted keys, UTF-8 text kept as is)."""
    return (json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode(
        "utf-8"
    )


def results_payload(results: Sequence[SchoolResult], semester: str, run_id: str) -> dict[str, Any]:
    """results.json: per school, its verdicts and score."""
    return {
        "semester": semester,
        "run_id": run_id,
        "schools": [
            {
                "school_id": r.school.school_id,
                "school_name": r.school.name,
                "level": r.school.level,
                "row": r.school.row_number,
                "met": r.met,
                "applicable": r.applicable,
                "criteria": {
                    v.criterion_id: {"status": v.status, "value": verdict_value(v)}
                    | ({"reason": v.reason} if v.reason else {})
                    for v in r.verdicts
                },
                "problems": [p.code + ":" + p.column for p in r.school.problems],
            }
            for r in results
        ],
    }


def quality_headers(t: Translator) -> list[str]:
    """The data-quality report's column headers, in the user's language."""
    return [
        t.gettext("School ID"),
        t.gettext("School name"),
        t.gettext("Row in file"),
        t.gettext("Column"),
        t.gettext("Value as typed"),
        t.gettext("What is wrong"),
        t.gettext("How to fix it"),
    ]


def quality_rows(problems: Sequence[Problem], t: Translator) -> list[list[Any]]:
    """One row per data problem, in file order."""
    rows = []
    for problem in sorted(problems, key=lambda p: (p.row_number, p.column)):
        what, fix = problem_texts(problem, t)
        column = column_label(problem.column, t) if problem.column else ""
        rows.append(
            [
                problem.school_id,
                problem.school_name,
                problem.row_number,
                column,
                problem.value,
                what,
                fix,
            ]
        )
    return rows


def quality_csv(intake: Intake, t: Translator) -> bytes:
    """data-quality.csv."""
    headers = quality_headers(t)
    return csv_bytes(
        headers, [dict(zip(headers, row, strict=True)) for row in quality_rows(intake.problems, t)]
    )


def quality_xlsx(intake: Intake, t: Translator, day: dt.date) -> bytes:
    """data-quality.xlsx: a sheet the office can filter and send back to schools."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = t.gettext("Data problems")[:31]
    sheet.append(quality_headers(t))
    for row in quality_rows(intake.problems, t):
        sheet.append([plain_text(v) if isinstance(v, str) else v for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (12, 32, 8, 28, 18, 40, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            make_text_cell(cell)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    moment = dt.datetime.combine(day, dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return pinned_zip(buffer.getvalue(), moment)


def make_text_cell(cell: Any) -> None:
    """A cell holding text stays text: openpyxl takes a value starting with `=` as a formula,
    so the cell is typed as a string (ids keep their leading zeros too), and a formula-like
    text gets Excel's quote prefix, so that editing the cell does not turn it into one."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True


# --- Streamed tables: the same bytes as the functions above, made batch by batch -------------
# A province's results table has a row per school and criterion (220,000 rows for 20,000
# schools): built whole, its rows, text and encoded bytes all sit in memory at the end of the
# run. Streamed, only one batch does, and the files are written as they are made.
STREAM_BATCH = 256  # schools (or data problems) turned into rows at a time


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items, taken lazily from any iterable."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def csv_parts(
    fieldnames: Sequence[str], row_batches: Iterable[Sequence[Mapping[str, Any]]]
) -> Iterator[bytes]:
    """csv_bytes of all the rows, in parts: the BOM and header, then each batch's rows."""
    header = csv_bytes(fieldnames, [])
    yield header
    for rows in row_batches:
        yield csv_bytes(fieldnames, rows)[len(header) :]


def results_csv_parts(
    results: Iterable[SchoolResult], batch: int = STREAM_BATCH
) -> Iterator[bytes]:
    """results.csv in parts: csv_bytes(RESULT_FIELDS, result_rows(results)), streamed."""
    return csv_parts(RESULT_FIELDS, (result_rows(b) for b in batches(results, batch)))


def results_json_parts(
    results: Iterable[SchoolResult], semester: str, run_id: str, batch: int = STREAM_BATCH
) -> Iterator[bytes]:
    """results.json in parts: json_bytes(results_payload(results, ...)), streamed.

    The frame is the payload of no schools; each school is json_bytes of its own entry,
    indented to its depth in the list (json_bytes indents by 2, the list sits at depth 2).
    """
    frame = json_bytes(results_payload([], semester, run_id)).decode("utf-8")
    head, tail = frame.split('"schools": []', 1)
    yield (head + '"schools": [').encode("utf-8")
    separator = "\n"
    for schools in batches(results, batch):
        for entry in results_payload(schools, semester, run_id)["schools"]:
            lines = json_bytes(entry).decode("utf-8").rstrip("\n").split("\n")
            yield (separator + "\n".join("    " + line for line in lines)).encode("utf-8")
            separator = ",\n"
    yield (("]" if separator == "\n" else "\n  ]") + tail).encode("utf-8")


def quality_csv_parts(intake: Intake, t: Translator, batch: int = STREAM_BATCH) -> Iterator[bytes]:
    """data-quality.csv in parts: quality_csv(intake, t), streamed."""
    headers = quality_headers(t)
    in_order = sorted(intake.problems, key=lambda p: (p.row_number, p.column))
    return csv_parts(
        headers,
        (
            [dict(zip(headers, row, strict=True)) for row in quality_rows(problems, t)]
            for problems in batches(in_order, batch)
        ),
    )
