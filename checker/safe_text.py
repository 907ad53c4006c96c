"""Untrusted text made inert for the places it ends up: spreadsheets, CSV files, the terminal.

School data is untrusted. A cell such as `=HYPERLINK("http://…","x")` must not become a live
formula in a file we hand out, a control character (U+0007) must not break a workbook or ring
the terminal, and an escape sequence or rich markup in a school name must not reach the
terminal as commands. One set of rules, used by every writer and every printer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# ANSI/ECMA-48 escape sequences as a whole (so their parameters do not survive as text):
# CSI (ESC [ or U+009B … final byte), OSC/DCS/APC/PM/SOS strings (up to BEL or ST) and the
# two-character ESC sequences.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
# Line breaks and tabs become a space: a name split over lines stays readable on one line.
_WHITESPACE_CONTROL = re.compile(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]")
# Every other C0/C1 control character, and the bidirectional overrides and isolates that
# make text display in another order than it is stored ("Trojan source").
_OTHER_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# What makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula or a
# DDE command: OWASP's "CSV injection" list. Tab and CR are cleaned to spaces first.
FORMULA_STARTS = frozenset("=+-@\t\r")
CSV_INERT_PREFIX = "'"  # OWASP's recommendation: the spreadsheet then shows the text as is


def plain_text(text: str) -> str:
    """`text` without escape sequences and control characters (line breaks become spaces)."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _WHITESPACE_CONTROL.sub(" ", text)
    return _OTHER_CONTROL.sub("", text)


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet would take the text as a formula (leading spaces ignored:
    some spreadsheet programs skip them)."""
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def spreadsheet_field(text: str) -> str:
    """A CSV field that a spreadsheet shows as text: plain, and `'`-prefixed if formula-like."""
    text = plain_text(text)
    return CSV_INERT_PREFIX + text if looks_like_formula(text) else text


def terminal_text(value: object) -> str:
    """Any value (a school name, an id, a header, a path) as text safe to print: no escape
    sequences or control characters. Rich markup in it is not interpreted as long as it is
    printed with click.echo or wrapped in rich's Text (see history_cli)."""
    return plain_text(str(value))


def plain_values(value: Any) -> Any:
    """A document's context (plain values: mappings, lists, texts, numbers) with every text
    made plain_text: a name holding U+0007 or an escape sequence prints without it in a PDF."""
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, Mapping):
        return {key: plain_values(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain_values(item) for item in value)
    return value
