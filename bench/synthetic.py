"""Fictitious but believable school tables, for the sample data, the tests and the benchmark.

The schools, principals and figures are invented. What is real is the setting: the district of
Giồng Trôm (Bến Tre) with its communes as they stood just before the 2025 reorganisation, and
the shape of the office's table (the shipped rulebook's columns, Vietnamese headers). Tables
larger than one district spread over the other districts of Bến Tre, with the district's code
inside each school id, and number further schools of one commune ("Trường Tiểu học Châu Hòa
2"), so names and ids stay unique however many schools are asked for.

Everything follows from the seed: the same (n_schools, seed, semester_index) always gives the
same table. Semester 0 is the oldest; each later semester starts from the one before, and moves
most schools forward and a few back, so a history of several semesters can be shown.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
import random
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from checker.paths import DEFAULT_RULEBOOK
from checker.rulebook import load_rulebook

# --- The setting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    """A district of Bến Tre: name, two-digit code used in school ids, communes (town first)."""

    name: str
    code: str
    slug: str  # the district's part of school web addresses: thcshungnhuong.giongtrom.edu.vn
    town_kindergarten: str  # the town's kindergarten is named after a flower or a bird
    communes: tuple[str, ...]


# Giồng Trôm's commune-level units before the 2025 reorganisation: the town and 20 communes.
# Phong Mỹ, still listed in older tables, is left out: it no longer appears in the district's
# list in late 2024 (merged in the 2023-2025 round of commune mergers).
GIONG_TROM = District(
    name="Giồng Trôm",
    code="04",
    slug="giongtrom",
    town_kindergarten="Hoa Sen",
    communes=(
        "Thị trấn Giồng Trôm", "Bình Hòa", "Bình Thành", "Châu Bình", "Châu Hòa", "Hưng Lễ",
        "Hưng Nhượng", "Hưng Phong", "Long Mỹ", "Lương Hòa", "Lương Phú", "Lương Quới",
        "Mỹ Thạnh", "Phong Nẫm", "Phước Long", "Sơn Phú", "Tân Hào", "Tân Lợi Thạnh",
        "Tân Thanh", "Thạnh Phú Đông", "Thuận Điền",
    ),
)  # fmt: skip

# The other districts of the province, used only when more schools are asked for than one
# district has. Codes follow the national statistics office's order of the province's districts
# (Thành phố Bến Tre 829 ... Mỏ Cày Bắc 838), counted from 00, which puts Giồng Trôm at 04.
OTHER_DISTRICTS: tuple[District, ...] = (
    District("Thành phố Bến Tre", "00", "tpbentre", "Hoa Hồng", (
        "Phường An Hội", "Phường Phú Khương", "Phường Phú Tân", "Phường 6", "Phường 7",
        "Phường 8", "Bình Phú", "Mỹ Thạnh An", "Nhơn Thạnh", "Phú Hưng", "Phú Nhuận", "Sơn Đông",
    )),
    District("Châu Thành", "01", "chauthanh", "Sơn Ca", (
        "Thị trấn Châu Thành", "Thị trấn Tiên Thủy", "An Phước", "Giao Long", "Hữu Định",
        "Phú Đức", "Phú Túc", "Phước Thạnh", "Quới Sơn", "Quới Thành", "Tam Phước", "Tân Phú",
        "Tân Thạch", "Thành Triệu", "Tiên Long", "Tường Đa",
    )),
    District("Chợ Lách", "02", "cholach", "Hoa Mai", (
        "Thị trấn Chợ Lách", "Hòa Nghĩa", "Hưng Khánh Trung B", "Long Thới", "Phú Phụng",
        "Phú Sơn", "Sơn Định", "Tân Thiềng", "Vĩnh Bình", "Vĩnh Hòa", "Vĩnh Thành",
    )),
    District("Mỏ Cày Nam", "03", "mocaynam", "Họa Mi", (
        "Thị trấn Mỏ Cày", "An Định", "An Thạnh", "An Thới", "Bình Khánh", "Cẩm Sơn",
        "Đa Phước Hội", "Định Thủy", "Hương Mỹ", "Minh Đức", "Ngãi Đăng", "Phước Hiệp",
        "Tân Hội", "Tân Trung", "Thành Thới A", "Thành Thới B",
    )),
    District("Bình Đại", "05", "binhdai", "Vàng Anh", (
        "Thị trấn Bình Đại", "Bình Thắng", "Bình Thới", "Châu Hưng", "Đại Hòa Lộc",
        "Định Trung", "Lộc Thuận", "Long Định", "Long Hòa", "Phú Long", "Phú Thuận",
        "Tam Hiệp", "Thạnh Phước", "Thạnh Trị", "Thới Lai", "Thới Thuận", "Thừa Đức",
        "Vang Quới Đông", "Vang Quới Tây",
    )),
    District("Ba Tri", "06", "batri", "Hướng Dương", (
        "Thị trấn Ba Tri", "Thị trấn Tiệm Tôm", "An Bình Tây", "An Đức", "An Hiệp",
        "An Hòa Tây", "An Ngãi Tây", "An Ngãi Trung", "An Phú Trung", "Bảo Thạnh", "Bảo Thuận",
        "Mỹ Chánh", "Mỹ Hòa", "Mỹ Nhơn", "Mỹ Thạnh", "Phú Lễ", "Phước Ngãi", "Tân Hưng",
        "Tân Thủy", "Tân Xuân", "Vĩnh An", "Vĩnh Hòa",
    )),
    District("Thạnh Phú", "07", "thanhphu", "Tuổi Thơ", (
        "Thị trấn Thạnh Phú", "An Điền", "An Nhơn", "An Quy", "An Thạnh", "An Thuận",
        "Bình Thạnh", "Đại Điền", "Giao Thạnh", "Hòa Lợi", "Mỹ An", "Mỹ Hưng", "Phú Khánh",
        "Quới Điền", "Tân Phong", "Thạnh Hải", "Thạnh Phong", "Thới Thạnh",
    )),
    District("Mỏ Cày Bắc", "08", "mocaybac", "Hoa Phượng", (
        "Thị trấn Phước Mỹ Trung", "Hòa Lộc", "Hưng Khánh Trung A", "Khánh Thạnh Tân",
        "Nhuận Phú Tân", "Phú Mỹ", "Tân Bình", "Tân Phú Tây", "Tân Thành Bình",
        "Tân Thanh Tây", "Thành An", "Thanh Tân", "Thạnh Ngãi",
    )),
)  # fmt: skip

# Giồng Trôm first, so the first 45 schools of any table are the district's own.
DISTRICTS: tuple[District, ...] = (GIONG_TROM, *OTHER_DISTRICTS)

PROVINCE_CODE = "083"  # Bến Tre is province 83; ids read 083 + district code + serial number

# Schools of each level in a 45-school district: 15 preschools, 18 primary, 12 lower-secondary.
LEVEL_SHARES: tuple[tuple[str, int], ...] = (("mam_non", 15), ("tieu_hoc", 18), ("thcs", 12))
_SHARE_TOTAL = sum(share for _, share in LEVEL_SHARES)
LEVELS = tuple(level for level, _ in LEVEL_SHARES)  # the sample has no upper-secondary school

DEFAULT_OFFICE = "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO GIỒNG TRÔM"

_FAMILY_NAMES = (
    "Nguyễn", "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Huỳnh", "Huỳnh", "Võ",
    "Võ", "Phạm", "Phan", "Trương", "Đặng", "Bùi", "Đỗ", "Ngô", "Hồ", "Dương", "Lâm", "Đoàn",
    "Châu", "Mai", "Tô",
)  # fmt: skip
_FEMALE_MIDDLE = ("Thị", "Thị", "Thị", "Ngọc", "Thanh", "Kim", "Thị Ngọc", "Thị Thanh", "Thu")
_FEMALE_GIVEN = (
    "Hồng", "Mai", "Lan", "Hạnh", "Thảo", "Trang", "Hương", "Nga", "Phượng", "Loan", "Thủy",
    "Yến", "Diễm", "Tuyết", "Nhung", "Hằng", "Xuân", "Cúc", "Liên", "Oanh", "Trinh", "Vân",
)  # fmt: skip
_MALE_MIDDLE = ("Văn", "Văn", "Văn", "Minh", "Thanh", "Quốc", "Hoàng", "Hữu", "Công", "Trung")
_MALE_GIVEN = (
    "Bình", "Tâm", "Hùng", "Dũng", "Phong", "Tuấn", "Hải", "Nam", "Khánh", "Lộc", "Phúc",
    "Thành", "Trung", "Hiếu", "Nghĩa", "Tài", "Thắng", "Sơn", "Vũ", "Long", "Cường", "Đức",
)  # fmt: skip

_NO_SITE_TEXTS = ("chưa có", "chưa có", "đang xây dựng")
_YES, _NO = "Có", "Không"

# Where each column sits in a row, by key (read-only).
# The columns of the shipped local plan: the table every generated district follows.
COLUMNS = load_rulebook(DEFAULT_RULEBOOK).columns
_INDEX = MappingProxyType({column.key: i for i, column in enumerate(COLUMNS)})

# --- Values of one school ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Slot:
    """A place for a school: district, level, commune, and which school of that commune it is."""

    district: District
    level: str
    commune: str
    round: int  # 0 for the commune's first school of the level, 1 for the second, ...


@dataclass(frozen=True)
class _Profile:
    """What does not change from semester to semester."""

    school_id: str
    name: str
    level: str
    level_label: str
    commune: str
    principal: str
    website: str  # the address the school uses once it has a site
    no_site_text: str  # what the school types while it has none


@dataclass(frozen=True)
class _State:
    """What the office asks about, as it stands in one semester."""

    students: int
    has_website: bool
    ioffice: float
    cashless: bool
    rooms: int
    computers: int
    gradebook: bool
    contact_book: bool
    online: bool


def level_counts(n_schools: int) -> dict[str, int]:
    """How many schools of each level a table of n schools has (15:18:12, largest remainder)."""
    exact = [(level, n_schools * share / _SHARE_TOTAL) for level, share in LEVEL_SHARES]
    counts = {level: math.floor(value) for level, value in exact}
    short = n_schools - sum(counts.values())
    by_remainder = sorted(exact, key=lambda item: item[1] - math.floor(item[1]), reverse=True)
    for level, _ in by_remainder[:short]:
        counts[level] += 1
    return counts


def _level_communes(district: District, level: str, rng: random.Random) -> tuple[str, ...]:
    """The communes of a district that have a school of this level (the town always has one)."""
    share = dict(LEVEL_SHARES)[level]
    size = round(len(district.communes) * share / len(GIONG_TROM.communes))
    size = max(1, min(len(district.communes), size))
    chosen = {district.communes[0], *rng.sample(district.communes[1:], size - 1)}
    return tuple(c for c in district.communes if c in chosen)


def _level_slots(level: str, plans: dict[tuple[str, str], tuple[str, ...]]) -> Iterator[_Slot]:
    """Endless places for schools of one level: every district once, then second schools, ..."""
    for round_ in itertools.count():
        for district in DISTRICTS:
            for commune in plans[(district.code, level)]:
                yield _Slot(district, level, commune, round_)


def _slots(n_schools: int, seed: int) -> list[_Slot]:
    """The places of n schools, in the order of the office's table (district, level, commune)."""
    rng = random.Random(f"{seed}:communes")
    plans = {(d.code, level): _level_communes(d, level, rng) for d in DISTRICTS for level in LEVELS}
    counts = level_counts(n_schools)
    slots = [
        slot
        for level in LEVELS
        for slot in itertools.islice(_level_slots(level, plans), counts[level])
    ]
    order = {d.code: i for i, d in enumerate(DISTRICTS)}
    return sorted(
        slots,
        key=lambda s: (
            order[s.district.code],
            LEVELS.index(s.level),
            s.round,
            s.district.communes.index(s.commune),
        ),
    )


