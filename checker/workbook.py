"""XLSX and ODS sheets read by streaming their XML, within the file's limits.

Both formats are zips of XML parts. Each part is unpacked and parsed in 64 KB pieces with expat,
keeping only the cells with data: an empty row declared at row 48,000,000 is never expanded,
a value of 280 MB is never built (its first characters are kept and it is marked cut), and the
count of rows, cells, characters and shared strings is checked as they come in (limits.Budget).
A part that unpacks beyond the limit is refused before or while it is unpacked, whatever size
the zip declares. A document type declaration (entities, the 'billion laughs') is refused: no
spreadsheet program writes one. Damaged XML or a truncated zip raises `Damaged`.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from checker.celltext import (
    TextBuffer,
    clean_text,
    cut_text,
    datetime_text,
    decimal_text,
    number_text,
    percent_text,
    to_decimal,
)
from checker.limits import Budget

CHUNK = 64 * 1024
Row = tuple[int, tuple[str, ...]]  # (1-based row number, cell texts), only rows with data


class Damaged(Exception):
    """The zip or its XML is malformed, truncated or not what a spreadsheet holds."""


@dataclass
class Sheet:
    """One sheet: its rows with data, and the cells whose value was cut (too long)."""

    name: str
    hidden: bool = False
    rows: list[Row] = field(default_factory=list)
    cut: dict[int, set[int]] = field(default_factory=dict)  # row number -> cell positions


# --- Streaming XML out of a zip ---------------------------------------------------------------

Start = Callable[[str, dict[str, str]], None]
End = Callable[[str], None]
Chars = Callable[[str], None]


def _local(name: str) -> str:
    """An element or attribute name without its namespace ('uri local' -> 'local')."""
    return name.rpartition(" ")[2]


def _attr(attrs: dict[str, str], local: str) -> str | None:
    """The attribute of that local name, whatever its namespace."""
    for key, value in attrs.items():
        if _local(key) == local:
            return value
    return None


def _refuse_dtd(*_args: Any) -> None:
    raise Damaged("document type declaration")


def stream_part(
    archive: zipfile.ZipFile, name: str, budget: Budget, start: Start, end: End, chars: Chars
) -> None:
    """Parse one part of the zip with expat, unpacking at most the member limit."""
    try:
        info = archive.getinfo(name)
    except KeyError as err:
        raise Damaged(f"no part {name}") from err
    budget.check_member(name, info.file_size)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.buffer_text = True
    unpacked = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                unpacked += len(chunk)
                budget.check_member(name, unpacked)
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as err:
        raise Damaged(str(err)) from err


def read_part(archive: zipfile.ZipFile, name: str, budget: Budget, limit: int) -> bytes:
    """A small part's bytes (the ODS mimetype), at most `limit` of them."""
    try:
        with archive.open(name) as stream:
            return stream.read(limit)
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, ValueError) as err:
        raise Damaged(str(err)) from err


# --- Cells as they stream in ------------------------------------------------------------------


class _RowBuilder:
    """The cells of one row with data, placed by position, and the cut ones."""

    def __init__(self, budget: Budget, number: int) -> None:
        self.budget = budget
        self.number = number
        self.cells: dict[int, str] = {}
        self.cut: set[int] = set()

    def put(self, position: int, text: str, cut: bool, repeat: int = 1) -> None:
        """Place a cell's text at `position` (and the next `repeat - 1` positions)."""
        if not text:
            return
        self.budget.check_column(position + repeat - 1, self.number)
        self.budget.add_cells(repeat, len(text) * repeat)
        for offset in range(repeat):
            self.cells[position + offset] = text
            if cut:
                self.cut.add(position + offset)

    def texts(self) -> tuple[str, ...]:
        """The row's cell texts, blanks between them filled in."""
        if not self.cells:
            return ()
        width = max(self.cells) + 1
        return tuple(self.cells.get(position, "") for position in range(width))


