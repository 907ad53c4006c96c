"""LOAD stage: read the office's table (CSV, XLSX or ODS) into a RawTable, every cell as typed.

The loader does not judge values (that is the validate stage); it only finds the table in the
file. Offices' files are not clean, so it:

- finds the header row by its known column names, below any title block (office name,
  national motto, report title);
- keeps the signature block ("Người lập biểu", "TRƯỞNG PHÒNG", ...) and blank rows out of the
  schools, listing their row numbers in `RawTable.ignored_rows`;
- turns every cell into the text the user typed: Excel percentage cells become "95%", ids keep
  their leading zeros, numbers lose float noise, all text is Unicode NFC.

A file that cannot be used at all raises `LoadError`: an English message id (marked with N_,
translated by the CLI) and its parameters, always naming the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from checker.i18n import N_
from checker.model import COLUMN_BY_KEY, COLUMNS, InputError, RawRow, RawTable

# --- Messages (English msgids; the CLI translates them and fills in the parameters) ----------

MSG_NO_SUCH_FILE = N_("The file {file} does not exist.")
MSG_NOT_A_FILE = N_("{file} is a folder, not a spreadsheet file.")
MSG_UNREADABLE = N_("The file {file} cannot be read: {reason}.")
MSG_TOO_LARGE = N_("The file {file} is too large for a table of schools (more than {limit} MB).")
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
MSG_TOO_MANY_ROWS = N_(
    "The file {file} has more than {limit} rows with data; remove the rows that are not schools."
)

# --- Limits -------------------------------------------------------------------------------

HEADER_SCAN_ROWS = 30  # the header row must be among the first rows of a sheet
MIN_HEADER_MATCHES = 2  # a header row names at least this many known columns
MAX_FILE_BYTES = 50 * 1024 * 1024  # a district's table is ~50 KB; refuse anything absurd
MAX_UNPACKED_BYTES = 300 * 1024 * 1024  # zip bombs: XLSX/ODS are zips
MAX_ROWS = 100_000  # non-blank rows in one sheet
MAX_COLUMNS = 1_024  # cells kept per row (ODS can repeat a cell across 16k columns)
MAX_SPACES = 1_000  # ODS <text:s text:c="..."/> run of spaces

ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected .xlsx
CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ""})
CSV_DELIMITERS = (";", ",", "\t")

Format = Literal["csv", "xlsx", "ods"]
Row = tuple[int, tuple[str, ...]]  # (1-based row number, cell texts), only rows with data
T = TypeVar("T")


class LoadError(InputError):
    """A file-level problem: an English message id (marked with N_) and its parameters.

    `str(err)` is the English sentence; `err.translate(gettext)` the user's language.
    """

    def __init__(self, msgid: str, params: Mapping[str, str]) -> None:
        super().__init__(msgid, dict(params))
        self.msgid: str = msgid
        self.params: dict[str, str] = dict(params)

    def __str__(self) -> str:
        return self.msgid.format(**self.params)

    def translate(self, gettext: Callable[[str], str]) -> str:
        """The sentence in the language of `gettext` (e.g. `Translator.gettext`)."""
        return gettext(self.msgid).format(**self.params)


@dataclass(frozen=True)
class _Sheet:
    """One sheet of a file. `rows(limit)`: its rows with data, up to row `limit` (None: all)."""

    rows: Callable[[int | None], list[Row]]


@dataclass(frozen=True)
class _Header:
    """Where the table's header is and what each of its cells means."""

    row_number: int
    last_row: int  # the last row of the header block (a second header row may be merged in)
    cells: tuple[str, ...]  # header texts by cell position, neighbours' known names merged in
    score: int  # how many known columns it names


# --- Public entry point ---------------------------------------------------------------------