def _school_ids(slots: Sequence[_Slot]) -> list[str]:
    """Ids '083' + district code + serial within the district: 08304007. Unique, digits only."""
    per_district = {d.code: sum(s.district.code == d.code for s in slots) for d in DISTRICTS}
    width = max(3, len(str(max(per_district.values(), default=0))))
    serials: dict[str, int] = dict.fromkeys(per_district, 0)
    ids = []
    for slot in slots:
        serials[slot.district.code] += 1
        ids.append(f"{PROVINCE_CODE}{slot.district.code}{serials[slot.district.code]:0{width}d}")
    return ids


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: 'Thạnh Phú Đông' -> 'thanhphudong'."""
    text = text.replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in decomposed if c.isascii()).lower())


def _level_label(slot: _Slot, rng: random.Random) -> str:
    """The level as the school types it; a commune's preschool is a Mẫu giáo or a Mầm non."""
    if slot.level == "tieu_hoc":
        return "Tiểu học"
    if slot.level == "thcs":
        return "THCS"
    if _is_town_kindergarten(slot):
        return "Mầm non"
    return "Mẫu giáo" if rng.random() < 0.6 else "Mầm non"


def _is_town_kindergarten(slot: _Slot) -> bool:
    """The district town's own kindergarten, named after a flower rather than the town."""
    return slot.level == "mam_non" and slot.commune == slot.district.communes[0]


