"""The roster: the unit's list of schools (id, name, level, commune, principal, e-mail, phone).

Optional everywhere; when given (`--roster FILE`, or `roster = "…"` in office.toml) it is the
list of schools the office expects this semester: `checker forms` makes one form per school,
`checker collect` names the schools that sent nothing, `checker send` finds each principal's
address. It is an XLSX, ODS or CSV sheet read by the same streaming readers and limits as the
intake table (checker.load), with a title block above the header allowed. The office keeps it,
so a wrong row stops the command with one sentence naming the file, the row and the column:
a school without an id or name, an id that breaks the id rule (checker.ids), the same id twice
(or differing only by case), a level that is not one, an e-mail address that is not one.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from checker import ids, model
from checker.files import FileError
from checker.i18n import N_
from checker.limits import DEFAULT_LIMITS, Limits
from checker.load import read_sheets
from checker.workbook import Sheet

MSG_NO_HEADER = N_(
    "No header row found in the roster {file}: none of its first {rows} rows names the "
    "columns {expected}."
)
MSG_MISSING_COLUMNS = N_("The roster {file} lacks the columns {columns} in its header row {row}.")
MSG_BLANK = N_("The roster {file}, row {row}: the column {column} is blank.")
MSG_BAD_ID = N_(
    "The roster {file}, row {row}: the school ID {value} is not 1 to {limit} letters, digits, "
    "'-' or '_' (or it is a name Windows reserves)."
)
MSG_DUPLICATE = N_(
    "The roster {file} lists the school ID {value} twice (rows {rows}; IDs differing only by "
    "case count as the same)."
)
MSG_BAD_LEVEL = N_(
    "The roster {file}, row {row}: the level {value} is not one of Mầm non, Tiểu học, THCS, "
    "THPT or a combined school's levels (TH&THCS, …)."
)
MSG_BAD_EMAIL = N_("The roster {file}, row {row}: {value} is not an e-mail address.")
MSG_EMPTY = N_("The roster {file} lists no school.")
MSG_SETTING = N_("{file}: roster must be the path of the roster file, in quotes.")
MSG_NO_ROSTER = N_(
    'No roster given: name the list of schools with --roster FILE, or roster = "FILE" in '
    "the office settings {file}."
)

HEADER_SCAN_ROWS = 30
_SHOWN = 40  # characters of a user's value quoted in a message

# The roster's columns: the school's identity as the intake table names it, then how to reach
# the principal. Each column is found by its key, its Vietnamese or its English header.
IDENTITY_KEYS = ("school_id", "school_name", "level", "commune", "principal")
CONTACT_HEADERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "email": ("Email", "E-mail", "Thư điện tử", "Địa chỉ email"),
        "phone": ("Điện thoại", "Số điện thoại", "SĐT", "Phone"),
    }
)
REQUIRED_KEYS = ("school_id", "school_name", "level")
ROSTER_KEYS = (*IDENTITY_KEYS, *CONTACT_HEADERS)
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+")


class RosterError(FileError):
    """The roster cannot be used: one sentence naming the file, and the row where it can."""


@dataclass(frozen=True)
class RosterSchool:
    """One school the office expects a return from."""

    row_number: int
    school_id: str
    name: str
    level: str  # level keys joined by '+' ('tieu_hoc+thcs'), as the validate stage reads them
    level_text: str  # as the roster spells it ('TH&THCS')
    commune: str
    principal: str
    email: str
    phone: str

    @property
    def levels(self) -> tuple[str, ...]:
        """Every level the school teaches."""
        return model.levels_of(self.level)


@dataclass(frozen=True)
class Roster:
    """The unit's schools, in the roster's order."""

    source: str  # the file's name, for messages
    schools: tuple[RosterSchool, ...]

    def find(self, school_id: str) -> RosterSchool | None:
        """The school with this id (ignoring case, as the id rule does), or None."""
        wanted = school_id.casefold()
        return next((s for s in self.schools if s.school_id.casefold() == wanted), None)


def _fold(text: str) -> str:
    """A header reduced for matching: NFC, case-folded, single spaces, no trailing marks."""
    folded = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return folded.replace("_", " ").strip(" *:.")


def _aliases(columns: Mapping[str, model.Column]) -> Mapping[str, str]:
    """Folded header -> roster key, for each column's key and headers."""
    names: dict[str, str] = {}
    for key in IDENTITY_KEYS:
        column = columns[key]
        for name in (key, column.header_vi, column.header_en):
            names[_fold(name)] = key
    for key, headers in CONTACT_HEADERS.items():
        for name in (key, *headers):
            names[_fold(name)] = key
    return names


def _quoted(value: str) -> str:
    """A user's value in a message, quoted and cut short."""
    shown = value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"
    return f"“{shown}”"


