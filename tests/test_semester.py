"""Semester labels: parsing, validation messages, ordering, previous()."""

from __future__ import annotations

import pytest

from checker.semester import Semester, parse_semester, previous


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2026-2027/HK1", Semester(2026, 1)),
        ("2026-2027/HK2", Semester(2026, 2)),
        ("  2026-2027/HK2\n", Semester(2026, 2)),
        ("2026-2027/hk1", Semester(2026, 1)),
        ("2026 - 2027 / HK 1", Semester(2026, 1)),
        ("2026–2027/HK2", Semester(2026, 2)),  # en dash, as word processors type it
        ("2026-2027/HKI", Semester(2026, 1)),
        ("2026-2027/hkII", Semester(2026, 2)),
    ],
)
def test_parse_accepts_label_variants(label: str, expected: Semester) -> None:
    assert parse_semester(label) == expected


@pytest.mark.parametrize(
    "label",
    [
        "",
        "2026/HK1",
        "2026-2027",
        "2026-2027/HK3",
        "2026-2027/HK0",
        "26-27/HK1",
        "2026-2027/Học kỳ 1",
        "HK1/2026-2027",
        "2026-2027/HK1 extra",
    ],
)
def test_parse_rejects_malformed_labels_with_an_example(label: str) -> None:
    with pytest.raises(ValueError, match=r"not a semester label.*e\.g\. 2026-2027/HK1"):
        parse_semester(label)


def test_parse_rejects_years_that_do_not_follow() -> None:
    with pytest.raises(
        ValueError, match=r"second year must follow the first, e\.g\. 2026-2027/HK2"
    ):
        parse_semester("2026-2028/HK2")
    with pytest.raises(ValueError, match="second year must follow"):
        parse_semester("2027-2026/HK1")


def test_str_is_canonical_and_round_trips() -> None:
    semester = parse_semester(" 2026 – 2027 / hkii ")
    assert str(semester) == "2026-2027/HK2"
    assert semester.label == "2026-2027/HK2"
    assert semester.school_year == "2026-2027"
    assert parse_semester(str(semester)) == semester


def test_direct_construction_is_validated() -> None:
    with pytest.raises(ValueError, match="term 3"):
        Semester(2026, 3)
    with pytest.raises(ValueError, match="four-digit"):
        Semester(26, 1)


def test_order_is_school_year_then_term() -> None:
    labels = ["2026-2027/HK1", "2025-2026/HK2", "2026-2027/HK2", "2025-2026/HK1"]
    ordered = sorted(parse_semester(label) for label in labels)
    assert [str(s) for s in ordered] == [
        "2025-2026/HK1",
        "2025-2026/HK2",
        "2026-2027/HK1",
        "2026-2027/HK2",
    ]
    assert parse_semester("2025-2026/HK2") < parse_semester("2026-2027/HK1")


def test_semesters_are_hashable_values() -> None:
    assert {parse_semester("2026-2027/hk1"), Semester(2026, 1)} == {Semester(2026, 1)}


def test_previous_is_the_latest_strictly_earlier_semester() -> None:
    known = [Semester(2026, 2), Semester(2025, 1), Semester(2026, 1), Semester(2025, 2)]
    assert previous(known, Semester(2026, 2)) == Semester(2026, 1)
    assert previous(known, Semester(2026, 1)) == Semester(2025, 2)
    assert previous(known, Semester(2027, 1)) == Semester(2026, 2)  # current not recorded
    assert previous(known, Semester(2025, 1)) is None
    assert previous([], Semester(2025, 1)) is None