def _place_name(slot: _Slot) -> str:
    """The part of the school's name after its level: the commune, or the flower name."""
    base = slot.district.town_kindergarten if _is_town_kindergarten(slot) else slot.commune
    if slot.round == 0:
        return base
    # "Phường 6 2" would read as one number: such schools are "Phường 6 số 2".
    return f"{base} {'số ' if base[-1].isdigit() else ''}{slot.round + 1}"


def _unique_name(name: str, district: District, taken: set[str]) -> str:
    """The name, with the district added when another district has a commune of that name."""
    if name in taken:
        name = f"{name} ({district.name})"
    taken.add(name)
    return name


def _principal(level: str, rng: random.Random) -> str:
    """A Vietnamese full name; preschool heads are almost all women, secondary heads less so."""
    female = rng.random() < {"mam_non": 0.95, "tieu_hoc": 0.55, "thcs": 0.35}[level]
    middle, given = (_FEMALE_MIDDLE, _FEMALE_GIVEN) if female else (_MALE_MIDDLE, _MALE_GIVEN)
    return f"{rng.choice(_FAMILY_NAMES)} {rng.choice(middle)} {rng.choice(given)}"


def _website(slot: _Slot, level_label: str, rng: random.Random) -> str:
    """The school's address, in one of the forms schools type: full https, http, or bare www."""
    prefix = {"Mầm non": "mn", "Mẫu giáo": "mg", "Tiểu học": "th", "THCS": "thcs"}[level_label]
    host = prefix + ascii_slug(_place_name(slot).replace("Thị trấn", "tt").replace("Phường", "p"))
    form = rng.random()
    if form < 0.70:
        return f"https://{host}.{slot.district.slug}.edu.vn"
    if form < 0.85:
        return f"www.{host}.edu.vn"
    return f"http://{host}.{slot.district.slug}.edu.vn"