def load_table(path: Path) -> RawTable:
    """Read the intake table in `path` (CSV, XLSX or ODS) into a RawTable, cells as typed.

    Raises LoadError (an InputError) when the file cannot be used: no such file, empty, not a
    spreadsheet, undecodable CSV, no header row, required columns absent, a column twice, or
    no school rows.
    """
    file = path.name
    data = _read_bytes(path)
    if not data.strip():
        raise LoadError(MSG_EMPTY, {"file": file})
    kind = _sniff_format(data, path)
    with _open_sheets(data, kind, file) as sheets:
        sheet, header = _choose_sheet(sheets, file)
        rows = sheet.rows(None)
    columns, extra = _map_header(header, file)
    raw_rows, ignored = _collect_rows(rows, header, columns)
    if not raw_rows:
        raise LoadError(MSG_NO_ROWS, {"file": file, "row": str(header.row_number)})
    return RawTable(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        header_row=header.row_number,
        rows=tuple(raw_rows),
        extra_columns=extra,
        ignored_rows=tuple(ignored),
    )


# --- Reading the bytes and telling the format -------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, or a LoadError for a missing, unreadable or absurdly large file."""
    file = path.name
    try:
        if path.is_dir():
            raise LoadError(MSG_NOT_A_FILE, {"file": file})
        if path.exists() and not path.is_file():  # a device or pipe: never read it
            raise LoadError(MSG_NOT_SPREADSHEET, {"file": file})
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as err:
        raise LoadError(MSG_NO_SUCH_FILE, {"file": file}) from err
    except OSError as err:
        raise LoadError(MSG_UNREADABLE, {"file": file, "reason": err.strerror or str(err)}) from err
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(MSG_TOO_LARGE, {"file": file, "limit": str(MAX_FILE_BYTES >> 20)})
    return data


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
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file}) from err
    if unpacked > MAX_UNPACKED_BYTES:
        raise LoadError(MSG_TOO_LARGE, {"file": file, "limit": str(MAX_UNPACKED_BYTES >> 20)})
    if mimetype.strip() == ODS_MIMETYPE:
        return "ods"
    if "xl/workbook.xml" in names:
        return "xlsx"
    raise LoadError(MSG_NOT_SPREADSHEET, {"file": file})


@contextmanager
def _open_sheets(data: bytes, kind: Format, file: str) -> Iterator[list[_Sheet]]:
    """The file's sheets, in the order to look for the table (active sheet first)."""
    if kind == "csv":
        yield [_csv_sheet(data, file)]
    elif kind == "ods":
        yield _ods_sheets(data, file)
    else:
        with _xlsx_workbook(data, file) as workbook:
            yield _xlsx_sheets(workbook, file)


@contextmanager
def _parse_errors(file: str) -> Iterator[None]:
    """Turn any failure of a third-party parser on untrusted bytes into 'not a spreadsheet'."""
    try:
        yield
    except LoadError:
        raise
    except Exception as err:  # a damaged file can make the parsers fail in any way
        raise LoadError(MSG_NOT_SPREADSHEET, {"file": file}) from err


def _guarded(items: Iterator[T], file: str) -> Iterator[T]:
    """The items of a parser's iterator, its failures turned into 'not a spreadsheet'."""
    while True:
        with _parse_errors(file):
            try:
                item = next(items)
            except StopIteration:
                return
        yield item


# --- Cells as text ----------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    """Text as typed: Unicode NFC, without surrounding spaces or invisible marks."""
    return unicodedata.normalize("NFC", text).strip().strip("\u200b\ufeff").strip()


def _trim(cells: Sequence[str]) -> tuple[str, ...]:
    """The cells without the blank ones at the end of the row."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return tuple(cells[:end])


def _decimal_text(number: Decimal) -> str:
    """A number in plain notation without trailing zeros: 92.50 -> '92.5', 1E+2 -> '100'."""
    if not number.is_finite():
        return str(number)
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


def _to_decimal(value: float | int | str) -> Decimal:
    """A spreadsheet number as a Decimal, rounded to Excel's 15 significant digits."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(format(float(value), ".15g"))


def _percent_text(value: float | int | str) -> str:
    """A fraction stored behind a percent format, as the user typed it: 0.925 -> '92.5%'."""
    return _decimal_text(_to_decimal(value) * 100) + "%"


def _format_sections(number_format: str) -> str:
    """An Excel number format without its quoted text, escapes and [colour/locale] tags."""
    return re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format)


