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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from checker.context import problem_column_label, problem_texts, semester_text
from checker.i18n import Translator
from checker.ids import is_safe_id
from checker.model import (
    Criterion,
    GroupResult,
    Intake,
    Problem,
    Rulebook,
    SchoolResult,
    Value,
    Verdict,
)
from checker.office import Contact
from checker.outfiles import pinned_zip
from checker.safe_text import looks_like_formula, plain_text, spreadsheet_field

if TYPE_CHECKING:
    from checker.history import GroupRow

T = TypeVar("T")
# New columns go last, so consumers that read the first ones keep working: `reason` ("blank" or
# "invalid" for a missing status), then, for a criterion of a points group (QĐ 4725), its
# `code`, the `points` earned and the `max_points` it is worth (blank for the local plan's).
RESULT_FIELDS = (
    "school_id",
    "school_name",
    "level",
    "criterion",
    "status",
    "value",
    "reason",
    "code",
    "points",
    "max_points",
)
GROUP_FIELDS = (
    "school_id",
    "school_name",
    "level",
    "group",
    "points",
    "max_points",
    "level_reached",
    "mandatory_met",
)


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


def result_rows(results: Sequence[SchoolResult], rulebook: Rulebook) -> list[dict[str, str]]:
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
        | points_fields(criterion, v)
        for r in results
        for criterion, v in zip(rulebook.criteria, r.verdicts, strict=True)
    ]


def points_fields(criterion: Criterion, verdict: Verdict) -> dict[str, str]:
    """code, points earned and points available, for a criterion of a points group."""
    if verdict.points is None or verdict.status == "not_applicable":
        return {"code": criterion.code, "points": "", "max_points": ""}
    return {
        "code": criterion.code,
        "points": value_for_machine(verdict.points),
        "max_points": value_for_machine(criterion.points),
    }


def group_rows(results: Sequence[SchoolResult]) -> list[dict[str, str]]:
    """groups.csv: one row per school × points group (QĐ 4725's two groups)."""
    return [
        {
            "school_id": r.school.school_id,
            "school_name": r.school.name,
            "level": r.school.level or "",
            "group": g.group_id,
            "points": value_for_machine(g.points) if g.level is not None else "",
            "max_points": value_for_machine(g.max_points),
            "level_reached": str(g.level) if g.level is not None else "",
            "mandatory_met": ("yes" if g.mandatory_met else "no") if g.level is not None else "",
        }
        for r in results
        for g in r.groups
    ]


def group_entry(group: GroupResult | GroupRow) -> dict[str, Any]:
    """One school's standing in one group, as results.json and `checker history --format
    json` give it (null level: does not apply)."""
    return {
        "points": float(group.points),
        "max_points": float(group.max_points),
        "level": group.level,
        "mandatory_met": group.mandatory_met,
    }


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
                    | ({"points": float(v.points)} if v.points is not None else {})
                    for v in r.verdicts
                },
                **({"groups": {g.group_id: group_entry(g) for g in r.groups}} if r.groups else {}),
                "problems": [p.code + ":" + p.column for p in r.school.problems],
            }
            for r in results
        ],
    }


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


def problem_order(columns: Sequence[str]) -> Callable[[Problem], tuple[int, int, str]]:
    """The sort key of the data problems: by row, then in the form's column order (`columns`,
    the column keys as the form lays them out); a problem with the whole row comes first."""
    position = {key: index for index, key in enumerate(columns)}

    def key(problem: Problem) -> tuple[int, int, str]:
        place = position.get(problem.column, len(position)) if problem.column else -1
        return (problem.row_number, place, problem.column)

    return key


def quality_rows(problems: Iterable[Problem], t: Translator) -> list[list[Any]]:
    """One row per data problem, in the order given."""
    rows = []
    for problem in problems:
        what, fix = problem_texts(problem, t)
        column = problem_column_label(problem, t) if problem.column else ""
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


def quality_csv(intake: Intake, t: Translator, columns: Sequence[str]) -> bytes:
    """data-quality.csv: the problems in file order, each row's in the form's column order."""
    headers = quality_headers(t)
    in_order = sorted(intake.problems, key=problem_order(columns))
    return csv_bytes(
        headers, [dict(zip(headers, row, strict=True)) for row in quality_rows(in_order, t)]
    )