def _profiles(n_schools: int, seed: int) -> list[_Profile]:
    """The fixed facts of every school: id, name, level, commune, principal, web address."""
    rng = random.Random(f"{seed}:profiles")
    slots = _slots(n_schools, seed)
    taken: set[str] = set()
    profiles = []
    for slot, school_id in zip(slots, _school_ids(slots), strict=True):
        label = _level_label(slot, rng)
        name = _unique_name(f"Trường {label} {_place_name(slot)}", slot.district, taken)
        profiles.append(
            _Profile(
                school_id=school_id,
                name=name,
                level=slot.level,
                level_label=label,
                commune=slot.commune,
                principal=_principal(slot.level, rng),
                website=_website(slot, label, rng),
                no_site_text=rng.choice(_NO_SITE_TEXTS),
            )
        )
    return profiles


# --- Semesters ---------------------------------------------------------------------------------


def _students(level: str, in_town: bool, rng: random.Random) -> int:
    """A plausible enrolment: preschools are small, town schools larger."""
    low, high = {"mam_non": (90, 320), "tieu_hoc": (180, 650), "thcs": (220, 850)}[level]
    return round(rng.randint(low, high) * (1.5 if in_town else 1.0))


def _computer_rooms(level: str, rng: random.Random) -> int:
    """Computer rooms a school starts with: rare in preschools, usual in secondary schools."""
    weights = {"mam_non": (80, 20, 0, 0), "tieu_hoc": (12, 70, 18, 0), "thcs": (5, 55, 35, 5)}
    return rng.choices(range(4), weights=weights[level])[0]


def _computers(level: str, rooms: int, rng: random.Random) -> int:
    """Pupils' computers in those rooms (0-45); a preschool without a room may have a few."""
    if rooms == 0:
        return rng.choice((0, 0, 0, 2, 3)) if level == "mam_non" else 0
    per_room = (5, 15) if level == "mam_non" else (14, 28)
    return min(45, sum(rng.randint(*per_room) for _ in range(rooms)))


def _initial_state(profile: _Profile, rng: random.Random) -> _State:
    """The school as it stood in the oldest semester (index 0): about half way there."""
    school = profile.level != "mam_non"  # primary and lower-secondary
    laggard = rng.random() < 0.1  # a few schools are well behind on iOffice
    rooms = _computer_rooms(profile.level, rng)
    return _State(
        students=_students(profile.level, profile.commune.startswith("Thị trấn"), rng),
        has_website=rng.random() < (0.82 if school else 0.75),
        ioffice=rng.triangular(60, 88, 78) if laggard else rng.triangular(78, 100, 95),
        cashless=rng.random() < 0.6,
        rooms=rooms,
        computers=_computers(profile.level, rooms, rng),
        gradebook=school and rng.random() < 0.8,
        contact_book=rng.random() < (0.7 if school else 0.5),
        online=rng.random() < (0.7 if school else 0.4),
    )