def _is_percent_format(number_format: str) -> bool:
    """True for formats that show the value times 100 with '%' ('0%', '0.0%')."""
    return "%" in _format_sections(number_format)


def _zero_pad_width(number_format: str) -> int:
    """The width of a zero-padded whole-number format ('00000000' -> 8), else 0."""
    first = _format_sections(number_format).split(";")[0].strip()
    return len(first) if re.fullmatch(r"0{2,}", first) else 0


def _number_text(value: float | int, number_format: str) -> str:
    """An Excel number as the user typed it: percent cells with '%', ids with their zeros."""
    if isinstance(value, float) and math.isnan(value):  # nothing typed that we can show
        return ""
    if _is_percent_format(number_format):
        return _percent_text(value)
    number = _to_decimal(value)
    if number == number.to_integral_value() and number >= 0:
        width = _zero_pad_width(number_format)
        return _decimal_text(number).zfill(width)
    return _decimal_text(number)


def _datetime_text(value: dt.datetime | dt.date | dt.time | dt.timedelta) -> str:
    """A date or time cell as ISO text; a date without time of day as YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _value_text(value: Any, number_format: str) -> str:
    """Any spreadsheet cell value as text ('' for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value, number_format)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return _datetime_text(value)
    return _clean_text(str(value))


# --- XLSX -------------------------------------------------------------------------------------


@contextmanager
def _xlsx_workbook(data: bytes, file: str) -> Iterator[Any]:
    """The workbook opened read-only, with cached formula results; closed afterwards."""
    from openpyxl import load_workbook  # heavy import, only needed for XLSX

    with _parse_errors(file):
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        yield workbook
    finally:
        workbook.close()


def _xlsx_sheets(workbook: Any, file: str) -> list[_Sheet]:
    """The workbook's worksheets: the active one, the other visible ones, then hidden ones."""
    worksheets = list(workbook.worksheets)
    active = workbook.active
    ordered = sorted(
        worksheets,
        key=lambda ws: (ws is not active, getattr(ws, "sheet_state", "visible") != "visible"),
    )
    return [_xlsx_sheet(ws, file) for ws in ordered]


def _xlsx_sheet(worksheet: Any, file: str) -> _Sheet:
    """One worksheet, read afresh (streaming) each time its rows are asked for."""
    # The <dimension> written by some programs is wrong; without it openpyxl reads every row.
    worksheet.reset_dimensions()

    def rows(limit: int | None) -> list[Row]:
        found: list[Row] = []
        cell_rows = worksheet.iter_rows(min_row=1, max_row=limit)
        for number, cells in enumerate(_guarded(iter(cell_rows), file), start=1):
            texts = _trim([_xlsx_cell_text(cell) for cell in cells[:MAX_COLUMNS]])
            if texts:
                found.append((number, texts))
                _check_row_count(len(found), file)
        return found

    return _Sheet(rows)


def _xlsx_cell_text(cell: Any) -> str:
    """An XLSX cell as typed; the number format is looked up for numbers only (it is slow)."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number_text(value, cell.number_format or "General")
    return _value_text(value, "General")


def _check_row_count(count: int, file: str) -> None:
    """Refuse sheets with an absurd number of rows (a hostile or broken file)."""
    if count > MAX_ROWS:
        raise LoadError(MSG_TOO_MANY_ROWS, {"file": file, "limit": str(MAX_ROWS)})


# --- ODS --------------------------------------------------------------------------------------

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_ROW_CONTAINERS = frozenset({"table-header-rows", "table-row-group", "table-rows"})
_CELL_NAMES = frozenset({"table-cell", "covered-table-cell"})


def _ods_sheets(data: bytes, file: str) -> list[_Sheet]:
    """The spreadsheet's tables, in document order, each read once into memory."""
    from odf.opendocument import load as load_odf  # only needed for ODS
    from odf.table import Table

    with _parse_errors(file):
        document = load_odf(io.BytesIO(data))
        tables = document.spreadsheet.getElementsByType(Table)
        all_rows = [_ods_table_rows(table, file) for table in tables]
    return [_Sheet(_rows_upto(rows)) for rows in all_rows]


