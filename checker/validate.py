"""VALIDATE stage: RawTable -> Intake, judged by the Great Expectations intake suite.

Each cell's text is first normalised by its column's kind (the rulebook's fields): numbers lose
their spaces and percent signs and get '.' as the decimal mark, yes/no and level labels become
their canonical words, dates become YYYY-MM-DD. The normalised texts, with a numeric companion
column for numbers, go into a pandas DataFrame that a real GX suite, generated from the same
fields (checker.intake_checks), validates. Every problem reported comes from a failed
expectation of that suite: the GX results are the data-quality report, not a second opinion.

Row-level problems never stop the run: the bad value becomes None (so criteria reading it are
`missing`) and the problem travels with the school. Only ids that would break the run (the
same id twice, an id that cannot be a file name) raise ValidationError.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported where a frame is built: the CLI's main process
    import pandas as pd  # never needs it (validation runs in a process of its own)

from checker import ids as id_rule
from checker import model
from checker.i18n import N_
from checker.intake_checks import BARE_SUFFIX, LEVEL_FLAG_PREFIX, NUMBER_SUFFIX, build_suite

ROW_COLUMN = "_row"
NUMBER_KINDS = frozenset({"count", "share", "number"})

# The same shape as the suite's "not_a_number" regex: the companion holds a number only for
# text that the suite accepts as one.
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_THOUSANDS_DOT = re.compile(r"-?[0-9]{1,3}(\.[0-9]{3})+")
_SPACES = re.compile(r"\s+")

# Codes of the suite's meta.problem that make the whole file unusable.
DUPLICATE_ID = "duplicate_id"
UNSAFE_ID = "unsafe_id"
MISSING_ID = "missing_id"
_FILE_LEVEL_CODES = frozenset({DUPLICATE_ID, UNSAFE_ID})

# Rows validated at a time: Great Expectations builds columns, masks and result lists as large
# as the frame it checks, so a province's table is checked in slices of this many rows and its
# memory stays that of a district's.
SLICE_ROWS = 2500

_YES_WORDS = frozenset({"co", "x", "yes", "y", "true", "1"})
_NO_WORDS = frozenset({"khong", "no", "n", "false", "0"})
YES, NO = "yes", "no"

# Level labels after folding (lower case, no diacritics, '_' and '-' read as spaces).
# "Nhà trẻ" (crèche) is deliberately absent: it is not a level the plan audits.
_LEVEL_WORDS: Mapping[str, str] = {
    "mam non": "mam_non",
    "mau giao": "mam_non",
    "mn": "mam_non",
    "mg": "mam_non",
    "tieu hoc": "tieu_hoc",
    "th": "tieu_hoc",
    "thcs": "thcs",
    "trung hoc co so": "thcs",
    "thpt": "thpt",
    "trung hoc pho thong": "thpt",
}
# Between the levels of a combined school: "TH&THCS", "TH và THCS", "Tiểu học, THCS", "TH-THCS".
_LEVEL_SEPARATORS = re.compile(r"\s*(?:&|,|;|/|\+|-|\bva\b)\s*")
# Words that may stand before a combined school's levels: "Trường liên cấp TH-THCS".
_COMBINED_PREFIX = re.compile(r"^(?:truong\s+)?(?:lien\s+cap\b)?\s*:?\s*")

# Problem code -> (what is wrong, how to fix it): English msgids, translated when shown. The
# first part is a phrase without a final full stop (it is followed by the fix on scorecards).
PROBLEM_TEXTS: Mapping[str, tuple[str, str]] = {
    "missing_id": (
        N_("The row has data but no school id, so no scorecard can be made for it"),
        N_("Enter the school's id (Mã trường) in this row."),
    ),
    "duplicate_id": (
        N_("The same school id is used on more than one row"),
        N_("Give each school its own id; delete rows that repeat a school."),
    ),
    "unsafe_id": (
        N_("The school id contains characters that are not allowed"),
        N_("Use only letters, digits, '-' and '_', at most 32 characters."),
    ),
    "unknown_level": (
        N_("The school level is not one the checker knows"),
        N_("Write Mầm non, Tiểu học or THCS."),
    ),
    "not_a_number": (
        N_("The value is not a number"),
        N_("Enter digits only, for example 25 or 92,5."),
    ),
    "not_whole": (
        N_("The value is not a whole number"),
        N_("Enter a whole number, for example 20."),
    ),
    "out_of_range": (
        N_("The value is outside the allowed range"),
        N_("Enter a percentage from 0 to 100, or a count of 0 or more."),
    ),
    "not_yes_no": (
        N_("The value is not a yes/no answer"),
        N_("Write Có or Không."),
    ),
    "blank": (
        N_("The cell is blank"),
        N_("Fill in the value; a blank cell cannot be scored."),
    ),
    "too_long": (
        N_("The value is far longer than any real entry; only its beginning is shown"),
        N_("Check the cell and type only the value asked for."),
    ),
    "not_a_date": (
        N_("The value is not a date"),
        N_("Enter a date as day/month/year, for example 15/09/2026."),
    ),
    "no_evidence": (
        N_("Points are entered without evidence"),
        N_("Enter the evidence: the number of the document or a link to it."),
    ),
    "suspect_fraction": (
        N_("{value} looks like a fraction: did the school mean {percent}%?"),
        N_("The value is scored as typed; if {percent}% was meant, enter {percent}."),
    ),
}
TOO_LONG = "too_long"  # set by the loader (RawRow.cut), not by the suite: the value is cut
# Problems that are reported but leave the value in use (it is scored as typed).
WARNING_CODES = frozenset({"suspect_fraction"})

# How to fill a column of each kind: the fix shown for a value of the wrong type or range.
FIX_BY_KIND: Mapping[str, str] = {
    "count": N_("Enter a whole number of 0 or more, for example 20."),
    "share": N_("Enter a percentage from 0 to 100, for example 92,5."),
    "number": N_("Enter a number within the range the form gives."),
    "date": N_("Enter a date as day/month/year, for example 15/09/2026."),
    "yes_no": N_("Write Có or Không."),
    "url": N_("Enter the full web address, for example https://tentruong.edu.vn."),
    "level": N_(
        "Write Mầm non, Tiểu học, THCS or THPT; for a combined school, for example TH&THCS."
    ),
}
_KIND_FIXED_CODES = frozenset(
    {"not_a_number", "not_whole", "out_of_range", "not_yes_no", "not_a_date"}
)


def fix_text_of(code: str, kind: model.Kind) -> str:
    """The (English msgid of the) fix for a problem: the column's own hint for a value of the
    wrong type or range ('Enter a whole number…' for a count), else the problem's generic one."""
    if code in _KIND_FIXED_CODES or code == "unknown_level":
        return FIX_BY_KIND.get(kind, PROBLEM_TEXTS[code][1])
    return PROBLEM_TEXTS.get(code, ("", N_("Check this value.")))[1]