def _adopt(has: bool, rng: random.Random, gain: float, loss: float = 0.02) -> bool:
    """A yes/no a semester later: often taken up, rarely dropped (a contract ends, a tool goes)."""
    return rng.random() >= loss if has else rng.random() < gain


def _next_ioffice(share: float, rng: random.Random) -> float:
    """Mostly up a few points, sometimes flat, now and then down (staff change, outages)."""
    roll = rng.random()
    if roll < 0.75:
        share += rng.uniform(0.5, 5.0)
    elif roll >= 0.9:
        share -= rng.uniform(1.0, 6.0)
    return min(100.0, max(60.0, share))


def _next_lab(level: str, rooms: int, computers: int, rng: random.Random) -> tuple[int, int]:
    """Rooms and computers a semester later: a first room, more machines, or some broken."""
    if rooms == 0:
        if level != "mam_non" and rng.random() < 0.3:
            return 1, rng.randint(10, 22)
        return rooms, computers
    roll = rng.random()
    if roll < 0.35:
        computers += rng.randint(1, 6)
    elif roll >= 0.92:
        computers -= rng.randint(1, 4)
    return rooms, min(45, max(0, computers))


def _advance(profile: _Profile, state: _State, rng: random.Random) -> _State:
    """The same school one semester later."""
    school = profile.level != "mam_non"
    rooms, computers = _next_lab(profile.level, state.rooms, state.computers, rng)
    return replace(
        state,
        students=max(30, state.students + rng.randint(-8, 8)),
        has_website=_adopt(state.has_website, rng, 0.4, loss=0.01),
        ioffice=_next_ioffice(state.ioffice, rng),
        cashless=_adopt(state.cashless, rng, 0.35, loss=0.03),
        rooms=rooms,
        computers=computers,
        gradebook=school and _adopt(state.gradebook, rng, 0.5),
        contact_book=_adopt(state.contact_book, rng, 0.4),
        online=_adopt(state.online, rng, 0.4),
    )


def _states(profiles: Sequence[_Profile], seed: int, semester_index: int) -> list[_State]:
    """Every school's state in the given semester, stepping forward from semester 0."""
    rng = random.Random(f"{seed}:start")
    states = [_initial_state(p, rng) for p in profiles]
    for step in range(1, semester_index + 1):
        rng = random.Random(f"{seed}:step:{step}")
        states = [_advance(p, s, rng) for p, s in zip(profiles, states, strict=True)]
    return states


# --- Rows as typed -----------------------------------------------------------------------------


def _share_cell(share: float) -> float | int:
    """A share as typed: one decimal, whole numbers without one (90, not 90.0)."""
    rounded = round(share, 1)
    return int(rounded) if rounded.is_integer() else rounded


def _yes_no(value: bool) -> str:
    """Có or Không."""
    return _YES if value else _NO


def _row(profile: _Profile, state: _State) -> list[object]:
    """One school's row, in the order of COLUMNS."""
    cells: dict[str, object] = {
        "school_id": profile.school_id,
        "school_name": profile.name,
        "level": profile.level_label,
        "commune": profile.commune,
        "principal": profile.principal,
        "students": state.students,
        "website_url": profile.website if state.has_website else profile.no_site_text,
        "ioffice_share": _share_cell(state.ioffice),
        "cashless_fees": _yes_no(state.cashless),
        "computer_rooms": state.rooms,
        "computers": state.computers,
        "e_gradebook": _yes_no(state.gradebook),
        "e_contact_book": _yes_no(state.contact_book),
        "online_enrolment": _yes_no(state.online),
    }
    return [cells[column.key] for column in COLUMNS]


def _per_45(n_schools: int, count: int) -> int:
    """A count that is `count` in a 45-school table, scaled to n schools."""
    return round(n_schools * count / _SHARE_TOTAL)


def _closest(candidates: list[int], values: Sequence[float], target: float) -> list[int]:
    """The candidates ordered by how close their value is to the target (then by position)."""
    return sorted(candidates, key=lambda i: (abs(values[i] - target), i))