def _rows_upto(rows: list[Row]) -> Callable[[int | None], list[Row]]:
    """A `_Sheet.rows` function over rows already in memory."""

    def upto(limit: int | None) -> list[Row]:
        return rows if limit is None else [row for row in rows if row[0] <= limit]

    return upto


def _ods_attr(element: Any, namespace: str, name: str) -> str | None:
    """An attribute of an odfpy element, or None."""
    value = element.attributes.get((namespace, name))
    return None if value is None else str(value)


def _ods_repeat(element: Any, name: str) -> int:
    """A table:number-*-repeated count (1 when absent)."""
    return max(1, int(_ods_attr(element, _TABLE_NS, name) or "1"))


def _ods_row_elements(node: Any) -> Iterator[Any]:
    """The table:table-row elements of a table, through row groups, in document order."""
    for child in node.childNodes:
        if getattr(child, "qname", None) is None or child.qname[0] != _TABLE_NS:
            continue
        if child.qname[1] == "table-row":
            yield child
        elif child.qname[1] in _ROW_CONTAINERS:
            yield from _ods_row_elements(child)


def _ods_table_rows(table: Any, file: str) -> list[Row]:
    """A table's rows with data; repeated blank rows are counted, never expanded."""
    found: list[Row] = []
    number = 0
    for element in _ods_row_elements(table):
        repeat = _ods_repeat(element, "number-rows-repeated")
        cells = _ods_row_cells(element)
        if not cells:
            number += repeat
            continue
        for _ in range(min(repeat, MAX_ROWS + 1)):
            number += 1
            found.append((number, cells))
            _check_row_count(len(found), file)
    return found


def _ods_row_cells(row: Any) -> tuple[str, ...]:
    """A row's cell texts; runs of blank cells are expanded only when data follows them."""
    texts: list[str] = []
    pending_blanks = 0
    for cell in row.childNodes:
        if getattr(cell, "qname", ("", ""))[1] not in _CELL_NAMES:
            continue
        repeat = _ods_repeat(cell, "number-columns-repeated")
        text = _ods_cell_text(cell)
        if not text:
            pending_blanks += repeat
            continue
        if len(texts) + pending_blanks >= MAX_COLUMNS:
            break
        texts.extend([""] * pending_blanks)
        pending_blanks = 0
        texts.extend([text] * min(repeat, MAX_COLUMNS - len(texts)))
    return tuple(texts)


def _ods_cell_text(cell: Any) -> str:
    """An ODS cell as typed, from its office:value-type (percentage cells get their '%')."""
    value_type = _ods_attr(cell, _OFFICE_NS, "value-type")
    shown = _ods_shown_text(cell)
    if value_type in ("float", "currency", "percentage"):
        value = _ods_attr(cell, _OFFICE_NS, "value")
        if value is None:
            return shown
        if value_type == "percentage":
            return _percent_text(value)
        number = _to_decimal(value)
        # Leading zeros of a zero-padded number format ('08304007') survive only as shown.
        if shown.isascii() and shown.isdigit() and number == int(shown):
            return shown
        return _decimal_text(number)
    if value_type == "boolean":
        value = (_ods_attr(cell, _OFFICE_NS, "boolean-value") or "").lower()
        return "true" if value == "true" else "false"
    if value_type == "date":
        value = _ods_attr(cell, _OFFICE_NS, "date-value") or shown
        return value.removesuffix("T00:00:00")
    return shown


def _ods_shown_text(cell: Any) -> str:
    """The text a cell shows: its paragraphs, one per line (not its comments)."""
    paragraphs = [
        _ods_inline_text(child)
        for child in cell.childNodes
        if getattr(child, "qname", None) == (_TEXT_NS, "p")
    ]
    return _clean_text("\n".join(paragraphs))


