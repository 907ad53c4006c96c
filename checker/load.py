"""LOAD stage: read the office's table (CSV, XLSX or ODS) into a RawTable, every cell as typed.

The loader does not judge values (that is the validate stage); it only finds the table in the
file. Offices' files are not clean, so it:

- finds the header row by its known column names, below any title block (office name,
  national motto, report title), and reads the semester the title names, if any;
- keeps the signature block ("Người lập biểu", "TRƯỞNG PHÒNG", ...) and blank rows out of the
  schools, listing their row numbers in `RawTable.ignored_rows`, and skips the header row
  typed again mid-table (`RawTable.repeated_headers`);
- turns every cell into the text the user typed (checker.celltext).

Reading costs what a real table of the file's size costs: the file must be a regular file, and
limits (checker.limits) on rows, columns, cells, characters, shared strings and the unpacked
size of each zip part are checked while reading, before anything is built. A value longer than
the per-cell limit is kept cut (`RawRow.cut`): a row problem, not a refusal.

A file that cannot be used at all raises `LoadError`: an English message id (marked with N_,
translated by the CLI) and its parameters, always naming the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from checker import files
from checker.celltext import clean_text, cut_text, trim
from checker.files import FileError
from checker.i18n import N_
from checker.limits import DEFAULT_LIMITS, Budget, Limits, printable_name
from checker.model import IDENTITY_COLUMNS, Column, RawRow, RawTable
from checker.title import semester_in_title
from checker.workbook import Damaged, Row, Sheet, ods_sheets, open_zip, read_part, xlsx_sheets

# --- Messages (English msgids; the CLI translates them and fills in the parameters) ----------

MSG_NO_SUCH_FILE = files.MSG_NO_SUCH_FILE
MSG_NOT_A_FILE = files.MSG_NOT_A_FILE
MSG_NOT_REGULAR = files.MSG_NOT_REGULAR
MSG_TOO_LARGE = files.MSG_TOO_LARGE
MSG_EMPTY = N_("The file {file} is empty: it has no cells with data.")
MSG_NOT_SPREADSHEET = N_(
    "The file {file} is not a spreadsheet (CSV, XLSX or ODS), or it is damaged."
)
MSG_OLD_XLS = N_(
    "The file {file} is in the old Excel format (.xls) or is password-protected; "
    "open it in Excel and save it as an Excel Workbook (.xlsx) without a password."
)
MSG_ENCODING = N_(
    'The file {file} is not UTF-8 text; in Excel, save it again as "CSV UTF-8 (Comma delimited)".'
)
MSG_NO_HEADER = N_(
    "No header row found in {file}: none of its first {rows} rows holds the column names, "
    "such as {expected}."
)
MSG_MISSING_COLUMNS = N_(
    "The file {file} lacks required columns in its header row (row {row}): {columns}."
)
MSG_DUPLICATE_COLUMN = N_(
    "The file {file} has the column {column} more than once in its header row (row {row}): "
    "columns {letters}."
)
MSG_NO_ROWS = N_("The file {file} has a header row (row {row}) but no school rows below it.")
MSG_UNBALANCED_QUOTE = N_(
    "The file {file} has an unbalanced quote mark in row {row}, column {column}: the rows after "
    'it would be read as one cell; check the quote marks (") in that row.'
)
MSG_SEVERAL_TABLES = N_(
    "The file {file} has several sheets that look like the table of schools ({sheets}); "
    "name the one to check with --sheet."
)
MSG_NO_SUCH_SHEET = N_("The file {file} has no sheet named {sheet}; its sheets are {sheets}.")

# --- Limits -------------------------------------------------------------------------------

HEADER_SCAN_ROWS = 30  # the header row must be among the first rows of a sheet
MIN_HEADER_MATCHES = 2  # a header row names at least this many known columns
# A quoted CSV field holding a line with this many delimiters holds records, not a cell's text.
SWALLOWED_DELIMITERS = 5

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ""})
CSV_DELIMITERS = (";", ",", "\t")

Format = Literal["csv", "xlsx", "ods"]

LoadError = FileError  # one error class for every file a run reads


@dataclass(frozen=True)
class _Header:
    """Where the table's header is and what each of its cells means."""

    row_number: int
    last_row: int  # the last row of the header block (a second header row may be merged in)
    cells: tuple[str, ...]  # header texts by cell position, neighbours' known names merged in
    score: int  # how many known columns it names