def _pin_boundaries(
    rows: list[list[object]], profiles: Sequence[_Profile], states: Sequence[_State]
) -> set[int]:
    """Put schools exactly on the thresholds (89.9 / 90 iOffice, 19 / 20 computers).

    The schools nearest each threshold are moved onto it, so every table of 20 or more schools
    tests the boundaries. Returns the rows touched, which later changes leave alone.
    """
    n_pairs = max(1, _per_45(len(rows), 1)) if len(rows) >= 20 else 0
    shares = [s.ioffice for s in states]
    all_rows = list(range(len(rows)))
    near_share = _closest(all_rows, shares, 90.0)[: 2 * n_pairs]
    labs = [i for i in all_rows if profiles[i].level != "mam_non" and states[i].rooms >= 1]
    computers = [float(s.computers) for s in states]
    near_twenty = [i for i in _closest(labs, computers, 20.0) if i not in near_share]
    near_twenty = near_twenty[: 2 * n_pairs]
    for k, i in enumerate(near_share):
        rows[i][_INDEX["ioffice_share"]] = (89.9, 90)[k % 2]
    for k, i in enumerate(near_twenty):
        rows[i][_INDEX["computers"]] = (19, 20)[k % 2]
    return set(near_share) | set(near_twenty)


def _applicable_blanks(level: str) -> tuple[str, ...]:
    """Columns whose blank makes a criterion 'missing' for this level."""
    if level == "mam_non":
        return ("website_url", "ioffice_share", "cashless_fees")
    common = ("website_url", "ioffice_share", "computers", "e_contact_book", "online_enrolment")
    return (*common, "cashless_fees") if level == "thcs" else common


# The slips a person makes filling the table in: a number in words, a share over 100, ...
_TYPOS: tuple[tuple[str, object, tuple[str, ...]], ...] = (
    ("computers", "hai mươi", ("tieu_hoc", "thcs")),
    ("ioffice_share", 130, LEVELS),
    ("computer_rooms", "một", ("tieu_hoc", "thcs")),
    ("students", "khoảng 300", LEVELS),
)


def _spoil(
    rows: list[list[object]],
    profiles: Sequence[_Profile],
    candidates: Sequence[int],
    rng: random.Random,
) -> None:
    """Leave a few cells blank and put in a few typing slips: 3 and 2 per 45 schools.

    Only the candidate rows are touched, each at most once, and only in columns that matter
    for the school's level, so every slip shows up as a data problem on a real criterion.
    """
    order = rng.sample(list(candidates), len(candidates))
    used: set[int] = set()

    def next_row(levels: tuple[str, ...]) -> int | None:
        for i in order:
            if i not in used and profiles[i].level in levels:
                used.add(i)
                return i
        return None

    for _ in range(_per_45(len(rows), 3)):
        i = next_row(LEVELS)
        if i is not None:
            rows[i][_INDEX[rng.choice(_applicable_blanks(profiles[i].level))]] = None
    for k in range(_per_45(len(rows), 2)):
        key, typo, levels = _TYPOS[k % len(_TYPOS)]
        i = next_row(levels)
        if i is not None:
            rows[i][_INDEX[key]] = typo


def generate_district(n_schools: int, seed: int = 0, semester_index: int = 0) -> pd.DataFrame:
    """A fictitious table of n schools as the office receives it, for one semester.

    Columns are the Vietnamese headers of COLUMNS, in that order; one row per school;
    ids are 8-digit text with a leading zero (longer serials only past 999 schools in a
    district). Values are as typed: numbers, 'Có'/'Không', web addresses or 'chưa có', None for
    a blank cell, and in every 45 schools about 3 blanks and 2 typing slips ('hai mươi'
    computers, an iOffice share of 130) plus schools exactly on the thresholds. The same
    arguments always give the same table; semester_index 0 is the oldest semester, and higher
    indexes show the same schools later (most improve, a few slip back).
    """
    if n_schools < 0:
        raise ValueError(f"n_schools must be 0 or more, not {n_schools}")
    if semester_index < 0:
        raise ValueError(f"semester_index must be 0 or more, not {semester_index}")
    profiles = _profiles(n_schools, seed)
    states = _states(profiles, seed, semester_index)
    rows = [_row(p, s) for p, s in zip(profiles, states, strict=True)]
    pinned = _pin_boundaries(rows, profiles, states)
    free = [i for i in range(len(rows)) if i not in pinned]
    _spoil(rows, profiles, free, random.Random(f"{seed}:spoil:{semester_index}"))
    headers = [column.header_vi for column in COLUMNS]
    return pd.DataFrame(rows, columns=headers, dtype=object)