def _add_row(sheet: Sheet, row: _RowBuilder, budget: Budget, repeat: int = 1) -> None:
    """Keep a row with data (`repeat` times: an ODS row repeated with its data)."""
    texts = row.texts()
    if not texts:
        return
    budget.check_rows(len(sheet.rows) + repeat)
    if repeat > 1:
        budget.add_cells(len(row.cells) * (repeat - 1), sum(map(len, texts)) * (repeat - 1))
    for offset in range(repeat):
        sheet.rows.append((row.number + offset, texts))
        if row.cut:
            sheet.cut[row.number + offset] = set(row.cut)


def _final_text(buffer: TextBuffer) -> tuple[str, bool]:
    """A cell's text and whether it was cut."""
    if buffer.over:
        return cut_text(buffer.text()), True
    return clean_text(buffer.text()), False


# --- XLSX -------------------------------------------------------------------------------------

_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]+)")
_BUILTIN_DATE_IDS = frozenset({*range(14, 23), *range(45, 48)})


@dataclass
class _Styles:
    """Cell style index -> number format code."""

    formats: list[str] = field(default_factory=list)

    def format_of(self, index: int) -> str:
        return self.formats[index] if 0 <= index < len(self.formats) else "General"


def xlsx_sheets(archive: zipfile.ZipFile, budget: Budget) -> list[Sheet]:
    """The workbook's worksheets: the active one first, then the visible, then the hidden."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format  # format tables only
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    entries, active, date1904 = _xlsx_workbook(archive, budget)
    targets = _xlsx_rels(archive, budget)
    styles = _xlsx_styles(archive, budget, targets, BUILTIN_FORMATS)
    shared, shared_cut = _xlsx_shared_strings(archive, budget, targets)
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900

    def number(value: str, style: int) -> str:
        fmt = styles.format_of(style)
        parsed: int | float = int(value) if re.fullmatch(r"-?[0-9]+", value) else float(value)
        if is_date_format(fmt):
            return _excel_date(float(parsed), epoch)
        return number_text(parsed, fmt)

    found: list[tuple[bool, Sheet]] = []
    for position, (name, state, rel_id) in enumerate(entries):
        part = targets.get(rel_id)
        if part is None:
            raise Damaged(f"sheet {name} has no part")
        sheet = Sheet(name, hidden=state not in (None, "visible"))
        _xlsx_sheet(archive, part, sheet, budget, shared, shared_cut, number)
        found.append((position == active, sheet))
    ordered = sorted(found, key=lambda item: (not item[0], item[1].hidden))
    return [sheet for _, sheet in ordered]


def _excel_date(serial: float, epoch: dt.datetime) -> str:
    """A date cell's serial number as ISO text."""
    from openpyxl.utils.datetime import from_excel

    try:
        value = from_excel(serial, epoch=epoch)
    except (OverflowError, ValueError):
        return decimal_text(to_decimal(serial))
    return "" if value is None else datetime_text(value)


def _xlsx_workbook(
    archive: zipfile.ZipFile, budget: Budget
) -> tuple[list[tuple[str, str | None, str]], int, bool]:
    """(name, state, relationship id) of each sheet, the active tab, and the 1904 date system."""
    entries: list[tuple[str, str | None, str]] = []
    found = {"active": 0, "date1904": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "sheet" and len(entries) < 10_000:
            rel_id = _attr(attrs, "id") or ""
            entries.append((_attr(attrs, "name") or "", _attr(attrs, "state"), rel_id))
        elif local == "workbookView" and (tab := _attr(attrs, "activeTab")) and tab.isdigit():
            found["active"] = int(tab)
        elif local == "workbookPr":
            found["date1904"] = (_attr(attrs, "date1904") or "").lower() in ("1", "true")

    stream_part(archive, "xl/workbook.xml", budget, start, lambda _n: None, lambda _t: None)
    return entries, int(found["active"]), bool(found["date1904"])


def _xlsx_rels(archive: zipfile.ZipFile, budget: Budget) -> dict[str, str]:
    """Relationship id -> part path; also 'sharedStrings' and 'styles' -> their parts."""
    targets: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) != "Relationship" or len(targets) > 20_000:
            return
        target = _attr(attrs, "Target") or ""
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        path = posixpath.normpath(path)
        targets[_attr(attrs, "Id") or ""] = path
        kind = (_attr(attrs, "Type") or "").rpartition("/")[2]
        if kind in ("sharedStrings", "styles"):
            targets[kind] = path

    rels = "xl/_rels/workbook.xml.rels"
    if rels in archive.namelist():
        stream_part(archive, rels, budget, start, lambda _n: None, lambda _t: None)
    return targets


