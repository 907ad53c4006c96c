"""The semester a table's title block names ("BÁO CÁO … HỌC KỲ I NĂM HỌC 2026-2027"), and the
check that it is the semester the run was asked for.

Offices reuse last semester's file; a run with `--semester 2025-2026/HK2` on a workbook titled
for HK1 of 2026-2027 would replace the history of the wrong semester. Titles are read in the
usual spellings: HỌC KỲ I/II, Học kì 1, HK1, HKII, "Semester 1"; NĂM HỌC 2026-2027,
2026 - 2027, 2026–27; any case, with or without diacritics. Only what is named unambiguously
counts: a title naming two school years or both terms names neither.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from checker.files import FileError
from checker.i18n import N_
from checker.model import TitleSemester
from checker.semester import Semester

TITLE_SHOWN = 120  # characters of the title line quoted in a message

MSG_OTHER_SEMESTER = N_(
    'The file {file} is titled for {named} ("{title}"), but --semester is {semester}; '
    "check that this is the right file, or give the semester its title names."
)

_TERM = re.compile(r"\b(?:hoc\s*k[yi]|hk|semester|ky)\s*[:.]?\s*(ii|i|1|2|mot|hai)\b")
_TERMS = {"i": 1, "1": 1, "mot": 1, "ii": 2, "2": 2, "hai": 2}
_YEAR = re.compile(r"(?<![0-9])((?:19|20|21)[0-9]{2})\s*[-–—/]\s*([0-9]{4}|[0-9]{2})(?![0-9])")


def _fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: 'HỌC KỲ I' -> 'hoc ky i'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(bare.lower().split())


def _years(folded: str) -> set[int]:
    """The school years named ('2026-2027', '2026 - 27'), by their first calendar year."""
    found: set[int] = set()
    for match in _YEAR.finditer(folded):
        first, second = int(match.group(1)), match.group(2)
        follows = (first + 1) % 100 if len(second) == 2 else first + 1
        if int(second) == follows:
            found.add(first)
    return found


def semester_in_title(cells: Iterable[str]) -> TitleSemester | None:
    """The school year and term the title cells name, or None when they name neither.

    Each of the two is kept only when the title names exactly one value for it.
    """
    years: set[int] = set()
    terms: set[int] = set()
    lines: list[str] = []
    for text in cells:
        folded = _fold(text[:1000])
        named_years = _years(folded)
        named_terms = {_TERMS[match.group(1)] for match in _TERM.finditer(folded)}
        if named_years or named_terms:
            lines.append(" ".join(text.split()))
        years |= named_years
        terms |= named_terms
    year = years.pop() if len(years) == 1 else None
    term = terms.pop() if len(terms) == 1 else None
    if year is None and term is None:
        return None
    title = " / ".join(dict.fromkeys(lines))
    shown = "".join(ch if ch.isprintable() else " " for ch in title)
    if len(shown) > TITLE_SHOWN:
        shown = shown[: TITLE_SHOWN - 1] + "…"
    return TitleSemester(year, term, shown)


def named_label(named: TitleSemester) -> str:
    """What the title names, written like a semester label: '2026-2027/HK1', '2026-2027', 'HK2'."""
    year = f"{named.year}-{named.year + 1}" if named.year is not None else ""
    term = f"HK{named.term}" if named.term is not None else ""
    return "/".join(part for part in (year, term) if part)


def check_title_semester(named: TitleSemester | None, semester: Semester, file: str) -> None:
    """Raise FileError when the title names a school year or term other than `semester`'s."""
    if named is None:
        return
    other_year = named.year is not None and named.year != semester.year
    other_term = named.term is not None and named.term != semester.term
    if other_year or other_term:
        params = {
            "file": file,
            "named": named_label(named),
            "title": named.text,
            "semester": str(semester),
        }
        raise FileError(MSG_OTHER_SEMESTER, params)