# --- Writing the table as the office's file ----------------------------------------------------


@dataclass(frozen=True)
class _Heading:
    """What the title and signature blocks of the office's workbook say."""

    office: str
    place: str
    title: str
    signed_on: dt.date


_SEMESTER = re.compile(r"^(\d{4})-(\d{4})/HK([12])$")
_TITLE_ROWS = 5  # the header row comes right after the title block
_COLUMN_WIDTHS = MappingProxyType({
    "school_id": 11, "school_name": 36, "level": 10, "commune": 17, "principal": 22,
    "students": 9, "website_url": 38, "ioffice_share": 12, "cashless_fees": 12,
    "computer_rooms": 10, "computers": 11, "e_gradebook": 10, "e_contact_book": 10,
    "online_enrolment": 12,
})  # fmt: skip
_KEY_BY_HEADER = MappingProxyType(
    {c.header_vi: c.key for c in COLUMNS} | {c.key: c.key for c in COLUMNS}
)
_KIND_BY_KEY = MappingProxyType({c.key: c.kind for c in COLUMNS})
_PREPARER = "Lê Thị Ngọc Trâm"
_HEAD_OF_OFFICE = "Nguyễn Văn Hùng"


def _heading(semester: str, office: str, place: str) -> _Heading:
    """Title block texts for a semester such as '2026-2027/HK1'; ValueError for another form."""
    match = _SEMESTER.match(semester)
    if match is None:
        raise ValueError(f"semester must look like 2026-2027/HK1, not {semester!r}")
    first, second, term = match.groups()
    roman = "I" if term == "1" else "II"
    title = f"BÁO CÁO CHUYỂN ĐỔI SỐ CÁC TRƯỜNG HỌC — HỌC KỲ {roman} NĂM HỌC {first}-{second}"
    # Reports are signed at the end of the term: December for HK1, May for HK2.
    signed_on = dt.date(int(first), 12, 20) if term == "1" else dt.date(int(second), 5, 20)
    return _Heading(office, place, title, signed_on)


def write_district(
    frame: pd.DataFrame,
    path: Path,
    *,
    semester: str = "2026-2027/HK1",
    office: str = DEFAULT_OFFICE,
    place: str = "Giồng Trôm",
) -> None:
    """Write a district table as .csv (plain UTF-8, header on row 1) or .xlsx (office style).

    The XLSX looks like the office's own workbook: the office and national motto, a title
    naming the semester, the header row (bold) with the data below it, ids as text so their
    leading zeros survive, iOffice shares as percent cells (92.5 stored as 0.925, shown
    92.5%), and the signature block under the table. Same frame and arguments give the same
    bytes. Any other extension is a ValueError.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    elif suffix == ".xlsx":
        heading = _heading(semester, office, place)
        path.write_bytes(_pinned_zip(_xlsx_bytes(frame, heading), heading.signed_on))
    else:
        raise ValueError(f"cannot write {path.name}: use a .csv or .xlsx file name")


def _is_blank(value: object) -> bool:
    """None, NaN/NA or an empty text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return not isinstance(value, str) and bool(pd.isna(value))  # type: ignore[call-overload]