# --- Public entry point ---------------------------------------------------------------------


def load_table(
    path: Path,
    columns: Sequence[Column],
    limits: Limits = DEFAULT_LIMITS,
    sheet_name: str | None = None,
) -> RawTable:
    """Read the intake table in `path` (CSV, XLSX or ODS) into a RawTable, cells as typed.

    `columns` are the table's (a rulebook's `columns`): their headers, aliases included, find
    the header row; the required ones must be there.
    `limits` bound what the file may hold; `sheet_name` names the sheet to read when a
    workbook has several that look like the table. Raises LoadError (an InputError) when the
    file cannot be used: no such file, not a regular file, too large, empty, not a
    spreadsheet, damaged, over a limit, undecodable CSV, an unbalanced CSV quote, several
    candidate sheets, no header row, required columns absent, a column twice, or no school
    rows.
    """
    file = path.name
    names = HeaderNames.of(columns)
    data = files.read_regular_file(path, limits.file_bytes())
    if not data.strip():
        raise LoadError(MSG_EMPTY, {"file": file})
    kind = _sniff_format(data, path)
    budget = Budget(limits, file)
    with _parse_errors(file):
        sheets = _read_sheets(data, kind, file, budget, names)
    sheet, header = _choose_sheet(sheets, file, names, sheet_name)
    positions, extra = _map_header(header, file, names)
    raw_rows, ignored, repeated = _collect_rows(sheet.rows, header, positions, sheet.cut, names)
    if not raw_rows:
        raise LoadError(MSG_NO_ROWS, {"file": file, "row": str(header.row_number)})
    title = [text for number, cells in sheet.rows if number < header.row_number for text in cells]
    return RawTable(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        header_row=header.row_number,
        rows=tuple(raw_rows),
        extra_columns=extra,
        ignored_rows=tuple(ignored),
        repeated_headers=tuple(repeated),
        sheet=None if kind == "csv" else sheet.name,
        title_semester=semester_in_title(title),
    )


def read_sheets(
    path: Path,
    limits: Limits = DEFAULT_LIMITS,
    columns: Sequence[Column] = IDENTITY_COLUMNS,
) -> list[Sheet]:
    """Every sheet of the spreadsheet `path` (a CSV is one sheet), cells as typed, read within
    `limits`: for files other than the intake table (a roster, a returned form's footer).
    A CSV's delimiter is the one that splits a header naming `columns` best. Raises LoadError
    as load_table does for a file that cannot be read."""
    file = path.name
    data = files.read_regular_file(path, limits.file_bytes())
    if not data.strip():
        raise LoadError(MSG_EMPTY, {"file": file})
    kind = _sniff_format(data, path)
    with _parse_errors(file):
        return _read_sheets(data, kind, file, Budget(limits, file), HeaderNames.of(columns))


# --- Reading the bytes and telling the format -------------------------------------------------


def _sniff_format(data: bytes, path: Path) -> Format:
    """CSV, XLSX or ODS, from the content where it tells (zip, OLE2), else from the extension."""
    file = path.name
    if data.startswith(b"PK\x03\x04"):
        return _zip_format(data, file)
    if data.startswith(OLE2_MAGIC):
        raise LoadError(MSG_OLD_XLS, {"file": file})
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix == ".xls":  # often an HTML or text export named .xls: Excel can convert it
        raise LoadError(MSG_OLD_XLS, {"file": file})
    raise LoadError(MSG_NOT_SPREADSHEET, {"file": file})


def _zip_format(data: bytes, file: str) -> Format:
    """XLSX or ODS for a zip file, by its parts; anything else is not a spreadsheet."""
    try:
        with open_zip(data) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names:
                mimetype = read_part(archive, "mimetype", Budget(DEFAULT_LIMITS, file), 100)
    except Damaged as err:
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file}) from err
    if mimetype.strip() == ODS_MIMETYPE:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise LoadError(MSG_NOT_SPREADSHEET, {"file": file})


