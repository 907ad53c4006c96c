"""The school-id rule, in one place: what an id may be, and ids that collide.

A school id names the school's scorecard file (`scorecards/<id>.pdf`) on the office's own
computers, which run Windows or macOS as often as Linux. So an id is 1 to MAX_LENGTH ASCII
letters, digits, '-' or '_' (no path, no dot, nothing a file system treats specially); it is not
a Windows device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, in any case: Windows refuses or
redirects such file names, with any extension); and no two ids of one table differ only by case
(`abc` and `ABC` are the same file on Windows and macOS).

The generated intake checks (checker/intake_checks.py) take their regex from SCHOOL_ID_PATTERN when
it is loaded; the intake form, the validator's messages and the writer use MAX_LENGTH and
is_safe_id from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_LENGTH = 32
WINDOWS_DEVICE_NAMES = (
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{n}" for n in range(10)),
    *(f"LPT{n}" for n in range(10)),
)

_DEVICES = "|".join(name.lower() for name in WINDOWS_DEVICE_NAMES)
# Python's re (as the Great Expectations pandas engine uses): letters etc., not a device name.
SCHOOL_ID_PATTERN = rf"^(?!(?i:{_DEVICES})$)[A-Za-z0-9_-]{{1,{MAX_LENGTH}}}$"
_SAFE = re.compile(SCHOOL_ID_PATTERN)


def is_safe_id(school_id: str) -> bool:
    """True when `school_id` may name a file on any office computer (see the module doc)."""
    return _SAFE.match(school_id) is not None


def case_collisions(ids: Mapping[int, str]) -> list[int]:
    """The rows whose id differs only by case from another row's id ('abc', 'ABC').

    Rows holding the very same id are duplicates, not collisions, and are not listed unless
    another spelling of that id exists too.
    """
    spellings: dict[str, set[str]] = {}
    for school_id in ids.values():
        spellings.setdefault(school_id.casefold(), set()).add(school_id)
    return sorted(
        row
        for row, school_id in ids.items()
        if school_id and len(spellings[school_id.casefold()]) > 1
    )