def _ods_inline_text(node: Any) -> str:
    """The text inside a paragraph: spans, links, spaces (capped), tabs and line breaks."""
    parts: list[str] = []
    for child in node.childNodes:
        qname = getattr(child, "qname", None)
        if qname is None:
            parts.append(str(getattr(child, "data", "")))
        elif qname == (_TEXT_NS, "s"):
            count = int(_ods_attr(child, _TEXT_NS, "c") or "1")
            parts.append(" " * max(0, min(count, MAX_SPACES)))
        elif qname == (_TEXT_NS, "tab"):
            parts.append("\t")
        elif qname == (_TEXT_NS, "line-break"):
            parts.append("\n")
        elif qname != (_OFFICE_NS, "annotation"):
            parts.append(_ods_inline_text(child))
    return "".join(parts)


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


def _csv_sheet(data: bytes, file: str) -> _Sheet:
    """The CSV as one sheet. A cp1258 reading is kept only if it finds the header row."""
    text, legacy = _decode_csv(data, file)
    rows = _csv_rows(text, file)
    if legacy and _find_header(_head(rows)) is None:
        raise LoadError(MSG_ENCODING, {"file": file})
    return _Sheet(_rows_upto(rows))


def _head(rows: list[Row]) -> list[Row]:
    """The rows among the first HEADER_SCAN_ROWS, where the header row must be."""
    return [row for row in rows if row[0] <= HEADER_SCAN_ROWS]


def _csv_records(text: str, delimiter: str, file: str) -> Iterator[list[str]]:
    """The CSV's records (a quoted field may span lines; Excel shows a record as one row)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _guarded(reader, file)


def _csv_rows(text: str, file: str) -> list[Row]:
    """The CSV's rows with data, numbered as Excel shows them, all cells as text."""
    delimiter, text = _split_sep_line(text)
    delimiter = delimiter or _pick_delimiter(text, file)
    found: list[Row] = []
    for number, record in enumerate(_csv_records(text, delimiter, file), start=1):
        cells = _trim([_clean_text(field) for field in record[:MAX_COLUMNS]])
        if cells:
            found.append((number, cells))
            _check_row_count(len(found), file)
    return found


def _split_sep_line(text: str) -> tuple[str | None, str]:
    """Excel's optional first line 'sep=;': the delimiter it names and the text after it."""
    first, newline, rest = text.partition("\n")
    match = re.fullmatch(r"sep=(.)\r?", first)
    if match and newline:
        return match.group(1), rest
    return None, text


def _pick_delimiter(text: str, file: str) -> str:
    """';', ',' or tab: the one that splits the header row best, then the most frequent."""
    sample = "\n".join(text.splitlines()[:HEADER_SCAN_ROWS])

    def quality(delimiter: str) -> tuple[int, int]:
        head: list[Row] = []
        for number, record in enumerate(_csv_records(sample, delimiter, file), start=1):
            head.append((number, tuple(_clean_text(field) for field in record)))
        header = _find_header(head)
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


def _header_aliases() -> Mapping[str, str]:
    """Normalised header -> column key, for the key, Vietnamese and English header of each."""
    aliases = {
        _normalise_header(name): column.key
        for column in COLUMNS
        for name in (column.key, column.header_vi, column.header_en)
    }
    return MappingProxyType(aliases)


_ALIASES = _header_aliases()


def _column_for(text: str) -> str | None:
    """The column key a header cell names, or None.

    A trailing note in brackets is tolerated: 'Số học sinh (tính đến 30/9)' is students.
    """
    if not text:
        return None
    normalised = _normalise_header(text)
    if normalised in _ALIASES:
        return _ALIASES[normalised]
    without_note = re.sub(r"\([^()]*\)$", "", normalised).strip(" :.")
    return _ALIASES.get(without_note) if without_note != normalised else None


def _header_score(cells: Sequence[str]) -> int:
    """How many different known columns a row names."""
    return len({key for key in map(_column_for, cells) if key})


