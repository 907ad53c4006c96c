"""Small hostile or broken spreadsheet files, written by the tests that use them.

Each maker writes its zip part by part, streaming, so that a part that unpacks to hundreds
of megabytes never sits in the test's own memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from shipped import COLUMNS

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADERS = [c.header_vi for c in COLUMNS]
SCHOOL = [
    "08304007",
    "Trường THCS Hưng Nhượng",
    "THCS",
    "Hưng Nhượng",
    "Nguyễn Văn An",
    "512",
    "https://thcshungnhuong.edu.vn",
    "95",
    "Có",
    "1",
    "20",
    "Có",
    "Không",
    "Có",
]


def column_letter(position: int) -> str:
    """0 -> 'A', 27 -> 'AB'."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def xlsx_row(number: int, cells: Iterable[str]) -> str:
    """A <row> of inline-string cells."""
    parts = [
        f'<c r="{column_letter(i)}{number}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        for i, text in enumerate(cells)
    ]
    return f'<row r="{number}">{"".join(parts)}</row>'


def write_part(archive: zipfile.ZipFile, name: str, pieces: Iterable[str | bytes]) -> None:
    """Write one zip part from pieces, streaming (a huge part is never built in memory)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as part:
        for piece in pieces:
            part.write(piece.encode("utf-8") if isinstance(piece, str) else piece)


def write_xlsx(
    path: Path,
    sheets: dict[str, Iterable[str | bytes]],
    shared: Iterable[str | bytes] | None = None,
) -> Path:
    """An XLSX whose sheets' <sheetData> content is given as pieces of XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        entries = "".join(
            f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(sheets, start=1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>{entries}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        )
        if shared is not None:
            rels += (
                f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" '
                'Target="sharedStrings.xml"/>'
            )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rels}</Relationships>",
        )
        for n, pieces in enumerate(sheets.values(), start=1):
            write_part(
                archive,
                f"xl/worksheets/sheet{n}.xml",
                _wrapped(
                    f'<worksheet xmlns="{MAIN_NS}"><sheetData>', pieces, "</sheetData></worksheet>"
                ),
            )
        if shared is not None:
            write_part(
                archive,
                "xl/sharedStrings.xml",
                _wrapped(f'<sst xmlns="{MAIN_NS}">', shared, "</sst>"),
            )
    return path


def _wrapped(head: str, pieces: Iterable[str | bytes], tail: str) -> Iterator[str | bytes]:
    yield head
    yield from pieces
    yield tail


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_row(cells: Iterable[str]) -> str:
    """A table:table-row of string cells."""
    parts = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{escape(text)}</text:p>'
        "</table:table-cell>"
        for text in cells
    )
    return f"<table:table-row>{parts}</table:table-row>"


def write_ods(path: Path, tables: dict[str, Iterable[str | bytes]]) -> Path:
    """An ODS whose tables' rows are given as pieces of XML."""

    def content() -> Iterator[str | bytes]:
        yield f"<office:document-content {ODS_NS}><office:body><office:spreadsheet>"
        for name, pieces in tables.items():
            yield f'<table:table table:name="{escape(name)}">'
            yield from pieces
            yield "</table:table>"
        yield "</office:spreadsheet></office:body></office:document-content>"

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        write_part(archive, "content.xml", content())
    return path


def repeated(piece: str, count: int, batch: int = 10_000) -> Iterator[str]:
    """`piece` `count` times, in batches."""
    full, rest = divmod(count, batch)
    block = piece * batch
    for _ in range(full):
        yield block
    yield piece * rest
