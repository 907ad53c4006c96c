"""LOAD stage: real CSV, XLSX and ODS files built in each test, read back as typed."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from odf.element import Element
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P, S
from shipped import COLUMNS

from checker.limits import MSG_OVER_ROWS
from checker.load import (
    MSG_DUPLICATE_COLUMN,
    MSG_EMPTY,
    MSG_ENCODING,
    MSG_MISSING_COLUMNS,
    MSG_NO_HEADER,
    MSG_NO_ROWS,
    MSG_NO_SUCH_FILE,
    MSG_NO_SUCH_SHEET,
    MSG_NOT_A_FILE,
    MSG_NOT_SPREADSHEET,
    MSG_OLD_XLS,
    MSG_SEVERAL_TABLES,
    MSG_UNBALANCED_QUOTE,
    LoadError,
    load_table,
)
from checker.model import InputError, RawTable

HEADERS_VI = [c.header_vi for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + bytes(
    range(256)
)


def school(**values: Any) -> list[Any]:
    """A school row in COLUMNS order: a complete THCS school, overridden by `values`."""
    row: dict[str, Any] = {
        "school_id": "08304007",
        "school_name": "Trường THCS Hưng Nhượng",
        "level": "THCS",
        "commune": "Hưng Nhượng",
        "principal": "Nguyễn Văn An",
        "students": 512,
        "website_url": "https://thcshungnhuong.edu.vn",
        "ioffice_share": 95,
        "cashless_fees": "Có",
        "computer_rooms": 1,
        "computers": 20,
        "e_gradebook": "Có",
        "e_contact_book": "Không",
        "online_enrolment": "Có",
    }
    row.update(values)
    return [row[key] for key in KEYS]


def expected_cells(**values: str) -> dict[str, str]:
    """The text cells school() loads to, overridden by `values`."""
    cells = dict(zip(KEYS, (str(v) for v in school()), strict=True))
    cells.update(values)
    return cells


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], formats: dict[str, str] | None = None):
    """An XLSX file with `rows` from A1 and number formats by cell name."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    for name, number_format in (formats or {}).items():
        sheet[name].number_format = number_format
    workbook.save(path)
    return path


def ods_cell(value: Any) -> TableCell:
    """An ODS cell: a string, or a (value-type, value, shown text) triple, or None."""
    if value is None:
        return TableCell()
    if isinstance(value, tuple):
        kind, raw, shown = value
        cell = TableCell(valuetype=kind, value=raw)
        cell.addElement(P(text=shown))
        return cell
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def write_ods(path: Path, rows: Sequence[Sequence[Any] | Element]) -> Path:
    """An ODS file with one table of `rows` (lists of cell values, or ready TableRows)."""
    document = OpenDocumentSpreadsheet()
    table = Table(name="Trường")
    for row in rows:
        if isinstance(row, Element):
            table.addElement(row)
            continue
        element = TableRow()
        for value in row:
            element.addElement(ods_cell(value))
        table.addElement(element)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def load_error(path: Path) -> LoadError:
    """The LoadError that loading `path` raises."""
    with pytest.raises(LoadError) as caught:
        load_table(path, COLUMNS)
    assert isinstance(caught.value, InputError)
    return caught.value