class ValidationError(model.InputError):
    """The table's school ids make the run impossible (duplicates, unsafe file names).

    `msgid` is an English message marked for translation, `params` fill its placeholders;
    str() is the English sentence.
    """

    def __init__(self, msgid: str, params: Mapping[str, str]) -> None:
        self.msgid = msgid
        self.params = dict(params)
        super().__init__(msgid.format(**self.params))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from (msgid, params) when it crosses a process boundary (the validator).
        return (type(self), (self.msgid, self.params))

    def translate(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of `gettext` (e.g. `Translator.gettext`)."""
        return gettext(self.msgid).format(**self.params)


@dataclass(frozen=True)
class Cell:
    """One cell after normalisation: the text the suite sees and, for numbers, its value."""

    text: str | None
    number: float | None = None
    bare: bool = False  # a number typed without a percent sign


@dataclass(frozen=True)
class Failure:
    """One failed expectation of the suite: its problem code, column and rows."""

    order: int  # position in the suite: the first failure per (row, column) wins
    code: str
    column: str  # a column key (the numeric companion's suffix removed)
    rows: tuple[int, ...]


# ---------------------------------------------------------------------------------------------
# Normalising cell text


def fold(text: str) -> str:
    """Text in lower case, without Vietnamese diacritics, single-spaced: 'Mầm  Non' -> 'mam non'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", bare.lower()).strip()


def clean_text(text: str) -> str | None:
    """The cell's text in NFC with outer spaces removed; None when blank."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    return cleaned or None


def number_text(text: str, kind: model.Kind) -> str:
    """Number text rewritten with '.' as the only decimal mark and no grouping.

    Spaces (also non-breaking) go; a share may end in '%'. ',' is the decimal mark when it is
    the only separator ('92,5'); with both, the last one is the decimal mark ('1.234,5');
    '.' alone is a decimal point, except in a count grouped by threes ('1.234' -> '1234').
    Text that is no number comes back (without spaces) for the suite to reject.
    """
    compact = _SPACES.sub("", text).replace("−", "-")
    if kind == "share" and compact.endswith("%"):
        compact = compact[:-1]
    if "," in compact and "." in compact:
        return _two_separators(compact)
    if compact.count(",") == 1:
        return compact.replace(",", ".")
    if kind == "count" and _THOUSANDS_DOT.fullmatch(compact):
        return compact.replace(".", "")
    return compact


def _two_separators(compact: str) -> str:
    """'1.234,5' or '1,234.5' -> '1234.5'; anything else unchanged (not a number)."""
    decimal = "," if compact.rfind(",") > compact.rfind(".") else "."
    grouping = "." if decimal == "," else ","
    grouped = rf"-?[0-9]{{1,3}}(\{grouping}[0-9]{{3}})+\{decimal}[0-9]+"
    if not re.fullmatch(grouped, compact):
        return compact
    return compact.replace(grouping, "").replace(decimal, ".")


def yes_no_text(text: str) -> str:
    """'Có', 'co', 'x', 'TRUE', '1' -> 'yes'; 'Không', 'no', '0' -> 'no'; else the text."""
    folded = fold(text)
    if folded in _YES_WORDS:
        return YES
    if folded in _NO_WORDS:
        return NO
    return text


def level_text(text: str) -> str:
    """The level key of a level cell, or the text itself when it names no known level.

    'Mầm non', 'MG', 'Tiểu học', 'Trung học cơ sở', 'thcs' -> one key; a combined school's
    'TH&THCS', 'TH và THCS', 'Liên cấp TH-THCS', 'TH, THCS và THPT' -> its keys joined by '+'
    in the order of the education system ('tieu_hoc+thcs').
    """
    single = _LEVEL_WORDS.get(fold(text.replace("_", " ").replace("-", " ")))
    if single:
        return single
    body = _COMBINED_PREFIX.sub("", fold(text))
    parts = [part.replace("_", " ").strip() for part in _LEVEL_SEPARATORS.split(body)]
    keys = {_LEVEL_WORDS.get(part) for part in parts if part}
    if not keys or None in keys:
        return text
    return model.LEVEL_JOIN.join(level for level in model.LEVELS if level in keys)


def normalise_cell(text: str, kind: model.Kind) -> Cell:
    """Normalise one cell's text by its column kind (blank -> Cell(None))."""
    cleaned = clean_text(text)
    if cleaned is None:
        return Cell(None)
    if kind in NUMBER_KINDS:
        rewritten = number_text(cleaned, kind)
        number = float(rewritten) if _NUMBER.fullmatch(rewritten) else None
        return Cell(rewritten, number, bare="%" not in cleaned)
    if kind == "yes_no":
        return Cell(yes_no_text(cleaned))
    if kind == "level":
        return Cell(level_text(cleaned))
    if kind == "date":
        return Cell(date_text(cleaned))
    return Cell(cleaned)


_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?")


def date_text(text: str) -> str:
    """A date as YYYY-MM-DD: '15/09/2026', '15-9-2026', '2026-09-15' (and a spreadsheet's
    date cell, read as '2026-09-15 00:00:00'); anything else comes back for the suite to
    reject. Vietnamese dates put the day first."""
    compact = _SPACES.sub(" ", text).strip()
    if found := _DAY_FIRST.fullmatch(compact):
        day, month, year = (int(part) for part in found.groups())
    elif found := _ISO_DAY.fullmatch(compact):
        year, month, day = (int(part) for part in found.groups())
    else:
        return text
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return text


def has_data(row: model.RawRow) -> bool:
    """True when at least one cell of the row holds something other than spaces."""
    return any(clean_text(text) for text in row.cells.values())


def normalise_rows(
    rows: Sequence[model.RawRow], columns: Sequence[model.Column]
) -> dict[int, dict[str, Cell]]:
    """Row number -> column key -> Cell, for every row that holds data."""
    return {
        row.row_number: {c.key: normalise_cell(row.cells.get(c.key, ""), c.kind) for c in columns}
        for row in rows
        if has_data(row)
    }


def build_frame(
    cells: Mapping[int, Mapping[str, Cell]], columns: Sequence[model.Column]
) -> pd.DataFrame:
    """The DataFrame the suite validates: `_row`, every column's text, numbers' companions."""
    import pandas as pd

    data: dict[str, pd.Series] = {ROW_COLUMN: pd.Series(list(cells), dtype="int64")}
    # One flag per level, so that the suite can ask "must this school fill the column?" of a
    # combined school too ("tieu_hoc+thcs" teaches both levels).
    levels = [set(model.levels_of(row["level"].text)) for row in cells.values()]
    for level in model.LEVELS:
        data[LEVEL_FLAG_PREFIX + level] = pd.Series([level in s for s in levels], dtype="bool")
    for column in columns:
        texts = [row[column.key].text for row in cells.values()]
        data[column.key] = pd.Series(texts, dtype="object")
        if column.kind in NUMBER_KINDS:
            numbers = [row[column.key].number for row in cells.values()]
            data[column.key + NUMBER_SUFFIX] = pd.Series(numbers, dtype="float64")
        if column.kind == "share":
            bare = [
                row[column.key].text if row[column.key].bare else None for row in cells.values()
            ]
            data[column.key + BARE_SUFFIX] = pd.Series(bare, dtype="object")
    return pd.DataFrame(data)


# ---------------------------------------------------------------------------------------------
# Running the Great Expectations suite


@contextlib.contextmanager
def quiet_gx() -> Iterator[None]:
    """Silence GX's log records and warnings for the duration of the block."""
    logger = logging.getLogger("great_expectations")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(previous)


def preload() -> None:
    """Import Great Expectations now: the CLI runs this in a process of its own at start-up,
    so the multi-second import overlaps the rest of the start instead of following it."""
    with quiet_gx():
        import great_expectations  # noqa: F401


def run_suite(frame: pd.DataFrame, suite_dict: Mapping[str, Any]) -> tuple[Failure, ...]:
    """Validate the frame with the GX suite; one Failure per failed expectation, suite order.

    Two passes: every expectation for its outcome alone, then the failed ones again for the
    rows that fail them. GX's complete result (the failing rows) costs an expectation about
    twice its outcome alone, and on a commune's or a district's table most expectations pass.
    Measured with the shipped rulebook on the synthetic district (CPU, median of 3): 12 schools
    0.32 s against 0.42 s in one complete pass, 45 schools 0.35 against 0.50; from about 200
    schools, where most columns hold a slip somewhere, the second pass costs more than it saves
    (500: 0.52 against 0.49; 5,000: 1.7 against 1.5, beside minutes of rendering).
    GX is imported here, not at module top: the import costs seconds and the CLI overlaps it
    with reading the input.
    """
    outcomes = validated(frame, suite_dict, {"result_format": "BOOLEAN_ONLY"})
    failed = {int(item.expectation_config.meta["order"]) for item in outcomes if not item.success}
    if not failed:
        return ()
    again = {
        **suite_dict,
        "expectations": [e for e in suite_dict["expectations"] if e["meta"]["order"] in failed],
    }
    complete = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_COLUMN]}
    failures = [_failure(item) for item in validated(frame, again, complete) if not item.success]
    return tuple(sorted(failures, key=lambda failure: failure.order))