def _read_sheets(
    data: bytes, kind: Format, file: str, budget: Budget, names: HeaderNames
) -> list[Sheet]:
    """The file's sheets, in the order to look for the table (active sheet first)."""
    if kind == "csv":
        return [_csv_sheet(data, file, budget, names)]
    with open_zip(data) as archive:
        if kind == "ods":
            return ods_sheets(archive, budget)
        return xlsx_sheets(archive, budget)


@contextmanager
def _parse_errors(file: str) -> Iterator[None]:
    """Turn any failure on untrusted bytes into 'not a spreadsheet' (limits keep their own)."""
    try:
        yield
    except FileError:
        raise
    except RecursionError as err:
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file}) from err
    except Exception as err:  # a damaged file can make the parsers fail in any way
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file}) from err


# --- CSV --------------------------------------------------------------------------------------


def _vietnamese_letters() -> frozenset[str]:
    """Every Vietnamese letter with a diacritic, composed (NFC), both cases."""
    vowels = "aăâeêioôơuưy"
    tones = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
    letters = {unicodedata.normalize("NFC", v + t) for v in vowels for t in tones} | {"đ"}
    letters |= {letter.upper() for letter in letters}
    return frozenset(letter for letter in letters if len(letter) == 1 and not letter.isascii())


_VIETNAMESE_LETTERS = _vietnamese_letters()
_TYPOGRAPHIC = frozenset("\u00a0–—‘’“”…•°«»×")


def _looks_vietnamese(text: str) -> bool:
    """True when every non-ASCII character is a Vietnamese letter or common punctuation.

    Text in another legacy encoding (TCVN3, VNI, Western) read as cp1258 shows stray symbols
    such as '·', '¬', 'ª' or lone combining marks, and fails this test.
    """
    allowed = _VIETNAMESE_LETTERS | _TYPOGRAPHIC
    return all(ch.isascii() or ch in allowed for ch in text)


def _has_control_bytes(data: bytes) -> bool:
    """True for binary content: control bytes that no text file holds."""
    return any(byte < 0x20 and byte not in (0x09, 0x0A, 0x0D) for byte in data)