TITLE_BLOCK: list[list[Any]] = [
    ["UBND HUYỆN GIỒNG TRÔM", None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
    ["PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", None, None, "Độc lập - Tự do - Hạnh phúc"],
    [],
    ["BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ NĂM HỌC 2026-2027"],
    [],
]
SIGNATURE_BLOCK: list[list[Any]] = [
    [None, None, None, None, None, None, "Giồng Trôm, ngày 15 tháng 01 năm 2027"],
    [None, "Người lập biểu", None, None, None, None, "TRƯỞNG PHÒNG"],
    [None, "(Ký, ghi rõ họ tên)", None, None, None, None, "(Ký, ghi rõ họ tên)"],
    [],
    [None, "Trần Thị Bích", None, None, None, None, "Lê Văn Cường"],
]


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_title_block_signature_block_percent_and_zero_padded_ids(tmp_path: Path) -> None:
    rows = [
        *TITLE_BLOCK,
        HEADERS_VI,  # row 6
        school(school_id=8304007, ioffice_share=0.95),  # row 7
        [],  # row 8: a blank row between schools
        school(school_id="08304012", school_name="Trường TH Tân Thanh", ioffice_share=0.925),
        school(school_id=123, school_name="Trường MN Sao Mai", students=20.0, ioffice_share=92.5),
        *SIGNATURE_BLOCK,  # rows 11-15
    ]
    path = write_xlsx(tmp_path / "bao_cao.xlsx", rows, {"A7": "00000000", "H7": "0%", "H9": "0.0%"})

    table = load_table(path, COLUMNS)

    assert table.header_row == 6
    assert [r.row_number for r in table.rows] == [7, 9, 10]
    assert table.rows[0].cells == expected_cells(school_id="08304007", ioffice_share="95%")
    assert table.rows[1].cells["ioffice_share"] == "92.5%"
    assert table.rows[1].cells["school_id"] == "08304012"
    assert table.rows[2].cells["school_id"] == "123"  # numeric id without a padded format
    assert table.rows[2].cells["students"] == "20"  # 20.0 is typed as 20
    assert table.rows[2].cells["ioffice_share"] == "92.5"
    assert table.ignored_rows == (8, 11, 12, 13, 14, 15)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert table.path == path
    assert table.extra_columns == ()


def test_xlsx_cell_types_become_text_as_typed(tmp_path: Path) -> None:
    rows = [
        HEADERS_VI,
        school(
            cashless_fees=True,
            e_gradebook=False,
            principal=dt.datetime(2026, 9, 5),
            commune=dt.datetime(2026, 9, 5, 7, 30),
            ioffice_share=0.1 + 0.2,  # float noise: Excel shows 0.3
            computers="  25 ",
            computer_rooms=1,
        ),
    ]
    path = write_xlsx(tmp_path / "types.xlsx", rows, {"H2": "0.00"})

    cells = load_table(path, COLUMNS).rows[0].cells

    assert cells["cashless_fees"] == "true"
    assert cells["e_gradebook"] == "false"
    assert cells["principal"] == "2026-09-05"
    assert cells["commune"] == "2026-09-05T07:30:00"
    assert cells["ioffice_share"] == "0.3"
    assert cells["computers"] == "25"
    assert cells["computer_rooms"] == "1"


def test_xlsx_literal_percent_sign_in_format_is_not_scaled(tmp_path: Path) -> None:
    # '0"%"' shows 95 as "95%" without multiplying: the value is 95, not 9500.
    path = write_xlsx(tmp_path / "lit.xlsx", [HEADERS_VI, school(ioffice_share=95)], {"H2": '0"%"'})

    assert load_table(path, COLUMNS).rows[0].cells["ioffice_share"] == "95"


def test_xlsx_table_on_second_sheet_is_found(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Ghi chú"
    notes.append(["Mã trường", "ghi theo mã của Phòng"])
    data = workbook.create_sheet("Số liệu")
    data.append(HEADERS_VI)
    data.append(school())
    path = tmp_path / "two_sheets.xlsx"
    workbook.save(path)

    table = load_table(path, COLUMNS)

    assert [r.cells for r in table.rows] == [expected_cells()]


def test_xlsx_two_row_header_and_column_number_row(tmp_path: Path) -> None:
    # Row 1: group headings (some merged down), row 2: sub-headers, row 3: "(1) (2) ...".
    top = [*HEADERS_VI[:11], "Ứng dụng CNTT", None, None]
    bottom = [None] * 11 + HEADERS_VI[11:]
    numbers = [f"({n})" for n in range(1, len(COLUMNS) + 1)]
    path = write_xlsx(tmp_path / "two_rows.xlsx", [top, bottom, numbers, school()])

    table = load_table(path, COLUMNS)

    assert table.header_row == 1
    assert [r.row_number for r in table.rows] == [4]
    assert table.rows[0].cells == expected_cells()
    assert table.ignored_rows == (3,)
    assert table.extra_columns == ()  # a group heading over known columns is not a column


def test_xlsx_5000_rows_are_all_read(tmp_path: Path) -> None:
    rows = [HEADERS_VI] + [school(school_id=f"S{n:05d}") for n in range(5000)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == list(range(2, 5002))
    assert table.rows[-1].cells == expected_cells(school_id="S04999")


# --- ODS ----------------------------------------------------------------------------------------


def test_ods_percentage_cells_zero_padded_ids_and_huge_repeats(tmp_path: Path) -> None:
    values = school(
        school_id=("float", "8304007", "08304007"),
        students=("float", "512", "512"),
        ioffice_share=("percentage", "0.925", "92.5%"),
        computers=("float", "20", "20"),
        computer_rooms=("float", "1", "1"),
    )
    data_row = TableRow()
    for value in values:
        data_row.addElement(ods_cell(value))
    data_row.addElement(TableCell(numbercolumnsrepeated=16000))  # the empty end of the row
    blank_rows = TableRow(numberrowsrepeated=3)
    blank_rows.addElement(TableCell(numbercolumnsrepeated=1024))
    sheet_end = TableRow(numberrowsrepeated=1_048_000)  # the empty end of the sheet
    sheet_end.addElement(TableCell(numbercolumnsrepeated=1024))
    rows = [["PHÒNG GD&ĐT GIỒNG TRÔM"], blank_rows, HEADERS_VI, data_row, sheet_end]
    path = write_ods(tmp_path / "truong.ods", rows)

    table = load_table(path, COLUMNS)

    assert table.header_row == 5
    assert [r.row_number for r in table.rows] == [6]
    assert table.rows[0].cells == expected_cells(ioffice_share="92.5%")
    assert table.ignored_rows == ()


def test_ods_repeated_cells_spaces_and_comments(tmp_path: Path) -> None:
    header = TableRow()
    for text in HEADERS_VI:
        header.addElement(ods_cell(text))
    row = TableRow()
    row.addElement(ods_cell("TH-01"))
    name = TableCell(valuetype="string")
    paragraph = P(text="Trường TH")
    paragraph.addElement(S(c=5))
    paragraph.addText("An Hóa")
    name.addElement(paragraph)
    row.addElement(name)
    yes = TableCell(valuetype="string", numbercolumnsrepeated=12)  # level..online: all "Có"
    yes.addElement(P(text="Có"))
    row.addElement(yes)
    path = write_ods(tmp_path / "lap.ods", [header, row])

    cells = load_table(path, COLUMNS).rows[0].cells

    assert cells["school_id"] == "TH-01"
    assert cells["school_name"] == "Trường TH" + " " * 5 + "An Hóa"
    assert cells["online_enrolment"] == "Có"
    assert cells["level"] == "Có"


def test_ods_hostile_run_of_spaces_is_a_cut_value_not_a_billion_spaces(tmp_path: Path) -> None:
    header = TableRow()
    for text in HEADERS_VI:
        header.addElement(ods_cell(text))
    row = TableRow()
    for key, value in zip(KEYS, school(), strict=True):
        if key != "school_name":
            row.addElement(ods_cell(value))
            continue
        name = TableCell(valuetype="string")
        paragraph = P(text="Trường TH")
        paragraph.addElement(S(c=10**9))  # counted, never allocated
        paragraph.addText("An Hóa")
        name.addElement(paragraph)
        row.addElement(name)
    path = write_ods(tmp_path / "lap.ods", [header, row])

    loaded = load_table(path, COLUMNS).rows[0]

    assert loaded.cells["school_name"] == "Trường TH…"
    assert loaded.cut == frozenset({"school_name"})
    assert loaded.cells["students"] == "512"


def test_ods_row_repeated_a_million_times_is_refused(tmp_path: Path) -> None:
    row = TableRow(numberrowsrepeated=1_000_000)
    for value in school():
        row.addElement(ods_cell(value))
    path = write_ods(tmp_path / "bomb.ods", [HEADERS_VI, row])

    err = load_error(path)

    assert err.msgid == MSG_OVER_ROWS
    assert err.params == {"file": "bomb.ods", "limit": "100,000"}


# --- CSV ----------------------------------------------------------------------------------------


def csv_text(rows: Sequence[Sequence[Any]], separator: str = ";") -> str:
    """CSV text the way Excel writes it: fields joined, quoted when they hold the separator."""

    def field(value: Any) -> str:
        text = "" if value is None else str(value)
        return f'"{text}"' if separator in text or "\n" in text else text

    return "".join(separator.join(field(v) for v in row) + "\r\n" for row in rows)


def test_csv_excel_vietnamese_locale_bom_semicolon_decimal_comma(tmp_path: Path) -> None:
    rows = [
        *TITLE_BLOCK,
        HEADERS_VI,  # row 6
        school(ioffice_share="92,5"),
        school(school_id="08304012", ioffice_share="95%", school_name="Trường TH Tân Thanh"),
        [None] * len(COLUMNS),  # ";;;;" — a blank row Excel wrote out
        *SIGNATURE_BLOCK,
    ]
    path = tmp_path / "bao_cao.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text(rows).encode("utf-8"))

    table = load_table(path, COLUMNS)

    assert table.header_row == 6
    assert [r.row_number for r in table.rows] == [7, 8]
    assert table.rows[0].cells == expected_cells(ioffice_share="92,5")
    assert table.rows[1].cells["ioffice_share"] == "95%"
    assert table.rows[1].cells["school_id"] == "08304012"
    assert table.ignored_rows == (9, 10, 11, 12, 13, 14)
    assert table.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_plain_utf8_comma_with_key_headers_and_quoted_fields(tmp_path: Path) -> None:
    rows = [
        KEYS,
        school(school_name="Trường TH An Hóa, điểm chính", ioffice_share="92.5"),
        school(school_id="TH-02", school_name="Trường TH\nBình Thành"),  # a two-line field
        school(school_id="TH-03"),
    ]
    path = tmp_path / "plain.csv"
    path.write_text(csv_text(rows, ","), encoding="utf-8")

    table = load_table(path, COLUMNS)

    assert table.header_row == 1
    assert table.rows[0].cells["school_name"] == "Trường TH An Hóa, điểm chính"
    assert table.rows[0].cells["ioffice_share"] == "92.5"
    assert table.rows[1].cells["school_name"] == "Trường TH\nBình Thành"
    assert [r.row_number for r in table.rows] == [2, 3, 4]  # records, as Excel shows them


def test_csv_tab_separated_and_sep_line(tmp_path: Path) -> None:
    tabbed = tmp_path / "tabbed.txt"
    tabbed.write_text(csv_text([HEADERS_VI, school()], "\t"), encoding="utf-8")
    with_sep = tmp_path / "sep.csv"
    with_sep.write_text("sep=|\n" + csv_text([HEADERS_VI, school()], "|"), encoding="utf-8")

    assert load_table(tabbed, COLUMNS).rows[0].cells == expected_cells()
    table = load_table(with_sep, COLUMNS)
    assert table.rows[0].cells == expected_cells()
    assert table.header_row == 1  # Excel hides the sep= line


def test_csv_5000_rows_are_all_read(tmp_path: Path) -> None:
    rows = [HEADERS_VI] + [school(school_id=f"S{n:05d}") for n in range(5000)]
    path = tmp_path / "big.csv"
    path.write_text(csv_text(rows), encoding="utf-8-sig")

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == list(range(2, 5002))
    assert table.rows[-1].cells == expected_cells(school_id="S04999")


def to_cp1258(text: str) -> bytes:
    """Text as Vietnamese Windows (cp1258) stores it: base letter, then a combining tone."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", char)
            base = unicodedata.normalize("NFC", "".join(m for m in marks if m not in tones))
            tone = "".join(m for m in marks if m in tones)
            out += (base + tone).encode("cp1258")
    return out


def test_csv_in_cp1258_is_read_when_its_headers_match(tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    path.write_bytes(to_cp1258(csv_text([HEADERS_VI, school()])))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")

    table = load_table(path, COLUMNS)

    assert table.rows[0].cells == expected_cells()
    assert table.rows[0].cells["school_name"] == unicodedata.normalize(
        "NFC", "Trường THCS Hưng Nhượng"
    )


@pytest.mark.parametrize(
    "content",
    [
        # TCVN3 ("ABC") bytes under our keys as headers: the header is found, but cp1258
        # shows stray symbols in the values ("Trường" typed in TCVN3).
        b"school_id;school_name;level\r\nTH01;Tr\xad\xeang TH;TH\r\n",
        # Latin-1 text that decodes as cp1258 but holds no header of ours.
        b"caf\xe9;cr\xe8me\r\n1;2\r\n",
    ],
)
def test_csv_in_another_encoding_asks_for_csv_utf8(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "legacy.csv"
    path.write_bytes(content)

    err = load_error(path)

    assert err.msgid == MSG_ENCODING
    assert err.params == {"file": "legacy.csv"}


# --- Unicode and headers ------------------------------------------------------------------------


def test_nfd_headers_and_values_match_and_come_out_nfc(tmp_path: Path) -> None:
    nfd = [unicodedata.normalize("NFD", h) for h in HEADERS_VI]
    assert nfd != HEADERS_VI  # the test really uses decomposed text
    name = unicodedata.normalize("NFD", "Trường THCS Hưng Nhượng")
    path = write_xlsx(tmp_path / "nfd.xlsx", [nfd, school(school_name=name)])
    csv_path = tmp_path / "nfd.csv"
    csv_path.write_text(csv_text([nfd, school(school_name=name)]), encoding="utf-8")

    for table in (load_table(path, COLUMNS), load_table(csv_path, COLUMNS)):
        assert table.rows[0].cells["school_name"] == "Trường THCS Hưng Nhượng"
        assert unicodedata.is_normalized("NFC", table.rows[0].cells["school_name"])
        assert table.rows[0].cells == expected_cells()


def test_header_spelling_variants_are_accepted(tmp_path: Path) -> None:
    headers = [
        "Mã trường *",
        "TÊN TRƯỜNG (1)",
        "Cấp  học",
        "Xã / Thị trấn",
        "Principal",
        "Số học sinh (tính đến 30/9)",
        "website_url",
        "Tỉ lệ văn bản qua iOffice",
        "Thu phí không dùng tiền mặt (*)",
        "Số phòng máy tính¹",
        "Computers for students",
        "Sổ điểm điện tử:",
        "sổ liên lạc điện tử",
        "Tuyển sinh\ntrực tuyến",
    ]
    path = write_xlsx(tmp_path / "variants.xlsx", [headers, school()])

    table = load_table(path, COLUMNS)

    assert table.rows[0].cells == expected_cells()
    assert table.extra_columns == ()


def test_english_headers_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "english.csv"
    path.write_text(csv_text([[c.header_en for c in COLUMNS], school()], ","), encoding="utf-8")

    assert load_table(path, COLUMNS).rows[0].cells == expected_cells()


def test_extra_columns_are_listed_and_absent_optional_columns_are_blank(tmp_path: Path) -> None:
    keep = [c for c in COLUMNS if c.required]
    headers = ["STT", *(c.header_vi for c in keep), "Ghi chú"]
    full = dict(zip(KEYS, school(), strict=True))
    path = write_xlsx(
        tmp_path / "extra.xlsx", [headers, [1, *(full[c.key] for c in keep), "mới cập nhật"]]
    )

    table = load_table(path, COLUMNS)

    assert table.extra_columns == ("STT", "Ghi chú")
    assert table.rows[0].cells == expected_cells(commune="", principal="", students="")
    assert set(table.rows[0].cells) == set(KEYS)


def test_row_with_data_but_no_school_id_is_kept_for_validation(tmp_path: Path) -> None:
    rows = [
        HEADERS_VI,
        school(),
        school(school_id=None, school_name="Trường MN Hoa Sen"),
        [None, "Trường TH Phước Long"],  # only a name: still data, not a signature
        [None, "Tổng cộng", None, None, None, 1024],  # a totals row is shown, not hidden
        *SIGNATURE_BLOCK,
    ]
    path = write_xlsx(tmp_path / "no_id.xlsx", rows)

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == [2, 3, 4, 5]
    assert table.rows[1].cells["school_id"] == ""
    assert table.rows[1].cells["school_name"] == "Trường MN Hoa Sen"
    assert table.rows[2].cells["school_name"] == "Trường TH Phước Long"
    assert table.rows[3].cells["students"] == "1024"
    assert table.ignored_rows == (6, 7, 8, 9, 10)


def test_signature_block_in_the_id_column_and_office_footer(tmp_path: Path) -> None:
    rows = [
        HEADERS_VI,
        school(),
        ["Người lập biểu", None, None, None, None, "KT. TRƯỞNG PHÒNG"],
        ["(Ký, ghi rõ họ tên)", None, None, None, None, "PHÓ TRƯỞNG PHÒNG"],
        ["Nguyễn Thị Hoa", None, None, None, None, "Phạm Văn Đức"],
        ["Nơi nhận:"],
        ["- Như trên;"],
        ["- Lưu: VT."],
        ["Ghi chú: số liệu tính đến ngày 30/9/2026"],
    ]
    path = write_xlsx(tmp_path / "footer.xlsx", rows)

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == [2]
    assert table.ignored_rows == (3, 4, 5, 6, 7, 8, 9)


def test_school_name_under_the_signature_block_is_kept(tmp_path: Path) -> None:
    rows = [HEADERS_VI, school(), [None, "Người lập biểu"], [None, "Trường TH Lương Quới"]]
    path = write_xlsx(tmp_path / "late.xlsx", rows)

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == [2, 4]
    assert table.rows[1].cells["school_name"] == "Trường TH Lương Quới"


def test_signer_name_outside_the_signature_columns_is_kept(tmp_path: Path) -> None:
    rows = [HEADERS_VI, school(), [None, "Người lập biểu"], [None, None, "Nguyễn Văn Ba"]]
    path = write_xlsx(tmp_path / "name.xlsx", rows)

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == [2, 4]
    assert table.ignored_rows == (3,)


# --- File-level errors --------------------------------------------------------------------------


def test_no_such_file(tmp_path: Path) -> None:
    err = load_error(tmp_path / "khong_co.xlsx")

    assert err.msgid == MSG_NO_SUCH_FILE
    assert str(err) == "The file khong_co.xlsx does not exist."
    assert err.args == (MSG_NO_SUCH_FILE, {"file": "khong_co.xlsx"})


@pytest.mark.parametrize(
    ("name", "content"),
    [("rong.csv", b""), ("rong.xlsx", b""), ("blank.csv", b"\xef\xbb\xbf;;;\r\n\r\n;;\r\n")],
)
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    err = load_error(path)

    assert err.msgid == MSG_EMPTY
    assert err.params == {"file": name}


def test_workbook_without_cells_is_empty(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "trong.xlsx", [])

    err = load_error(path)

    assert err.msgid == MSG_EMPTY
    assert err.params == {"file": "trong.xlsx"}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("anh.xlsx", PNG_BYTES),
        ("anh.csv", PNG_BYTES),
        ("random.ods", os.urandom(4096)),
        ("random.csv", bytes(range(1, 256)) * 8),  # no NUL: refused as control bytes
        ("cut.xlsx", b"PK\x03\x04" + b"\x00" * 100),
    ],
)
def test_renamed_or_corrupt_file_is_not_a_spreadsheet(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    err = load_error(path)

    assert err.msgid == MSG_NOT_SPREADSHEET
    assert err.params == {"file": name}


def test_other_zip_file_and_damaged_xlsx_are_not_spreadsheets(tmp_path: Path) -> None:
    docx = tmp_path / "van_ban.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    broken = tmp_path / "hong.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not really")

    assert load_error(docx).msgid == MSG_NOT_SPREADSHEET
    assert load_error(broken).msgid == MSG_NOT_SPREADSHEET
    assert load_error(broken).params == {"file": "hong.xlsx"}


def test_folder_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "thu_muc.csv"
    folder.mkdir()

    err = load_error(folder)

    assert err.msgid == MSG_NOT_A_FILE
    assert str(err) == "thu_muc.csv is a folder, not a file."


def test_utf8_csv_with_a_stray_control_character_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "ctrl.csv"
    text = csv_text([HEADERS_VI, school(principal="Nguyễn\x0bVăn An")])
    path.write_text(text + "\x1a", encoding="utf-8")  # DOS end-of-file mark

    assert load_table(path, COLUMNS).rows[0].cells["principal"] == "Nguyễn\x0bVăn An"


def test_old_excel_format_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cu.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)

    err = load_error(path)

    assert err.msgid == MSG_OLD_XLS
    assert err.params == {"file": "cu.xls"}


def test_missing_required_column_is_named_by_key_and_vietnamese_header(tmp_path: Path) -> None:
    keep = [i for i, c in enumerate(COLUMNS) if c.key not in ("ioffice_share", "computers")]
    rows = [[HEADERS_VI[i] for i in keep], [school()[i] for i in keep]]
    path = write_xlsx(tmp_path / "thieu_cot.xlsx", [["BÁO CÁO"], [], *rows])

    err = load_error(path)

    assert err.msgid == MSG_MISSING_COLUMNS
    message = str(err)
    assert "thieu_cot.xlsx" in message
    assert 'ioffice_share ("Tỷ lệ văn bản qua iOffice (%)")' in message
    assert 'computers ("Số máy tính cho học sinh")' in message
    assert "row 3" in message
    assert "school_name" not in message


def test_no_header_row(tmp_path: Path) -> None:
    path = tmp_path / "lung_tung.csv"
    path.write_text("Họ tên;Tuổi\r\nAn;7\r\nBình;8\r\n", encoding="utf-8")

    err = load_error(path)

    assert err.msgid == MSG_NO_HEADER
    assert "lung_tung.csv" in str(err)
    assert '"Mã trường"' in str(err)
    assert "first 30 rows" in str(err)


def test_header_below_the_first_30_rows_is_not_searched(tmp_path: Path) -> None:
    rows = [["ghi chú"]] * 31 + [HEADERS_VI, school()]
    path = write_xlsx(tmp_path / "xa.xlsx", rows)

    assert load_error(path).msgid == MSG_NO_HEADER


def test_duplicate_column_names_both_columns(tmp_path: Path) -> None:
    headers = [*HEADERS_VI, "Mã trường"]
    path = write_xlsx(tmp_path / "trung.xlsx", [headers, [*school(), "X"]])

    err = load_error(path)

    assert err.msgid == MSG_DUPLICATE_COLUMN
    assert err.params == {
        "file": "trung.xlsx",
        "column": 'school_id ("Mã trường")',
        "row": "1",
        "letters": "A, O",
    }
    assert "columns A, O" in str(err)


def test_header_without_school_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "chi_tieu_de.xlsx", [HEADERS_VI, [], *SIGNATURE_BLOCK])

    err = load_error(path)

    assert err.msgid == MSG_NO_ROWS
    assert err.params == {"file": "chi_tieu_de.xlsx", "row": "1"}


def test_load_error_translates_its_message_id(tmp_path: Path) -> None:
    err = load_error(tmp_path / "x.csv")
    catalog = {MSG_NO_SUCH_FILE: "Không tìm thấy tệp {file}."}

    assert err.translate(lambda msgid: catalog.get(msgid, msgid)) == "Không tìm thấy tệp x.csv."
    assert err.params == {"file": "x.csv"}


def test_loaded_table_is_a_raw_table(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ok.xlsx", [HEADERS_VI, school()])

    assert isinstance(load_table(path, COLUMNS), RawTable)


# --- Nothing lost silently (issue 15) -----------------------------------------------------------


def test_csv_with_an_unbalanced_quote_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    rows = [HEADERS_VI] + [school(school_id=f"S{n:02d}") for n in range(1, 46)]
    text = csv_text(rows).replace("Trường THCS Hưng Nhượng", '"Trường THCS Hưng Nhượng', 11)
    # Row 12 (school 11) opens a quote that only row 13's stray quote would close, if any.
    text = text.replace('"Trường THCS Hưng Nhượng', "Trường THCS Hưng Nhượng", 10)
    path = tmp_path / "quote.csv"
    path.write_text(text, encoding="utf-8")

    err = load_error(path)

    assert err.msgid == MSG_UNBALANCED_QUOTE
    assert err.params == {"file": "quote.csv", "row": "12", "column": "B"}


def test_csv_quoted_cell_on_several_lines_is_still_one_cell(tmp_path: Path) -> None:
    rows = [
        HEADERS_VI,
        school(commune="Ấp 1, xã Hưng Nhượng\nhuyện Giồng Trôm"),
        school(school_id="S2"),
    ]
    path = tmp_path / "multiline.csv"
    path.write_text(csv_text(rows, separator=","), encoding="utf-8")

    table = load_table(path, COLUMNS)

    assert [r.cells["school_id"] for r in table.rows] == ["08304007", "S2"]
    assert table.rows[0].cells["commune"] == "Ấp 1, xã Hưng Nhượng\nhuyện Giồng Trôm"


def two_table_workbook(path: Path, names: Sequence[str]) -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = names[0]
    for number, name in enumerate(names):
        sheet = first if number == 0 else workbook.create_sheet(name)
        sheet.append(HEADERS_VI)
        sheet.append(school(school_id=f"S{number}"))
    workbook.save(path)
    return path


def test_workbook_with_two_table_sheets_is_refused_unless_one_is_named(tmp_path: Path) -> None:
    path = two_table_workbook(tmp_path / "hai.xlsx", ["HK1", "HK2 cũ"])

    err = load_error(path)
    named = load_table(path, COLUMNS, sheet_name="HK2 cũ")
    folded = load_table(path, COLUMNS, sheet_name="hk2 CŨ")

    assert err.msgid == MSG_SEVERAL_TABLES
    assert err.params == {"file": "hai.xlsx", "sheets": '"HK1", "HK2 cũ"'}
    assert (named.sheet, [r.cells["school_id"] for r in named.rows]) == ("HK2 cũ", ["S1"])
    assert folded.sheet == "HK2 cũ"


def test_a_sheet_name_that_does_not_exist_lists_the_sheets(tmp_path: Path) -> None:
    path = two_table_workbook(tmp_path / "hai.xlsx", ["HK1", "HK2"])

    with pytest.raises(LoadError) as caught:
        load_table(path, COLUMNS, sheet_name="HK3")

    assert caught.value.msgid == MSG_NO_SUCH_SHEET
    assert caught.value.params == {"file": "hai.xlsx", "sheet": '"HK3"', "sheets": '"HK1", "HK2"'}


def test_the_sheet_read_is_recorded_and_csv_has_none(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "one.xlsx", [HEADERS_VI, school()])
    csv_path = tmp_path / "one.csv"
    csv_path.write_text(csv_text([HEADERS_VI, school()]), encoding="utf-8")

    assert load_table(xlsx, COLUMNS).sheet == "Sheet"
    assert load_table(csv_path, COLUMNS).sheet is None


@pytest.mark.parametrize(
    "header",
    [KEYS, HEADERS_VI, [c.header_en for c in COLUMNS], [h.upper() for h in HEADERS_VI]],
    ids=["keys", "vietnamese", "english", "upper-case"],
)
def test_header_row_repeated_mid_table_is_skipped_and_reported(
    tmp_path: Path, header: list[str]
) -> None:
    rows = [HEADERS_VI, school(), header, school(school_id="S2"), header]
    path = write_xlsx(tmp_path / "paste.xlsx", rows)

    table = load_table(path, COLUMNS)

    assert [r.cells["school_id"] for r in table.rows] == ["08304007", "S2"]
    assert table.repeated_headers == (3, 5)
    assert table.ignored_rows == ()


# --- The semester the title names (issue 9) ------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "year", "term"),
    [
        ("BÁO CÁO CHUYỂN ĐỔI SỐ HỌC KỲ I NĂM HỌC 2026-2027", 2026, 1),
        ("Báo cáo học kì II năm học 2025 - 2026", 2025, 2),
        ("BAO CAO HOC KY 2 NAM HOC 2025-2026", 2025, 2),
        ("Số liệu HKII 2025–26", 2025, 2),
        ("Số liệu hk1", None, 1),
        ("NĂM HỌC 2026-2027", 2026, None),
        (unicodedata.normalize("NFD", "HỌC KỲ II NĂM HỌC 2026-2027"), 2026, 2),
        ("HỌC KỲ I VÀ HỌC KỲ II NĂM HỌC 2026-2027", 2026, None),
    ],
)
def test_title_semester_is_read_in_its_usual_spellings(
    tmp_path: Path, title: str, year: int | None, term: int | None
) -> None:
    path = write_xlsx(
        tmp_path / "t.xlsx", [["PHÒNG GD&ĐT GIỒNG TRÔM"], [title], [], HEADERS_VI, school()]
    )

    named = load_table(path, COLUMNS).title_semester

    assert named is not None
    assert (named.year, named.term) == (year, term)
    assert named.text == unicodedata.normalize("NFC", " ".join(title.split()))


def test_no_title_or_a_title_without_a_semester_names_none(tmp_path: Path) -> None:
    plain = write_xlsx(tmp_path / "plain.xlsx", [HEADERS_VI, school()])
    dated = write_xlsx(tmp_path / "dated.xlsx", [*TITLE_BLOCK[:2], HEADERS_VI, school()])

    assert load_table(plain, COLUMNS).title_semester is None
    assert load_table(dated, COLUMNS).title_semester is None


def test_sample_workbook_title_names_its_semester() -> None:
    table = load_table(
        Path(__file__).parent.parent / "sample_data" / "giong_trom_2026-2027_HK1.xlsx", COLUMNS
    )

    assert table.title_semester is not None
    assert (table.title_semester.year, table.title_semester.term) == (2026, 1)


def test_csv_note_over_two_lines_with_a_few_commas_is_not_an_unbalanced_quote(
    tmp_path: Path,
) -> None:
    note = "Ấp 1, Ấp 2, Ấp 3, Ấp 4, Ấp 5,\nchưa có phòng máy"
    rows = [[*HEADERS_VI, "Ghi chú"], [*school(), note], school(school_id="S2")]
    path = tmp_path / "note.csv"
    path.write_text(csv_text(rows, separator=","), encoding="utf-8")

    table = load_table(path, COLUMNS)

    assert [r.cells["school_id"] for r in table.rows] == ["08304007", "S2"]


def test_csv_row_of_a_million_empty_fields_is_read_as_its_data(tmp_path: Path) -> None:
    rows = csv_text([HEADERS_VI, school()]) + ";" * 1_000_000 + "\r\n"
    path = tmp_path / "wide.csv"
    path.write_text(rows, encoding="utf-8")

    table = load_table(path, COLUMNS)

    assert [r.row_number for r in table.rows] == [2]