def validated(
    frame: pd.DataFrame, suite_dict: Mapping[str, Any], result_format: Mapping[str, Any]
) -> list[Any]:
    """GX's result of each expectation of the suite on the frame, in `result_format`."""
    with quiet_gx():
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        suite = gx.ExpectationSuite(**suite_dict)
        batch = (
            context.data_sources.add_pandas("intake")
            .add_dataframe_asset("table")
            .add_batch_definition_whole_dataframe("whole_table")
            .get_batch(batch_parameters={"dataframe": frame})
        )
        return list(batch.validate(suite, result_format=dict(result_format)).results)


def _failure(item: Any) -> Failure:
    """A Failure from one failed GX expectation result; RuntimeError if GX itself failed."""
    config = item.expectation_config
    if _raised(item.exception_info) or "unexpected_index_list" not in item.result:
        # A broken suite or frame is the project's bug, never the school's: fail loudly.
        raise RuntimeError(
            f"intake checks: expectation {config.type} on {config.kwargs} could not run"
        )
    column = str(config.kwargs["column"]).removesuffix(NUMBER_SUFFIX).removesuffix(BARE_SUFFIX)
    rows = tuple(int(index[ROW_COLUMN]) for index in item.result["unexpected_index_list"])
    return Failure(int(config.meta["order"]), str(config.meta["problem"]), column, rows)