def _find_header(head: list[Row]) -> _Header | None:
    """The header among the first rows: the row naming the most known columns (at least 2).

    A header split over two rows (a merged cell above, or sub-headers below a group heading)
    is merged: known names from the row above or below fill the blank cells of the best row.
    """
    scored = [(_header_score(cells), index) for index, (_, cells) in enumerate(head)]
    best = max(scored, key=lambda item: (item[0], -item[1]), default=(0, -1))
    if best[0] < MIN_HEADER_MATCHES:
        return None
    index = best[1]
    number, cells = head[index]
    merged, last_row = list(cells), number
    above = head[index - 1] if index > 0 else None
    below = head[index + 1] if index + 1 < len(head) else None
    if above and above[0] == number - 1:
        merged = _fill_blanks(merged, above[1])
    if below and below[0] == number + 1 and _all_known(below[1]):
        merged, last_row = _fill_blanks(merged, below[1]), number + 1
    return _Header(number, last_row, tuple(merged), _header_score(merged))


def _fill_blanks(cells: list[str], neighbour: Sequence[str]) -> list[str]:
    """`cells` with the known column names of `neighbour` put where `cells` names none.

    The cell replaced is blank (a merged cell) or a group heading ('Ứng dụng CNTT') over
    the sub-headers, which is not a column of its own.
    """
    width = max(len(cells), len(neighbour))
    filled = cells + [""] * (width - len(cells))
    for position, text in enumerate(neighbour):
        if not _column_for(filled[position]) and _column_for(text):
            filled[position] = text
    return filled


def _all_known(cells: Sequence[str]) -> bool:
    """True when a row holds only known column names (a second header row)."""
    texts = [text for text in cells if text]
    return bool(texts) and all(_column_for(text) for text in texts)


def _choose_sheet(sheets: list[_Sheet], file: str) -> tuple[_Sheet, _Header]:
    """The sheet whose header names the most known columns (the first such, on a tie)."""
    best: tuple[_Sheet, _Header] | None = None
    any_data = False
    for sheet in sheets:
        head = sheet.rows(HEADER_SCAN_ROWS)
        any_data = any_data or bool(head)
        header = _find_header(head)
        if header and (best is None or header.score > best[1].score):
            best = (sheet, header)
    if best is not None:
        return best
    if any_data or any(sheet.rows(None) for sheet in sheets):
        required = [c for c in COLUMNS if c.required]
        expected = ", ".join(f'"{c.header_vi}"' for c in required[:4]) + ", …"
        raise LoadError(
            MSG_NO_HEADER, {"file": file, "rows": str(HEADER_SCAN_ROWS), "expected": expected}
        )
    raise LoadError(MSG_EMPTY, {"file": file})


def _describe(key: str) -> str:
    """A column as named in messages: its key and Vietnamese header."""
    return f'{key} ("{COLUMN_BY_KEY[key].header_vi}")'


def _map_header(header: _Header, file: str) -> tuple[dict[int, str], tuple[str, ...]]:
    """Cell position -> column key, and the headers of the extra (unknown) columns.

    Raises LoadError for a known column given twice or a required column absent.
    """
    positions: dict[str, list[int]] = {}
    extra: list[str] = []
    for position, text in enumerate(header.cells):
        key = _column_for(text)
        if key:
            positions.setdefault(key, []).append(position)
        elif text:
            extra.append(text)
    row = str(header.row_number)
    for key, places in positions.items():
        if len(places) > 1:
            from openpyxl.utils import get_column_letter  # only on this error path: heavy

            letters = ", ".join(get_column_letter(p + 1) for p in places)
            params = {"file": file, "column": _describe(key), "row": row, "letters": letters}
            raise LoadError(MSG_DUPLICATE_COLUMN, params)
    missing = [c.key for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        columns = ", ".join(_describe(key) for key in missing)
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


def _collect_rows(
    rows: Iterable[Row], header: _Header, columns: Mapping[int, str]
) -> tuple[list[RawRow], list[int]]:
    """The rows below the header: school rows, and the row numbers of blank/footer rows.

    Blank rows count only when data follows them (the empty end of a sheet is not a row).
    A row with data in a known column but no school id is kept: validate reports it.
    """
    raw_rows: list[RawRow] = []
    ignored: list[int] = []
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
        elif _is_footer_row(cells, signature_columns):
            ignored.append(number)
            signature_columns.update(p for p, text in enumerate(cells) if text)
        else:
            raw_rows.append(RawRow(number, {c.key: known.get(c.key, "") for c in COLUMNS}))
    return raw_rows, ignored
