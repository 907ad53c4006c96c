"""Spreadsheet cell values as the text the user typed (shared by the CSV, XLSX and ODS readers).

Excel percentage cells become "95%", ids keep their leading zeros, numbers lose float noise,
all text is Unicode NFC. A value longer than the per-cell limit is kept only as its beginning
followed by CUT_MARK: it is reported as a row problem and never echoed in full.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

CUT_SHOWN = 60  # characters of an over-long value kept to show where it is
CUT_MARK = "…"


class TextBuffer:
    """A cell's text as it streams in: at most `cap` characters kept, every character counted.

    A hostile file can hold one value of hundreds of megabytes; it is never built in memory.
    """

    __slots__ = ("cap", "length", "parts")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.length = 0
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        """Append `text`, keeping only what fits under the cap."""
        room = self.cap - self.length
        if room > 0:
            self.parts.append(text[:room])
        self.length += len(text)

    def add_repeated(self, text: str, count: int) -> None:
        """Append `text` `count` times (an ODS run of spaces), without building a long string."""
        room = max(0, self.cap - self.length)
        if room:
            self.parts.append((text * min(count, room))[:room])
        self.length += len(text) * count

    @property
    def over(self) -> bool:
        """True when more characters came in than the cap."""
        return self.length > self.cap

    def text(self) -> str:
        """The characters kept."""
        return "".join(self.parts)


def cut_text(text: str) -> str:
    """The beginning of an over-long value, marked as cut."""
    return clean_text(text)[:CUT_SHOWN] + CUT_MARK


def clean_text(text: str) -> str:
    """Text as typed: Unicode NFC, without surrounding spaces or invisible marks."""
    return unicodedata.normalize("NFC", text).strip().strip("\u200b\ufeff").strip()


def trim(cells: Sequence[str]) -> tuple[str, ...]:
    """The cells without the blank ones at the end of the row."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return tuple(cells[:end])


def decimal_text(number: Decimal) -> str:
    """A number in plain notation without trailing zeros: 92.50 -> '92.5', 1E+2 -> '100'."""
    if not number.is_finite():
        return str(number)
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


def to_decimal(value: float | int | str) -> Decimal:
    """A spreadsheet number as a Decimal, rounded to Excel's 15 significant digits."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(format(float(value), ".15g"))


def percent_text(value: float | int | str) -> str:
    """A fraction stored behind a percent format, as the user typed it: 0.925 -> '92.5%'."""
    return decimal_text(to_decimal(value) * 100) + "%"


def _format_sections(number_format: str) -> str:
    """An Excel number format without its quoted text, escapes and [colour/locale] tags."""
    return re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format)


def is_percent_format(number_format: str) -> bool:
    """True for formats that show the value times 100 with '%' ('0%', '0.0%')."""
    return "%" in _format_sections(number_format)


def zero_pad_width(number_format: str) -> int:
    """The width of a zero-padded whole-number format ('00000000' -> 8), else 0."""
    first = _format_sections(number_format).split(";")[0].strip()
    return len(first) if re.fullmatch(r"0{2,}", first) else 0


def number_text(value: float | int, number_format: str) -> str:
    """An Excel number as the user typed it: percent cells with '%', ids with their zeros."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return ""  # nothing typed that we can show
    if is_percent_format(number_format):
        return percent_text(value)
    number = to_decimal(value)
    if number == number.to_integral_value() and number >= 0:
        width = zero_pad_width(number_format)
        return decimal_text(number).zfill(width)
    return decimal_text(number)


def datetime_text(value: dt.datetime | dt.date | dt.time | dt.timedelta) -> str:
    """A date or time cell as ISO text; a date without time of day as YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def value_text(value: Any, number_format: str) -> str:
    """Any spreadsheet cell value as text ('' for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value, number_format)
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return datetime_text(value)
    return clean_text(str(value))