def _raised(exception_info: Mapping[str, Any] | None) -> bool:
    """True when GX reports an exception, either flat or per metric."""
    if not exception_info:
        return False
    if "raised_exception" in exception_info:
        return bool(exception_info["raised_exception"])
    return any(
        isinstance(info, Mapping) and info.get("raised_exception")
        for info in exception_info.values()
    )


# ---------------------------------------------------------------------------------------------
# From failures to problems, file-level errors, schools


def first_codes(failures: Sequence[Failure]) -> dict[tuple[int, str], str]:
    """(row, column) -> problem code of the first failure in suite order."""
    codes: dict[tuple[int, str], str] = {}
    for failure in failures:
        for row in failure.rows:
            codes.setdefault((row, failure.column), failure.code)
    return codes


def printable(text: str, limit: int = 40) -> str:
    """School-typed text made safe for a one-line terminal message (no control characters)."""
    shown = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def ids_with_rows(rows: Sequence[int], ids: Mapping[int, str]) -> str:
    """'08304007 (5, 9); 08304010 (6)': each id once, with the rows where it appears."""
    by_id: dict[str, list[int]] = {}
    for row in sorted(set(rows)):
        by_id.setdefault(ids[row], []).append(row)
    return "; ".join(f"{printable(i)} ({', '.join(map(str, r))})" for i, r in by_id.items())