def load_roster(
    path: Path,
    columns: Sequence[model.Column] = model.IDENTITY_COLUMNS,
    limits: Limits = DEFAULT_LIMITS,
) -> Roster:
    """Read and check the roster in `path` (XLSX, ODS or CSV); RosterError (or the loader's
    LoadError) with one sentence naming the file and row when it cannot be used.

    `columns` are the intake table's columns: the roster's identity columns are found by
    their headers (school_id, school_name, level, commune, principal), beside e-mail and phone.
    """
    from checker.validate import level_text  # the one level parser

    file = path.name
    by_key = {column.key: column for column in columns}
    aliases = _aliases(by_key)
    sheet, header_row, positions = _find_table(read_sheets(path, limits), aliases, file, by_key)
    schools: list[RosterSchool] = []
    seen: dict[str, list[int]] = {}
    for number, cells in sheet.rows:
        if number <= header_row:
            continue
        values = {key: cells[p].strip() if p < len(cells) else "" for key, p in positions.items()}
        if not any(values.values()):
            continue
        for key in REQUIRED_KEYS:
            if not values.get(key):
                header = by_key[key].header_vi
                raise RosterError(MSG_BLANK, {"file": file, "row": str(number), "column": header})
        school_id = values["school_id"]
        if not ids.is_safe_id(school_id):
            params = {"value": _quoted(school_id), "limit": str(ids.MAX_LENGTH)}
            raise RosterError(MSG_BAD_ID, {"file": file, "row": str(number), **params})
        level = level_text(values["level"])
        if not all(part in model.LEVELS for part in model.levels_of(level)):
            params = {"file": file, "row": str(number), "value": _quoted(values["level"])}
            raise RosterError(MSG_BAD_LEVEL, params)
        email = values.get("email", "")
        if email and not _EMAIL.fullmatch(email):
            raise RosterError(
                MSG_BAD_EMAIL, {"file": file, "row": str(number), "value": _quoted(email)}
            )
        seen.setdefault(school_id.casefold(), []).append(number)
        schools.append(
            RosterSchool(
                row_number=number,
                school_id=school_id,
                name=values["school_name"],
                level=level,
                level_text=values["level"],
                commune=values.get("commune", ""),
                principal=values.get("principal", ""),
                email=email,
                phone=values.get("phone", ""),
            )
        )
    for rows in seen.values():
        if len(rows) > 1:
            first = next(s for s in schools if s.row_number == rows[0])
            params = {"value": _quoted(first.school_id), "rows": ", ".join(map(str, rows))}
            raise RosterError(MSG_DUPLICATE, {"file": file, **params})
    if not schools:
        raise RosterError(MSG_EMPTY, {"file": file})
    return Roster(source=file, schools=tuple(schools))


def _find_table(
    sheets: Sequence[Sheet],
    aliases: Mapping[str, str],
    file: str,
    by_key: Mapping[str, model.Column],
) -> tuple[Sheet, int, dict[str, int]]:
    """The sheet, header row number and key -> cell position of the roster's table: the first
    row (in the first sheet that has one) naming at least the id and the name."""
    for sheet in sheets:
        for number, cells in sheet.rows:
            if number > HEADER_SCAN_ROWS:
                break
            positions: dict[str, int] = {}
            for position, text in enumerate(cells):
                key = aliases.get(_fold(text))
                if key and key not in positions:
                    positions[key] = position
            if "school_id" in positions and "school_name" in positions:
                missing = [by_key[k].header_vi for k in REQUIRED_KEYS if k not in positions]
                if missing:
                    params = {"file": file, "row": str(number), "columns": ", ".join(missing)}
                    raise RosterError(MSG_MISSING_COLUMNS, params)
                return sheet, number, positions
    expected = ", ".join(f'"{by_key[k].header_vi}"' for k in REQUIRED_KEYS)
    raise RosterError(
        MSG_NO_HEADER, {"file": file, "rows": str(HEADER_SCAN_ROWS), "expected": expected}
    )


def roster_setting(office_path: Path) -> Path | None:
    """The roster the office settings name (`roster = "truong.xlsx"`, relative to the settings
    file's folder), or None when they name none. The settings are read and checked by
    checker.office first; only this key's type is checked here."""
    settings = tomllib.loads(office_path.read_text(encoding="utf-8"))
    value = settings.get("roster")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise RosterError(MSG_SETTING, {"file": office_path.name})
    return office_path.parent / value.strip()


def roster_path(given: Path | None, office_path: Path) -> Path:
    """The roster to use: `--roster`, else the settings' `roster`; RosterError when neither."""
    if given is not None:
        return given
    named = roster_setting(office_path)
    if named is None:
        raise RosterError(MSG_NO_ROSTER, {"file": office_path.name})
    return named