def _decode_csv(data: bytes, file: str) -> tuple[str, bool]:
    """The CSV's text and whether it was read as legacy cp1258 (and must prove its headers)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec), False
            except UnicodeDecodeError as err:
                raise LoadError(MSG_ENCODING, {"file": file}) from err
    if b"\x00" in data:  # no text file holds NUL bytes
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file})
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    if _has_control_bytes(data):  # neither UTF-8 nor text: binary content
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file})
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError as err:
        raise LoadError(MSG_ENCODING, {"file": file}) from err
    if not _looks_vietnamese(text):
        raise LoadError(MSG_ENCODING, {"file": file})
    return text, True


def _csv_sheet(data: bytes, file: str, budget: Budget, names: HeaderNames) -> Sheet:
    """The CSV as one sheet. A cp1258 reading is kept only if it finds the header row."""
    text, legacy = _decode_csv(data, file)
    sheet = _csv_rows(text, file, budget, names)
    if legacy and _find_header(_head(sheet.rows), names) is None:
        raise LoadError(MSG_ENCODING, {"file": file})
    return sheet


def _head(rows: list[Row]) -> list[Row]:
    """The rows among the first HEADER_SCAN_ROWS, where the header row must be."""
    return [row for row in rows if row[0] <= HEADER_SCAN_ROWS]


@contextmanager
def _field_size_limit(size: int) -> Iterator[None]:
    """Let the csv module read fields up to `size` characters (its default is 131,072), so
    that an over-long value is cut and reported instead of failing the whole file."""
    previous = csv.field_size_limit()
    csv.field_size_limit(max(previous, size))
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv_records(text: str, delimiter: str) -> Iterator[list[str]]:
    """The CSV's records (a quoted field may span lines; Excel shows a record as one row)."""
    with _field_size_limit(len(text) + 1):
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _swallows_records(field: str, delimiter: str, width: int) -> bool:
    """True for a quoted field that holds whole records: an unbalanced quote read the lines
    after it into one cell. A line of a real cell's text (a note typed over two lines) does
    not hold as many delimiters as half a record of the table (`width` fields)."""
    if "\n" not in field and "\r" not in field:
        return False
    enough = max(SWALLOWED_DELIMITERS, width // 2)
    return any(line.count(delimiter) >= enough for line in field.splitlines())


def _csv_rows(text: str, file: str, budget: Budget, names: HeaderNames) -> Sheet:
    """The CSV's rows with data, numbered as Excel shows them, all cells as text.

    Raises LoadError when a quote mark swallows the following records into one cell: those
    schools would be silently lost.
    """
    delimiter, text = _split_sep_line(text)
    delimiter = delimiter or _pick_delimiter(text, names)
    sheet = Sheet("")
    cap, columns = budget.limits.cell_chars, budget.limits.columns
    width = 0  # the most fields a record has had so far (the header's, usually)
    for number, record in enumerate(_csv_records(text, delimiter), start=1):
        if len(record) > columns:  # fields past the limit: refused if any holds data
            if any(field.strip() for field in record[columns:]):
                budget.check_column(len(record) - 1, number)
            del record[columns:]
        cells: list[str] = []
        cut: set[int] = set()
        for position, field in enumerate(record):
            if _swallows_records(field, delimiter, width):
                from openpyxl.utils import get_column_letter  # only on this error path: heavy

                column = get_column_letter(position + 1)
                raise LoadError(
                    MSG_UNBALANCED_QUOTE, {"file": file, "row": str(number), "column": column}
                )
            if len(field) > cap:
                cells.append(cut_text(field))
                cut.add(position)
            else:
                cells.append(clean_text(field))
        width = max(width, len(record))
        texts = trim(cells)
        if not texts:
            continue
        budget.check_column(len(texts) - 1, number)
        budget.add_cells(sum(1 for t in texts if t), sum(map(len, texts)))
        sheet.rows.append((number, texts))
        budget.check_rows(len(sheet.rows))
        if cut & set(range(len(texts))):
            sheet.cut[number] = cut
    return sheet


def _split_sep_line(text: str) -> tuple[str | None, str]:
    """Excel's optional first line 'sep=;': the delimiter it names and the text after it."""
    first, newline, rest = text.partition("\n")
    match = re.fullmatch(r"sep=(.)\r?", first)
    if match and newline:
        return match.group(1), rest
    return None, text


def _pick_delimiter(text: str, names: HeaderNames) -> str:
    """';', ',' or tab: the one that splits the header row best, then the most frequent."""
    sample = "".join(itertools.islice(io.StringIO(text, newline=""), HEADER_SCAN_ROWS))

    def quality(delimiter: str) -> tuple[int, int]:
        head: list[Row] = []
        for number, record in enumerate(_csv_records(sample, delimiter), start=1):
            head.append((number, tuple(clean_text(field[:2000]) for field in record)))
        header = _find_header(head, names)
        return (header.score if header else 0, sample.count(delimiter))

    return max(CSV_DELIMITERS, key=quality)


# --- Finding the header -------------------------------------------------------------------------

_FOOTNOTE = re.compile(
    r"(?:\s*(?:\*+|\(\s*\*+\s*\)|\(\s*\d{1,2}\s*\)|\[\s*\d{1,2}\s*\]|[¹²³⁰⁴-⁹]+|[†‡]))+$"
)


def _normalise_header(text: str) -> str:
    """A header reduced for matching: NFC, casefolded, single spaces, footnote marks removed.

    'Mã trường *', 'MÃ TRƯỜNG (1)', 'Mã  trường' and the decomposed (NFD) form all give
    'mã trường'; '(%)' and the spelling 'tỉ lệ' are ignored too.
    """
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())
    folded = " ".join(re.sub(r"[_\-]", " ", folded).split())
    folded = _FOOTNOTE.sub("", folded)
    folded = re.sub(r"\s*([/():%])\s*", r"\1", folded)
    folded = folded.replace("(%)", "").replace("%", "")
    folded = re.sub(r"\btỉ\b", "tỷ", folded)
    return folded.strip(" :.")