def check_file_level(failures: Sequence[Failure], ids: Mapping[int, str], path: Path) -> None:
    """Raise ValidationError when the suite found duplicate or unsafe school ids, or ids that
    differ only by case (the same file name on Windows and macOS)."""
    duplicates = [row for f in failures if f.code == DUPLICATE_ID for row in f.rows]
    unsafe = [row for f in failures if f.code == UNSAFE_ID for row in f.rows]
    unsafe = sorted(set(unsafe) | set(id_rule.case_collisions(ids)))
    params = {"file": str(path), "max": str(id_rule.MAX_LENGTH)}
    if duplicates and unsafe:
        msgid = N_(
            "{file}: school ids used on more than one row (row numbers in brackets): "
            "{duplicates}; and school ids that cannot be used as file names: {unsafe}. "
            "Give each school its own id of letters, digits, '-' and '_' (at most {max}), "
            "not a Windows device name (CON, NUL, COM1, …) and not differing from another only "
            "by capital letters."
        )
        params |= {
            "duplicates": ids_with_rows(duplicates, ids),
            "unsafe": ids_with_rows(unsafe, ids),
        }
    elif duplicates:
        msgid = N_(
            "{file}: school ids used on more than one row (row numbers in brackets): "
            "{duplicates}. Give each school its own id."
        )
        params["duplicates"] = ids_with_rows(duplicates, ids)
    elif unsafe:
        msgid = N_(
            "{file}: school ids that cannot be used as file names (row numbers in brackets): "
            "{unsafe}. Use only letters, digits, '-' and '_', at most {max} characters, not a "
            "Windows device name (CON, NUL, COM1, …), and no two ids that differ only by "
            "capital letters."
        )
        params["unsafe"] = ids_with_rows(unsafe, ids)
    else:
        return
    raise ValidationError(msgid, params)


def typed_value(cell: Cell, kind: model.Kind) -> model.Value:
    """The cell's typed value: int counts, float shares, bool yes/no, text; None if blank."""
    if kind == "count":
        return int(cell.number) if cell.number is not None and cell.number.is_integer() else None
    if kind == "date":
        return dt.date.fromisoformat(cell.text) if cell.text else None
    if kind in ("share", "number"):
        # Exact: the text as typed, not the float the suite compared ("89.9999999999999999"
        # is below 90; as a float it would be 90.0 and meet the threshold).
        return Decimal(cell.text) if cell.number is not None and cell.text else None
    if kind == "yes_no":
        return {YES: True, NO: False}.get(cell.text or "")
    if kind == "level":
        known = cell.text and all(part in model.LEVELS for part in model.levels_of(cell.text))
        return cell.text if known else None
    return cell.text