def _xlsx_styles(
    archive: zipfile.ZipFile, budget: Budget, targets: dict[str, str], builtin: dict[int, str]
) -> _Styles:
    """The number format of each cell style (cellXfs), custom formats resolved."""
    custom: dict[int, str] = {}
    ids: list[int] = []
    depth = {"cellXfs": False}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "numFmt":
            number = _attr(attrs, "numFmtId") or ""
            if number.isdigit():
                custom[int(number)] = (_attr(attrs, "formatCode") or "General")[:255]
        elif local == "cellXfs":
            depth["cellXfs"] = True
        elif local == "xf" and depth["cellXfs"]:
            number = _attr(attrs, "numFmtId") or "0"
            ids.append(int(number) if number.isdigit() else 0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            depth["cellXfs"] = False

    part = targets.get("styles", "xl/styles.xml")
    if part in archive.namelist():
        stream_part(archive, part, budget, start, end, lambda _t: None)
    formats = [custom.get(i) or builtin.get(i) or "General" for i in ids]
    return _Styles(formats)


def _xlsx_shared_strings(
    archive: zipfile.ZipFile, budget: Budget, targets: dict[str, str]
) -> tuple[list[str], set[int]]:
    """The shared strings (cut ones marked), counted against the limits as they come."""
    strings: list[str] = []
    cut: set[int] = set()
    state: dict[str, Any] = {"buffer": None, "in_t": False, "phonetic": 0}
    cap = budget.limits.cell_chars

    def start(name: str, _attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            state["buffer"] = TextBuffer(cap)
        elif local == "t":
            state["in_t"] = True
        elif local == "rPh":  # phonetic guide (East Asian): not part of the text
            state["phonetic"] += 1

    def end(name: str) -> None:
        local = _local(name)
        if local == "t":
            state["in_t"] = False
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "si" and state["buffer"] is not None:
            text, was_cut = _final_text(state["buffer"])
            if was_cut:
                cut.add(len(strings))
            strings.append(text)
            budget.check_shared_strings(len(strings))
            budget.add_cells(0, len(text))
            state["buffer"] = None

    def chars(data: str) -> None:
        if state["in_t"] and not state["phonetic"] and state["buffer"] is not None:
            state["buffer"].add(data)

    part = targets.get("sharedStrings", "xl/sharedStrings.xml")
    if part in archive.namelist():
        stream_part(archive, part, budget, start, end, chars)
    return strings, cut


def _xlsx_sheet(
    archive: zipfile.ZipFile,
    part: str,
    sheet: Sheet,
    budget: Budget,
    shared: list[str],
    shared_cut: set[int],
    number: Callable[[str, int], str],
) -> None:
    """Stream one worksheet's <sheetData> into `sheet`."""
    from openpyxl.utils.cell import column_index_from_string

    cap = budget.limits.cell_chars
    state: dict[str, Any] = {
        "row": None,
        "last_row": 0,
        "cell": None,
        "text": None,
        "next": 0,
        "phonetic": 0,  # depth inside <rPh>: a phonetic guide, not part of the text
    }

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "row":
            given = _attr(attrs, "r") or ""
            number_ = int(given) if given.isdigit() else state["last_row"] + 1
            state["row"] = _RowBuilder(budget, number_)
            state["last_row"] = number_
            state["next"] = 0
        elif local == "c" and state["row"] is not None:
            match = _CELL_REF.fullmatch(_attr(attrs, "r") or "")
            letters = match.group(1).upper() if match else ""
            position = column_index_from_string(letters) - 1 if letters else state["next"]
            state["next"] = position + 1
            state["cell"] = (position, _attr(attrs, "t") or "n", _attr(attrs, "s") or "0")
            state["value"] = TextBuffer(cap)
            state["inline"] = TextBuffer(cap)
        elif local == "v" and state["cell"] is not None:
            state["text"] = state["value"]
        elif local == "t" and state["cell"] is not None and not state["phonetic"]:
            state["text"] = state["inline"]
        elif local == "rPh":
            state["phonetic"] += 1

    def end(name: str) -> None:
        local = _local(name)
        if local in ("v", "t"):
            state["text"] = None
        elif local == "rPh":
            state["phonetic"] = max(0, state["phonetic"] - 1)
        elif local == "c" and state["cell"] is not None:
            text, cut = _xlsx_cell(state["cell"], state["value"], state["inline"])
            state["row"].put(state["cell"][0], text, cut)
            state["cell"] = None
        elif local == "row" and state["row"] is not None:
            _add_row(sheet, state["row"], budget)
            state["row"] = None

    def chars(data: str) -> None:
        if state["text"] is not None:
            state["text"].add(data)

    def _xlsx_cell(
        cell: tuple[int, str, str], value: TextBuffer, inline: TextBuffer
    ) -> tuple[str, bool]:
        _, kind, style = cell
        if kind == "inlineStr":
            return _final_text(inline)
        if value.over:
            return cut_text(value.text()), True
        raw = value.text().strip()
        if kind == "s":
            if not raw.isdigit() or int(raw) >= len(shared):
                raise Damaged("shared string index")
            return shared[int(raw)], int(raw) in shared_cut
        if kind in ("str", "e"):
            return clean_text(raw), False
        if kind == "b":
            return ("true" if raw in ("1", "true") else "false") if raw else "", False
        if kind == "d":
            return raw.removesuffix("T00:00:00"), False
        if not raw:
            return "", False
        try:
            return number(raw, int(style) if style.isdigit() else 0), False
        except (ValueError, ArithmeticError):
            return clean_text(raw), False

    stream_part(archive, part, budget, start, end, chars)


# --- ODS --------------------------------------------------------------------------------------

_ODS_CELLS = frozenset({"table-cell", "covered-table-cell"})


@dataclass
class _OdsCell:
    """A cell being read: its attributes and shown text."""

    attrs: dict[str, str]
    buffer: TextBuffer
    paragraphs: int = 0


def ods_sheets(archive: zipfile.ZipFile, budget: Budget) -> list[Sheet]:
    """The spreadsheet's tables from content.xml, in document order."""
    sheets: list[Sheet] = []
    cap = budget.limits.cell_chars
    state: dict[str, Any] = {
        "sheet": None,
        "row": None,
        "row_repeat": 1,
        "number": 0,
        "position": 0,
        "cell": None,
        "in_p": 0,
        "skip": 0,  # depth inside an annotation or a table nested in a cell
    }

    def start(name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if state["skip"]:
            state["skip"] += 1
            return
        if local == "table" and state["sheet"] is None:
            state["sheet"] = Sheet(_attr(attrs, "name") or "")
            state["number"] = 0
        elif state["cell"] is not None:
            _ods_inline_start(local, attrs)
        elif local == "table-row" and state["sheet"] is not None:
            state["row_repeat"] = _repeat(attrs, "number-rows-repeated")
            state["row"] = _RowBuilder(budget, state["number"] + 1)
            state["position"] = 0
        elif local in _ODS_CELLS and state["row"] is not None:
            state["cell"] = _OdsCell(attrs, TextBuffer(cap))

    def _ods_inline_start(local: str, attrs: dict[str, str]) -> None:
        cell: _OdsCell = state["cell"]
        if local in ("annotation", "table"):
            state["skip"] = 1
        elif local == "p":
            if cell.paragraphs:
                cell.buffer.add("\n")
            cell.paragraphs += 1
            state["in_p"] += 1
        elif local == "s" and state["in_p"]:
            count = _attr(attrs, "c") or "1"
            cell.buffer.add_repeated(" ", int(count) if count.isdigit() else 1)
        elif local == "tab" and state["in_p"]:
            cell.buffer.add("\t")
        elif local == "line-break" and state["in_p"]:
            cell.buffer.add("\n")

    def end(name: str) -> None:
        local = _local(name)
        if state["skip"]:
            state["skip"] -= 1
            return
        if local == "p" and state["cell"] is not None:
            state["in_p"] = max(0, state["in_p"] - 1)
        elif local in _ODS_CELLS and state["cell"] is not None:
            _ods_cell_end(state["cell"])
            state["cell"] = None
        elif local == "table-row" and state["row"] is not None:
            row: _RowBuilder = state["row"]
            repeat = state["row_repeat"]
            if row.cells:
                _add_row(state["sheet"], row, budget, repeat)
            state["number"] += repeat
            state["row"] = None
        elif local == "table" and state["sheet"] is not None:
            sheets.append(state["sheet"])
            state["sheet"] = None

    def _ods_cell_end(cell: _OdsCell) -> None:
        repeat = _repeat(cell.attrs, "number-columns-repeated")
        text, cut = _ods_cell_text(cell)
        row: _RowBuilder = state["row"]
        if text:
            budget.check_column(state["position"] + repeat - 1, row.number)
            row.put(state["position"], text, cut, repeat)
        # A run of blank cells is only counted, never expanded (16,384 columns are common).
        state["position"] += repeat

    def chars(data: str) -> None:
        if state["cell"] is not None and state["in_p"] and not state["skip"]:
            state["cell"].buffer.add(data)

    stream_part(archive, "content.xml", budget, start, end, chars)
    return sheets


def _repeat(attrs: dict[str, str], local: str) -> int:
    """A table:number-*-repeated count (1 when absent or malformed)."""
    value = _attr(attrs, local) or "1"
    return max(1, int(value)) if value.isdigit() else 1


def _ods_cell_text(cell: _OdsCell) -> tuple[str, bool]:
    """An ODS cell as typed, from its office:value-type (percentage cells get their '%')."""
    shown, cut = _final_text(cell.buffer)
    if cut:
        return shown, True
    value_type = _attr(cell.attrs, "value-type")
    if value_type in ("float", "currency", "percentage"):
        value = _attr(cell.attrs, "value")
        if value is None or len(value) > 400:
            return shown, False
        try:
            number = to_decimal(value)
        except (ValueError, ArithmeticError):
            return shown, False
        if value_type == "percentage":
            return percent_text(value), False
        # Leading zeros of a zero-padded number format ('08304007') survive only as shown.
        if shown.isascii() and shown.isdigit() and number == int(shown):
            return shown, False
        return decimal_text(number), False
    if value_type == "boolean":
        value = (_attr(cell.attrs, "boolean-value") or "").lower()
        return ("true" if value == "true" else "false"), False
    if value_type == "date":
        value = (_attr(cell.attrs, "date-value") or shown)[:64]
        return value.removesuffix("T00:00:00"), False
    return shown, False


@contextmanager
def open_zip(data: bytes) -> Iterator[zipfile.ZipFile]:
    """The zip in `data`; Damaged if it is not one."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as err:
        raise Damaged(str(err)) from err
    with archive:
        yield archive