@dataclass(frozen=True)
class HeaderNames:
    """The headers a table's columns may have (key, Vietnamese and English header, aliases),
    normalised for matching."""

    columns: tuple[Column, ...]
    aliases: Mapping[str, str]

    @classmethod
    def of(cls, columns: Sequence[Column]) -> HeaderNames:
        """The names of `columns` (a rulebook's: the school's own columns, then its fields)."""
        aliases: dict[str, str] = {}
        for column in columns:
            for name in (column.key, column.header_vi, column.header_en, *column.aliases):
                aliases.setdefault(_normalise_header(name), column.key)
        return cls(tuple(columns), MappingProxyType(aliases))

    def column_for(self, text: str) -> str | None:
        """The column key a header cell names, or None.

        A trailing note in brackets is tolerated: 'Số học sinh (tính đến 30/9)' is students.
        """
        if not text:
            return None
        normalised = _normalise_header(text)
        if normalised in self.aliases:
            return self.aliases[normalised]
        without_note = re.sub(r"\([^()]*\)$", "", normalised).strip(" :.")
        return self.aliases.get(without_note) if without_note != normalised else None

    def score(self, cells: Sequence[str]) -> int:
        """How many different known columns a row names."""
        return len({key for key in map(self.column_for, cells) if key})

    def all_known(self, cells: Sequence[str]) -> bool:
        """True when a row holds only known column names (a second header row)."""
        texts = [text for text in cells if text]
        return bool(texts) and all(self.column_for(text) for text in texts)

    def describe(self, key: str) -> str:
        """A column as named in messages: its key and Vietnamese header."""
        header = next(c.header_vi for c in self.columns if c.key == key)
        return f'{key} ("{header}")'

    @property
    def required(self) -> list[Column]:
        """The columns whose header must be in the file."""
        return [c for c in self.columns if c.required]


def _find_header(head: list[Row], names: HeaderNames) -> _Header | None:
    """The header among the first rows: the row naming the most known columns (at least 2).

    A header split over two rows (a merged cell above, or sub-headers below a group heading)
    is merged: known names from the row above or below fill the blank cells of the best row.
    """
    scored = [(names.score(cells), index) for index, (_, cells) in enumerate(head)]
    best = max(scored, key=lambda item: (item[0], -item[1]), default=(0, -1))
    if best[0] < MIN_HEADER_MATCHES:
        return None
    index = best[1]
    number, cells = head[index]
    merged, last_row = list(cells), number
    above = head[index - 1] if index > 0 else None
    below = head[index + 1] if index + 1 < len(head) else None
    if above and above[0] == number - 1:
        merged = _fill_blanks(merged, above[1], names)
    if below and below[0] == number + 1 and names.all_known(below[1]):
        merged, last_row = _fill_blanks(merged, below[1], names), number + 1
    return _Header(number, last_row, tuple(merged), names.score(merged))


def _fill_blanks(cells: list[str], neighbour: Sequence[str], names: HeaderNames) -> list[str]:
    """`cells` with the known column names of `neighbour` put where `cells` names none.

    The cell replaced is blank (a merged cell) or a group heading ('Ứng dụng CNTT') over
    the sub-headers, which is not a column of its own.
    """
    width = max(len(cells), len(neighbour))
    filled = cells + [""] * (width - len(cells))
    for position, text in enumerate(neighbour):
        if not names.column_for(filled[position]) and names.column_for(text):
            filled[position] = text
    return filled


def _names_required(header: _Header, names: HeaderNames) -> bool:
    """True when the header names every required column: the sheet looks like the table."""
    named = {names.column_for(text) for text in header.cells}
    return all(c.key in named for c in names.required)


def _quoted_names(sheets: Iterable[Sheet]) -> str:
    """Sheet names for a message: '"Số liệu", "HK1 cũ"'."""
    return ", ".join(f'"{printable_name(sheet.name)}"' for sheet in sheets)