def row_problems(
    row: model.RawRow,
    cells: Mapping[str, Cell],
    codes: Mapping[tuple[int, str], str],
    columns: Sequence[model.Column],
) -> tuple[model.Problem, ...]:
    """The row's problems, in the intake form's column order."""
    school_id = cells["school_id"].text or ""
    name = cells["school_name"].text or ""
    return tuple(
        model.Problem(
            row.row_number,
            school_id,
            name,
            c.key,
            row.cells.get(c.key, ""),
            code,
            c.kind,
            (c.header_vi, c.header_en),
        )
        for c in columns
        if (code := codes.get((row.row_number, c.key))) is not None
    )


def build_school(
    row: model.RawRow,
    cells: Mapping[str, Cell],
    problems: tuple[model.Problem, ...],
    columns: Sequence[model.Column],
) -> model.School:
    """A School from a row: typed values, with None wherever the suite found a problem. Its
    `raw` cells are left empty: validate_table gives it its row's own cells (see attach_cells)."""
    bad = {p.column for p in problems if p.code not in WARNING_CODES}
    values = {c.key: None if c.key in bad else typed_value(cells[c.key], c.kind) for c in columns}
    level = values["level"]
    return model.School(
        row_number=row.row_number,
        school_id=cells["school_id"].text or "",
        name=cells["school_name"].text or "",
        level=level if isinstance(level, str) else None,
        commune=cells["commune"].text or "",
        principal=cells["principal"].text or "",
        values=values,
        raw={},
        problems=problems,
    )


def intake_suite(rulebook: model.Rulebook) -> dict[str, Any]:
    """The GX suite for the rulebook's table: its columns' checks, and evidence for the points
    of self-scored criteria."""
    evidence = [model.self_scored_keys(c.id) for c in rulebook.criteria if c.self_scored]
    return build_suite(rulebook.columns, evidence)


@dataclass(frozen=True)
class Checked:
    """One slice of the table's rows, validated: its schools, rejected rows and problems, the
    school id of each row with data (None when blank), and its failures that stop the run.

    The schools and rejected rows come without the cells as typed (`raw`, `cells`): the
    process that read the table has them, so a validator process never sends them back (a
    second copy of the table in the main process); attach_cells gives them back.
    """

    schools: tuple[model.School, ...]
    rejected: tuple[model.Rejected, ...]
    problems: tuple[model.Problem, ...]
    ids: Mapping[int, str | None]
    file_level: tuple[Failure, ...]


