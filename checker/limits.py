"""Limits on what one input file may hold, checked while it is read (before anything is built).

A district's table is about 50 KB: 45 schools, 14 columns. The defaults sit far above any real
table of a province (100,000 schools) and far below what a hostile or broken file can declare
(48 million rows, 17 million shared strings, one 280 MB cell), so that reading any file costs
memory and time in proportion to a real table of its size. Each limit can be raised for one run
with `checker run --limit NAME=N` (README, "Limits").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from checker.files import FileError
from checker.i18n import N_


@dataclass(frozen=True)
class Limits:
    """The most one input file may hold. Names are those of `--limit NAME=N`."""

    file_mb: int = 20  # bytes of the file itself, in MB (a real district table: ~50 KB)
    member_mb: int = 100  # uncompressed size of each part of an XLSX/ODS zip, in MB
    rows: int = 100_000  # rows with data, per sheet
    columns: int = 1_024  # cell position of the rightmost cell with data in a row
    cells: int = 2_000_000  # cells with data in the whole file
    cell_chars: int = 2_000  # characters of one cell; a longer value is a row problem
    shared_strings: int = 1_000_000  # entries of an XLSX's shared-strings table
    chars: int = 50_000_000  # characters of text in the whole file

    def member_bytes(self) -> int:
        """`member_mb` in bytes."""
        return self.member_mb * 1024 * 1024

    def file_bytes(self) -> int:
        """`file_mb` in bytes."""
        return self.file_mb * 1024 * 1024


DEFAULT_LIMITS = Limits()

LIMIT_NAMES = tuple(f.name.replace("_", "-") for f in dataclasses.fields(Limits))

MSG_BAD_LIMIT = N_(
    "--limit {text} is not a limit: write NAME=N with N a whole number of at least 1, "
    "NAME one of {names}."
)


def parse_limits(settings: tuple[str, ...] | list[str]) -> Limits:
    """Limits with the `NAME=N` settings applied; ValueError (an English sentence) if one is bad."""
    changes: dict[str, int] = {}
    for text in settings:
        name, _, number = text.partition("=")
        field = name.strip().lower().replace("-", "_")
        if name.strip().lower() not in LIMIT_NAMES or not number.strip().isdigit():
            raise ValueError(MSG_BAD_LIMIT.format(text=text, names=", ".join(LIMIT_NAMES)))
        value = int(number.strip())
        if value < 1:
            raise ValueError(MSG_BAD_LIMIT.format(text=text, names=", ".join(LIMIT_NAMES)))
        changes[field] = value
    return dataclasses.replace(DEFAULT_LIMITS, **changes)


# One message per limit: each names the file, the limit and the option that raises it.
MSG_OVER_ROWS = N_(
    "The file {file} has more than {limit} rows with data in one sheet, the checker's limit "
    "(raise it with --limit rows=N if the table is real)."
)
MSG_OVER_COLUMNS = N_(
    "The file {file} has data beyond column {limit} in row {row}, the checker's limit "
    "(raise it with --limit columns=N if the table is real)."
)
MSG_OVER_CELLS = N_(
    "The file {file} has more than {limit} cells with data, the checker's limit "
    "(raise it with --limit cells=N if the table is real)."
)
MSG_OVER_CHARS = N_(
    "The file {file} holds more than {limit} characters of text, the checker's limit "
    "(raise it with --limit chars=N if the table is real)."
)
MSG_OVER_SHARED_STRINGS = N_(
    "The file {file} declares more than {limit} shared texts, the checker's limit "
    "(raise it with --limit shared-strings=N if the table is real)."
)
MSG_OVER_MEMBER = N_(
    "The file {file} unpacks to a part ({part}) larger than {limit} MB, the checker's limit "
    "(raise it with --limit member-mb=N if the table is real)."
)


class Budget:
    """What a file has used of its limits so far; raises FileError at the first one passed.

    One Budget per file read: the readers call it as they go, before they keep anything.
    """

    def __init__(self, limits: Limits, file: str) -> None:
        self.limits = limits
        self.file = file
        self.cells = 0
        self.chars = 0

    def fail(self, msgid: str, limit: int, **params: str) -> FileError:
        """The FileError for passing `limit` (named by `msgid`)."""
        return FileError(msgid, {"file": self.file, "limit": f"{limit:,}", **params})

    def check_rows(self, rows: int) -> None:
        """Refuse a sheet with more than `limits.rows` rows with data."""
        if rows > self.limits.rows:
            raise self.fail(MSG_OVER_ROWS, self.limits.rows)

    def check_column(self, position: int, row: int) -> None:
        """Refuse data in a cell at 0-based `position` beyond the column limit."""
        if position >= self.limits.columns:
            raise self.fail(MSG_OVER_COLUMNS, self.limits.columns, row=str(row))

    def add_cells(self, count: int, chars: int) -> None:
        """Count `count` cells with data holding `chars` characters kept in memory."""
        self.cells += count
        self.chars += chars
        if self.cells > self.limits.cells:
            raise self.fail(MSG_OVER_CELLS, self.limits.cells)
        if self.chars > self.limits.chars:
            raise self.fail(MSG_OVER_CHARS, self.limits.chars)

    def check_shared_strings(self, count: int) -> None:
        """Refuse an XLSX with more shared strings than the limit."""
        if count > self.limits.shared_strings:
            raise self.fail(MSG_OVER_SHARED_STRINGS, self.limits.shared_strings)

    def check_member(self, part: str, size: int) -> None:
        """Refuse a zip part that unpacks (or declares it unpacks) beyond the limit."""
        if size > self.limits.member_bytes():
            raise self.fail(MSG_OVER_MEMBER, self.limits.member_mb, part=printable_name(part))


def printable_name(text: str, limit: int = 60) -> str:
    """A name from a file (a zip part, a sheet) safe for a one-line message."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