def _choose_sheet(
    sheets: list[Sheet], file: str, names: HeaderNames, wanted: str | None = None
) -> tuple[Sheet, _Header]:
    """The sheet holding the table: the one `wanted` names; else the only sheet whose header
    names every required column; else the sheet whose header names the most known columns
    (the first such, on a tie: the active sheet comes first).

    Several sheets that all look like the table (this semester's and a copy of the last) are
    refused: picking one silently could score the wrong semester.
    """
    if wanted is not None:
        sheets = _sheets_named(sheets, wanted, file)
    found = [
        (sheet, header) for sheet in sheets if (header := _find_header(_head(sheet.rows), names))
    ]
    tables = [(sheet, header) for sheet, header in found if _names_required(header, names)]
    if len(tables) > 1:
        listed = _quoted_names(sheet for sheet, _ in tables)
        raise LoadError(MSG_SEVERAL_TABLES, {"file": file, "sheets": listed})
    if tables:
        return tables[0]
    if found:
        return max(found, key=lambda item: item[1].score)  # max keeps the first on a tie
    if any(sheet.rows for sheet in sheets):
        required = names.required
        expected = ", ".join(f'"{c.header_vi}"' for c in required[:4]) + ", …"
        raise LoadError(
            MSG_NO_HEADER, {"file": file, "rows": str(HEADER_SCAN_ROWS), "expected": expected}
        )
    raise LoadError(MSG_EMPTY, {"file": file})


def _sheets_named(sheets: list[Sheet], wanted: str, file: str) -> list[Sheet]:
    """The sheet called `wanted` (exactly, else ignoring case and Unicode form), as a list."""
    exact = [sheet for sheet in sheets if sheet.name == wanted]
    if exact:
        return exact[:1]
    folded = _normalise_header(wanted)
    close = [sheet for sheet in sheets if _normalise_header(sheet.name) == folded]
    if close:
        return close[:1]
    params = {"file": file, "sheet": f'"{printable_name(wanted)}"', "sheets": _quoted_names(sheets)}
    raise LoadError(MSG_NO_SUCH_SHEET, params)


def _map_header(
    header: _Header, file: str, names: HeaderNames
) -> tuple[dict[int, str], tuple[str, ...]]:
    """Cell position -> column key, and the headers of the extra (unknown) columns.

    Raises LoadError for a known column given twice or a required column absent.
    """
    positions: dict[str, list[int]] = {}
    extra: list[str] = []
    for position, text in enumerate(header.cells):
        key = names.column_for(text)
        if key:
            positions.setdefault(key, []).append(position)
        elif text:
            extra.append(text)
    row = str(header.row_number)
    for key, places in positions.items():
        if len(places) > 1:
            from openpyxl.utils import get_column_letter  # only on this error path: heavy

            letters = ", ".join(get_column_letter(p + 1) for p in places)
            params = {"file": file, "column": names.describe(key), "row": row, "letters": letters}
            raise LoadError(MSG_DUPLICATE_COLUMN, params)
    missing = [c.key for c in names.required if c.key not in positions]
    if missing:
        columns = ", ".join(names.describe(key) for key in missing)
        raise LoadError(MSG_MISSING_COLUMNS, {"file": file, "row": row, "columns": columns})
    return {places[0]: key for key, places in positions.items()}, tuple(extra)


# --- Rows below the header ----------------------------------------------------------------------

_FOOTER_TEXT = re.compile(
    "|".join(
        (
            r"người lập",
            r"người kiểm tra",
            r"người duyệt",
            r"^\(?\s*ký\b",  # "(Ký, ghi rõ họ tên)", "Ký tên"
            r"ghi rõ họ",
            r"đóng dấu",
            r"trưởng phòng",
            r"hiệu trưởng",
            r"thủ trưởng",
            r"giám đốc",
            r"chủ tịch",
            r"kế toán",
            r"phụ trách",
            r"nơi nhận",
            r"^-?\s*lưu\s*[:.]",  # "Lưu: VT."
            r"như trên",
            r"^(?:kt|tm|tl|tuq)\s*\.",  # "KT. TRƯỞNG PHÒNG"
            r"ngày.{0,20}tháng.{0,20}năm",  # "Giồng Trôm, ngày ... tháng ... năm ..."
            r"^ghi chú",
            r"^xác nhận",
            r"^[.…_\s]+$",  # a dotted line to sign on
        )
    )
)