def _as_number(value: object) -> float | None:
    """The value as a number if it is one (or a text that reads as one), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None


_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = Font(name="Times New Roman", size=11)
_BOLD = Font(name="Times New Roman", size=11, bold=True)
_ITALIC = Font(name="Times New Roman", size=11, italic=True)
_TITLE = Font(name="Times New Roman", size=14, bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _put(ws: Worksheet, row: int, first: int, last: int, text: str, font: Font) -> None:
    """Write a text centred across columns first..last of one row (merged cells)."""
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = ws.cell(row=row, column=first, value=text)
    cell.font = font
    cell.alignment = Alignment(horizontal="center", vertical="center")


def _halves(n_columns: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Left and right blocks of columns for the two-sided title and signature blocks."""
    middle = max(1, n_columns // 2)
    return (1, max(1, middle - 1)), (min(n_columns, middle + 1), max(1, n_columns))


def _write_title_block(ws: Worksheet, heading: _Heading, n_columns: int) -> None:
    """Rows 1-5: office | nation, motto, blank, title, blank."""
    (l1, l2), (r1, r2) = _halves(n_columns)
    _put(ws, 1, l1, l2, heading.office, _BOLD)
    _put(ws, 1, r1, r2, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _BOLD)
    _put(ws, 2, r1, r2, "Độc lập - Tự do - Hạnh phúc", _BOLD)
    _put(ws, 4, 1, n_columns, heading.title, _TITLE)
    ws.row_dimensions[4].height = 24


def _write_header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    """The header row: bold, shaded, wrapped, bordered."""
    for column, header in enumerate(headers, start=1):
        cell = ws.cell(row=row, column=column, value=header)
        cell.font, cell.fill, cell.alignment, cell.border = _BOLD, _HEADER_FILL, _CENTER, _BORDER
    ws.row_dimensions[row].height = 45


def _data_styles() -> tuple[NamedStyle, ...]:
    """The four looks of a data cell: text, centred code or word, whole number, percent."""

    def style(name: str, number_format: str, centred: bool) -> NamedStyle:
        looks = NamedStyle(name=name, font=_FONT, border=_BORDER, number_format=number_format)
        if centred:
            looks.alignment = Alignment(horizontal="center")
        return looks

    return (
        style("data_text", "@", centred=False),
        style("data_code", "@", centred=True),
        style("data_count", "0", centred=True),
        style("data_share", "0.0%", centred=True),
    )


def _typed_cell(key: str | None, value: object) -> tuple[float | int | str | None, str]:
    """A data cell's value, typed the way the office's workbook has it, and its style name."""
    if _is_blank(value):
        return None, "data_text"
    kind = _KIND_BY_KEY.get(key or "", "text")
    number = _as_number(value) if kind in ("count", "share") else None
    if kind == "share" and number is not None:
        return number / 100, "data_share"
    if kind == "count" and number is not None:
        return (int(number) if number.is_integer() else number), "data_count"
    # Ids and every other text stay text: '08304007' keeps its zero.
    centred = kind in ("count", "share", "yes_no", "level", "id")
    return str(value), ("data_code" if centred else "data_text")


def _write_signature_block(ws: Worksheet, row: int, heading: _Heading, n_columns: int) -> None:
    """Place and date, who prepared the table and who signs it, under the data."""
    (l1, l2), (r1, r2) = _halves(n_columns)
    day = heading.signed_on
    dated = f"{heading.place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
    _put(ws, row, r1, r2, dated, _ITALIC)
    _put(ws, row + 1, l1, l2, "Người lập biểu", _BOLD)
    _put(ws, row + 1, r1, r2, "TRƯỞNG PHÒNG", _BOLD)
    _put(ws, row + 2, l1, l2, "(Ký, ghi rõ họ tên)", _ITALIC)
    _put(ws, row + 2, r1, r2, "(Ký, ghi rõ họ tên)", _ITALIC)
    _put(ws, row + 6, l1, l2, _PREPARER, _BOLD)
    _put(ws, row + 6, r1, r2, _HEAD_OF_OFFICE, _BOLD)


def _xlsx_bytes(frame: pd.DataFrame, heading: _Heading) -> bytes:
    """The workbook: title block, header, data rows, signature block, print set-up."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "Báo cáo"
    headers = [str(h) for h in frame.columns]
    keys = [_KEY_BY_HEADER.get(h) for h in headers]
    for looks in _data_styles():
        workbook.add_named_style(looks)
    _write_title_block(ws, heading, len(headers))
    header_row = _TITLE_ROWS + 1
    _write_header(ws, header_row, headers)
    for offset, record in enumerate(frame.itertuples(index=False, name=None), start=1):
        for column, (key, value) in enumerate(zip(keys, record, strict=True), start=1):
            typed, style = _typed_cell(key, value)
            ws.cell(row=header_row + offset, column=column, value=typed).style = style
    _write_signature_block(ws, header_row + len(frame) + 2, heading, len(headers))
    for column, key in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(column)].width = _COLUMN_WIDTHS.get(key or "", 14)
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    workbook.properties.creator = heading.office
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _pinned_zip(data: bytes, day: dt.date) -> bytes:
    """The XLSX with its clock times (zip entries, document properties) set to one day.

    openpyxl stamps the time of saving; pinning it makes regenerated files byte-identical.
    """
    stamp = f"{day.isoformat()}T08:00:00Z".encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, content
                )
            pinned = zipfile.ZipInfo(
                info.filename, date_time=(day.year, day.month, day.day, 8, 0, 0)
            )
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            target.writestr(pinned, content)
    return out.getvalue()