@dataclass(frozen=True)
class QualityFacts:
    """What the data-quality workbooks say around the problems themselves."""

    semester: str  # '2026-2027/HK1'
    input_name: str  # the merged file's name, as the office knows it
    day: dt.date  # the run's day: the files' dates
    columns: tuple[str, ...]  # the form's column keys, in its order
    deadline: dt.date | None  # when the schools send their corrections (office.toml)
    contact: Contact  # whom they ask (office.toml)


# Column widths (in characters) of the office's sheet and of a school's sheet.
OFFICE_WIDTHS = (12, 30, 8, 26, 18, 40, 52)
SCHOOL_WIDTHS = (30, 22, 48, 64)
A4 = 9  # openpyxl's (and Excel's) paper size code


def print_setup(sheet: Any, title_row: int, pages_tall: int) -> None:
    """Landscape A4, fitted to one page wide (and `pages_tall` pages tall, 0: as many as
    needed), the header row `title_row` repeated on every printed page."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_tall
    sheet.print_title_rows = f"{title_row}:{title_row}"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5


def set_widths(sheet: Any, widths: Sequence[int]) -> None:
    """Column widths, in characters (set before the first row of a write-only sheet)."""
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def text_cells(sheet: Any, values: Sequence[Any], font: Any = None, wrap: bool = True) -> list[Any]:
    """A row of write-only cells: texts made plain and kept as text (never a formula)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment

    alignment = Alignment(wrap_text=wrap, vertical="top")
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, plain_text(value) if isinstance(value, str) else value)
        make_text_cell(cell)
        cell.alignment = alignment
        if font is not None:
            cell.font = font
        cells.append(cell)
    return cells


def pinned_workbook(workbook: Any, day: dt.date) -> bytes:
    """A workbook's bytes dated `day` inside and out (outfiles.pinned_zip): the same run, the
    same bytes."""
    moment = dt.datetime.combine(day, dt.time())
    workbook.properties.created = moment
    workbook.properties.modified = moment
    buffer = io.BytesIO()
    workbook.save(buffer)
    return pinned_zip(buffer.getvalue(), moment)


def quality_title(t: Translator, facts: QualityFacts) -> str:
    """The office's sheet title: what it is, the semester and the merged file's name."""
    return t.gettext("Data problems · %(semester)s · input file %(file)s") % {
        "semester": semester_text(facts.semester, t),
        "file": facts.input_name,
    }


def quality_xlsx(
    intake: Intake, t: Translator, facts: QualityFacts, batch: int = STREAM_BATCH
) -> bytes:
    """data-quality.xlsx: the office's sheet of every problem, with the merged file's row
    numbers, in the form's column order, set up to print. Written with openpyxl's write-only
    mode, rows made batch by batch: memory does not grow with the number of problems."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(t.gettext("Data problems")[:31])
    set_widths(sheet, OFFICE_WIDTHS)
    print_setup(sheet, title_row=2, pages_tall=0)
    sheet.freeze_panes = "A3"
    sheet.append(text_cells(sheet, [quality_title(t, facts)], Font(bold=True, size=13), False))
    sheet.append(text_cells(sheet, quality_headers(t), Font(bold=True)))
    in_order = sorted(intake.problems, key=problem_order(facts.columns))
    for problems in batches(in_order, batch):
        for row in quality_rows(problems, t):
            sheet.append(text_cells(sheet, row))
    last = get_column_letter(len(OFFICE_WIDTHS))
    sheet.auto_filter.ref = f"A2:{last}{2 + len(in_order)}"
    return pinned_workbook(workbook, facts.day)


def school_quality_relpath(school_id: str) -> str:
    """Where a school's own data-problem workbook goes, relative to the output folder (a safe
    id only). `checker send` attaches the file from here."""
    if not is_safe_id(school_id):  # validate refuses these; never let one name a file
        raise ValueError(f"{school_id!r} is not a safe school id")
    return f"data-quality/{school_id}.xlsx"


def contact_line(contact: Contact, t: Translator) -> str:
    """'Contact: Trần Thị Bích, phone 0275 3000 000, e-mail …' with the parts the office gave;
    '' when it gave none."""
    parts = [contact.name] if contact.name else []
    if contact.phone:
        parts.append(t.gettext("phone %(phone)s") % {"phone": contact.phone})
    if contact.email:
        parts.append(t.gettext("e-mail %(email)s") % {"email": contact.email})
    return t.gettext("Contact: %(who)s") % {"who": ", ".join(parts)} if parts else ""


def school_quality_heading(
    problems: Sequence[Problem], t: Translator, facts: QualityFacts
) -> list[str]:
    """The lines above a school's problems: whose, which semester, by when, whom to ask."""
    first = problems[0]
    lines = [
        t.gettext("Data problems to correct: %(school)s (%(id)s)")
        % {"school": first.school_name, "id": first.school_id},
        semester_text(facts.semester, t),
    ]
    if facts.deadline is not None:
        lines.append(
            t.gettext("Please send the corrected figures by %(date)s.")
            % {"date": t.date(facts.deadline)}
        )
    contact = contact_line(facts.contact, t)
    if contact:
        lines.append(contact)
    return lines