_SCHOOL_NAME_STARTS = (
    "trường",
    "điểm trường",
    "mầm non",
    "mẫu giáo",
    "tiểu học",
    "trung học",
    "thcs",
    "th ",
    "mn ",
    "mg ",
)


def _is_footer_text(text: str) -> bool:
    """True for the words of a signature block or the notes under a table."""
    return bool(_FOOTER_TEXT.search(unicodedata.normalize("NFC", text.casefold())))


def _looks_like_signer(text: str) -> bool:
    """True for a person's name typed under a signature title ('Nguyễn Văn An').

    School ids never hold spaces and data rows hold digits or addresses, so a name is text
    with a space and without digits, '@', '/' or ':'; and it is not a school's name.
    """
    return (
        len(text) <= 60
        and " " in text
        and not any(ch.isdigit() for ch in text)
        and not any(ch in "@/:\\" for ch in text)
        and not text.casefold().startswith(_SCHOOL_NAME_STARTS)
    )


def _is_footer_row(cells: Sequence[str], signature_columns: set[int]) -> bool:
    """True for a row of the signature block: every non-blank cell is footer text, or a
    signer's name in a column where the signature block already has text.

    The school id cell counts like any other: a real id is neither footer text nor a name.
    """
    return all(
        _is_footer_text(text) or (position in signature_columns and _looks_like_signer(text))
        for position, text in enumerate(cells)
        if text
    )


def _is_column_number_row(cells: Sequence[str]) -> bool:
    """True for the row of column numbers under a header: '(1) (2) (3) ...' or 'A B 1 2 3'."""
    texts = [text for text in cells if text]
    numbers: list[int] = []
    for text in texts:
        match = re.fullmatch(r"[(\[]?\s*([A-Za-z]|\d{1,2})\s*[)\]]?", text)
        if not match:
            return False
        if match.group(1).isdigit():
            numbers.append(int(match.group(1)))
    if len(texts) < 3 or len(numbers) < 2:
        return False
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _is_repeated_header(cells: Sequence[str], names: HeaderNames) -> bool:
    """True for the header row typed (or pasted) again below the header, in any accepted
    spelling (key, Vietnamese or English): it is not a school."""
    return names.score(cells) >= MIN_HEADER_MATCHES and names.all_known(cells)


def _collect_rows(
    rows: Iterable[Row],
    header: _Header,
    columns: Mapping[int, str],
    cut: Mapping[int, set[int]],
    names: HeaderNames,
) -> tuple[list[RawRow], list[int], list[int]]:
    """The rows below the header: school rows, the row numbers of blank/footer rows, and the
    row numbers of repeated header rows.

    Blank rows count only when data follows them (the empty end of a sheet is not a row).
    A row with data in a known column but no school id is kept: validate reports it. A cell
    cut for being too long is marked on its row (`RawRow.cut`).
    """
    raw_rows: list[RawRow] = []
    ignored: list[int] = []
    repeated: list[int] = []
    signature_columns: set[int] = set()
    previous = header.last_row
    for number, cells in rows:
        if number <= header.last_row:
            continue
        ignored.extend(range(previous + 1, number))
        first, previous = previous == header.last_row, number
        known = {key: cells[p] if p < len(cells) else "" for p, key in columns.items()}
        if not any(known.values()) or (first and _is_column_number_row(cells)):
            ignored.append(number)
        elif _is_repeated_header(cells, names):
            repeated.append(number)
        elif _is_footer_row(cells, signature_columns):
            ignored.append(number)
            signature_columns.update(p for p, text in enumerate(cells) if text)
        else:
            too_long = frozenset(columns[p] for p in cut.get(number, ()) if p in columns)
            # Equal texts kept as one object (interned): a province's table repeats its
            # figures, yes/no words and levels over thousands of rows (about a third less
            # memory for 20,000 schools).
            values = {c.key: sys.intern(known.get(c.key, "")) for c in names.columns}
            raw_rows.append(RawRow(number, values, too_long))
    return raw_rows, ignored, repeated