def split_suite(suite: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the checks of one row at a time, the checks that compare rows: unique ids).

    The first run on bounded slices of the rows; the second on the whole table's id column
    only, so a repeated id is found wherever its rows are.
    """
    whole = [e for e in suite["expectations"] if e["meta"]["problem"] == DUPLICATE_ID]
    per_row = [e for e in suite["expectations"] if e["meta"]["problem"] != DUPLICATE_ID]
    return {**suite, "expectations": per_row}, {**suite, "expectations": whole}


def row_slices(
    rows: Sequence[model.RawRow], size: int = SLICE_ROWS
) -> list[Sequence[model.RawRow]]:
    """The rows in consecutive slices of at most `size`, in table order."""
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def validate_rows(rows: Sequence[model.RawRow], rulebook: model.Rulebook) -> Checked:
    """Validate some of the table's rows with the suite's per-row checks and type their values.

    Rows with data but no school id are rejected ("missing_id"); rows with no data at all are
    skipped (the loader already lists those as ignored).
    """
    columns = rulebook.columns
    cells = normalise_rows(rows, columns)
    per_row, _ = split_suite(intake_suite(rulebook))
    failures = run_suite(build_frame(cells, columns), per_row) if cells else ()
    codes = first_codes([f for f in failures if f.code not in _FILE_LEVEL_CODES])
    codes |= {(row.row_number, key): TOO_LONG for row in rows for key in row.cut}
    schools: list[model.School] = []
    rejected: list[model.Rejected] = []
    problems: list[model.Problem] = []
    for row in rows:
        if row.row_number not in cells:
            continue
        found = row_problems(row, cells[row.row_number], codes, columns)
        problems.extend(found)
        if codes.get((row.row_number, "school_id")) == MISSING_ID:
            rejected.append(model.Rejected(row.row_number, MISSING_ID, {}))
        else:
            schools.append(build_school(row, cells[row.row_number], found, columns))
    return Checked(
        schools=tuple(schools),
        rejected=tuple(rejected),
        problems=tuple(problems),
        ids={row: c["school_id"].text for row, c in cells.items()},
        file_level=tuple(f for f in failures if f.code in _FILE_LEVEL_CODES),
    )


def repeated_ids(ids: Mapping[int, str | None], rulebook: model.Rulebook) -> tuple[Failure, ...]:
    """The suite's checks that compare rows (unique school ids), run on the whole table's id
    column: a frame of two columns, however many rows there are."""
    import pandas as pd

    if not ids:
        return ()
    _, whole = split_suite(intake_suite(rulebook))
    frame = pd.DataFrame(
        {
            ROW_COLUMN: pd.Series(list(ids), dtype="int64"),
            "school_id": pd.Series(list(ids.values()), dtype="object"),
        }
    )
    return run_suite(frame, whole)


def table_ids(parts: Sequence[Checked]) -> dict[int, str | None]:
    """Row number -> school id (None when blank) of every row with data, in table order."""
    return {row: school_id for part in parts for row, school_id in part.ids.items()}


def row_cells(table: model.RawTable) -> dict[int, Mapping[str, str]]:
    """Each row's cells as typed, by row number: the table's own mappings, not copies."""
    return {row.row_number: row.cells for row in table.rows}


def attach_cells(
    cells: Mapping[int, Mapping[str, str]], parts: Sequence[Checked]
) -> tuple[tuple[model.School, ...], tuple[model.Rejected, ...]]:
    """The parts' schools and rejected rows, in table order, each given its row's `cells`
    (row_cells: the table's own mappings, which are never changed)."""
    rejected = tuple(
        dataclasses.replace(row, cells=cells[row.row_number])
        for part in parts
        for row in part.rejected
    )
    return schools_with_cells(cells, parts), rejected


def schools_with_cells(
    cells: Mapping[int, Mapping[str, str]], parts: Sequence[Checked]
) -> tuple[model.School, ...]:
    """The parts' schools, in table order, each given its row's `cells`."""
    return tuple(
        dataclasses.replace(school, raw=cells[school.row_number])
        for part in parts
        for school in part.schools
    )


def validate_table(
    table: model.RawTable,
    rulebook: model.Rulebook,
    executor: Executor | None = None,
    slice_rows: int = SLICE_ROWS,
    take: Callable[[tuple[model.School, ...]], None] | None = None,
) -> model.Intake:
    """Validate the loaded table with the GX intake suite and type its values.

    The rows are checked in slices of `slice_rows` (Great Expectations' memory follows the rows
    it is given: a slice's, not a province's), through `executor` when given (the validator
    process: each slice travels there and back on its own, never the whole table); unique ids
    are checked on the whole table's id column. Rows with data but no school id are rejected
    ("missing_id"); rows with no data at all are skipped (the loader already lists those as
    ignored). Raises ValidationError for duplicate or unsafe school ids, naming the ids and
    their rows. `take`, when given, is handed each slice's schools as soon as they are checked
    (in table order), and the Intake returned holds none: a caller that goes on school by
    school never has a province's schools in memory at once.
    """
    slices = row_slices(table.rows, slice_rows)
    if executor is None:
        checked: Iterator[Checked] = (validate_rows(rows, rulebook) for rows in slices)
    else:
        futures = collections.deque(
            executor.submit(validate_rows, rows, rulebook) for rows in slices
        )
        # Each future let go once its part is taken: a part's schools are not kept to the end.
        checked = (futures.popleft().result() for _ in range(len(futures)))
    cells = row_cells(table)  # once: each slice's schools and rows get their cells from it
    parts = [handed_over(part, cells, take) for part in checked]
    ids_by_row = table_ids(parts)
    if executor is None:
        repeated = repeated_ids(ids_by_row, rulebook)
    else:
        repeated = executor.submit(repeated_ids, ids_by_row, rulebook).result()
    ids = {row: school_id or "" for row, school_id in ids_by_row.items()}
    failures = [*repeated, *(failure for part in parts for failure in part.file_level)]
    check_file_level(failures, ids, table.path)
    schools, rejected = attach_cells(cells, parts)
    problems = tuple(problem for part in parts for problem in part.problems)
    return model.Intake(table, schools, rejected, problems)


def handed_over(
    part: Checked,
    cells: Mapping[int, Mapping[str, str]],
    take: Callable[[tuple[model.School, ...]], None] | None,
) -> Checked:
    """The part as validate_table keeps it: whole, or, with `take`, without its schools, which
    are handed to `take` with their cells."""
    if take is None:
        return part
    take(schools_with_cells(cells, [part]))
    return dataclasses.replace(part, schools=())