def school_quality_xlsx(problems: Sequence[Problem], t: Translator, facts: QualityFacts) -> bytes:
    """One school's data problems (all of the same school), to send to that school: each
    column as the school's form names it, the value as typed, what is wrong and how to fix it,
    with the deadline and the office's contact, on one landscape page."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(t.gettext("Data problems")[:31])
    set_widths(sheet, SCHOOL_WIDTHS)
    heading = school_quality_heading(problems, t, facts)
    header_row = len(heading) + 2  # a blank row between the heading and the table
    print_setup(sheet, title_row=header_row, pages_tall=1)
    for number, line in enumerate(heading):
        font = Font(bold=True, size=13) if number == 0 else Font(bold=number >= 2)
        sheet.append(text_cells(sheet, [line], font, wrap=False))
    sheet.append([])
    headers = [
        t.gettext("Column"),
        t.gettext("Value as typed"),
        t.gettext("What is wrong"),
        t.gettext("How to fix it"),
    ]
    sheet.append(text_cells(sheet, headers, Font(bold=True)))
    for _, _, _, column, value, what, fix in quality_rows(
        sorted(problems, key=problem_order(facts.columns)), t
    ):
        sheet.append(text_cells(sheet, [column or t.gettext("(whole row)"), value, what, fix]))
    return pinned_workbook(workbook, facts.day)


def problems_by_school(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    """The problems grouped by school id, schools in the order of their first problem."""
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.school_id, []).append(problem)
    return grouped


def school_quality_files(
    intake: Intake, t: Translator, facts: QualityFacts
) -> Iterator[tuple[str, bytes]]:
    """(relative path, bytes) of each school's data-problem workbook, one school at a time;
    none for a school without problems (nor for a row without a school id: it is rejected)."""
    for school_id, problems in problems_by_school(intake.problems).items():
        if school_id:
            yield school_quality_relpath(school_id), school_quality_xlsx(problems, t, facts)


def make_text_cell(cell: Any) -> None:
    """A cell holding text stays text: openpyxl takes a value starting with `=` as a formula,
    so the cell is typed as a string (ids keep their leading zeros too), and a formula-like
    text gets Excel's quote prefix, so that editing the cell does not turn it into one."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if looks_like_formula(cell.value):
            cell.quotePrefix = True


def csv_parts(
    fieldnames: Sequence[str], row_batches: Iterable[Sequence[Mapping[str, Any]]]
) -> Iterator[bytes]:
    """csv_bytes of all the rows, in parts: the BOM and header, then each batch's rows."""
    header = csv_bytes(fieldnames, [])
    yield header
    for rows in row_batches:
        yield csv_bytes(fieldnames, rows)[len(header) :]


def results_csv_parts(
    results: Iterable[SchoolResult], rulebook: Rulebook, batch: int = STREAM_BATCH
) -> Iterator[bytes]:
    """results.csv in parts: csv_bytes(RESULT_FIELDS, result_rows(results)), streamed."""
    return csv_parts(RESULT_FIELDS, (result_rows(b, rulebook) for b in batches(results, batch)))


def groups_csv_parts(results: Iterable[SchoolResult], batch: int = STREAM_BATCH) -> Iterator[bytes]:
    """groups.csv in parts: csv_bytes(GROUP_FIELDS, group_rows(results)), streamed."""
    return csv_parts(GROUP_FIELDS, (group_rows(b) for b in batches(results, batch)))


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


def quality_csv_parts(
    intake: Intake, t: Translator, columns: Sequence[str], batch: int = STREAM_BATCH
) -> Iterator[bytes]:
    """data-quality.csv in parts: quality_csv(intake, t, columns), streamed."""
    headers = quality_headers(t)
    in_order = sorted(intake.problems, key=problem_order(columns))
    return csv_parts(
        headers,
        (
            [dict(zip(headers, row, strict=True)) for row in quality_rows(problems, t)]
            for problems in batches(in_order, batch)
        ),
    )
