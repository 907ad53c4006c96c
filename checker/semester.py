"""Semester labels: `2026-2027/HK1` is the first term (học kỳ 1) of the 2026-2027 school year.

Semesters order by school year, then term, so HK2 of 2025-2026 comes before HK1 of 2026-2027.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

EXAMPLE_LABEL = "2026-2027/HK1"

# Surrounding and inner spaces, lowercase 'hk', an en dash between the years and the Roman
# term numbers 'HKI'/'HKII' are all things people type; the canonical form is fixed by str().
_LABEL = re.compile(
    r"^\s*(?P<first>\d{4})\s*[-–]\s*(?P<second>\d{4})\s*/\s*HK\s*(?P<term>1|2|II|I)\s*$",
    re.IGNORECASE,
)
_TERMS = {"1": 1, "2": 2, "I": 1, "II": 2}


@dataclass(frozen=True, order=True)
class Semester:
    """One term of one school year; `year` is the school year's first calendar year."""

    year: int
    term: int  # 1 (HK1) or 2 (HK2)

    def __post_init__(self) -> None:
        if not 1000 <= self.year <= 9998:
            raise ValueError(f"school year {self.year} is not a four-digit year")
        if self.term not in (1, 2):
            raise ValueError(f"term {self.term} is not 1 or 2 (e.g. {EXAMPLE_LABEL})")

    @property
    def school_year(self) -> str:
        """The school year as written: '2026-2027'."""
        return f"{self.year}-{self.year + 1}"

    @property
    def label(self) -> str:
        """The canonical label: '2026-2027/HK1'."""
        return f"{self.school_year}/HK{self.term}"

    def __str__(self) -> str:
        return self.label


def parse_semester(label: str) -> Semester:
    """The semester a label names, e.g. ' 2026-2027/hk2 ' -> Semester(2026, 2).

    Raises ValueError, with an example of a good label, when the label is malformed or the
    second year does not follow the first.
    """
    match = _LABEL.match(label)
    if match is None:
        raise ValueError(
            f"{label.strip()!r} is not a semester label: write the school year and the term, "
            f"e.g. {EXAMPLE_LABEL} or 2026-2027/HK2"
        )
    first, second = int(match["first"]), int(match["second"])
    if second != first + 1:
        raise ValueError(
            f"{label.strip()!r} is not a semester label: the second year must follow the "
            f"first, e.g. {first}-{first + 1}/HK{_TERMS[match['term'].upper()]}"
        )
    return Semester(first, _TERMS[match["term"].upper()])


def previous(semesters: Iterable[Semester], current: Semester) -> Semester | None:
    """The latest of `semesters` strictly before `current`, or None when there is none."""
    earlier = [s for s in semesters if s < current]
    return max(earlier) if earlier else None
