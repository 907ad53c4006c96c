"""EVALUATE stage: criteria at their boundaries, applicability, three-valued rule, golden files."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from shipped import COLUMNS, RULEBOOK

from checker import model, paths
from checker.evaluate import (
    OPS,
    combine,
    district_rates,
    evaluate,
    gte,
    is_filled,
    is_web_address,
    is_yes,
    judge,
    lte,
)
from checker.rulebook import load_rulebook
from checker.validate import validate_table

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_FILES = sorted(GOLDEN_DIR.glob("*.csv"))
GOLDEN_META = ("note", "level", "expected")


@pytest.fixture(scope="module")
def rulebook() -> model.Rulebook:
    """The shipped rulebook."""
    return load_rulebook(paths.DEFAULT_RULEBOOK)


def make_school(level: str | None, **values: model.Value) -> model.School:
    """A validated school with the given typed values (None for every other column)."""
    full: dict[str, model.Value] = {c.key: None for c in COLUMNS} | values
    return model.School(7, "S7", "Trường thử", level, "", "", full, {})


def status(
    rulebook: model.Rulebook, criterion_id: str, level: str | None, **values: model.Value
) -> str:
    """The status of one criterion for a school with these values."""
    criterion = next(c for c in rulebook.criteria if c.id == criterion_id)
    return judge(make_school(level, **values), criterion).status


# ---------------------------------------------------------------------------------------------
# Boundaries of each criterion


@pytest.mark.parametrize(
    ("share", "expected"),
    [
        (89.9, "not_met"),
        (90.0, "met"),
        (90, "met"),
        (100.0, "met"),
        (0.0, "not_met"),
        (None, "missing"),
    ],
)
def test_ioffice_threshold(rulebook: model.Rulebook, share: float | None, expected: str) -> None:
    assert status(rulebook, "ioffice", "mam_non", ioffice_share=share) == expected


@pytest.mark.parametrize(
    ("rooms", "computers", "expected"),
    [
        (1, 20, "met"),
        (1, 19, "not_met"),
        (0, 20, "not_met"),
        (0, 19, "not_met"),
        (3, 120, "met"),
        (None, 19, "not_met"),  # a known failing part decides
        (None, 20, "missing"),
        (1, None, "missing"),
        (0, None, "not_met"),
        (None, None, "missing"),
    ],
)
def test_computer_lab_boundaries(
    rulebook: model.Rulebook, rooms: int | None, computers: int | None, expected: str
) -> None:
    assert (
        status(rulebook, "computer_lab", "thcs", computer_rooms=rooms, computers=computers)
        == expected
    )


@pytest.mark.parametrize(
    ("gradebook", "contact_book", "expected"),
    [
        (True, True, "met"),
        (True, False, "not_met"),
        (False, True, "not_met"),
        (True, None, "missing"),
        (None, False, "not_met"),
        (None, None, "missing"),
    ],
)
def test_e_gradebook_needs_both(
    rulebook: model.Rulebook, gradebook: bool | None, contact_book: bool | None, expected: str
) -> None:
    got = status(
        rulebook, "e_gradebook", "tieu_hoc", e_gradebook=gradebook, e_contact_book=contact_book
    )
    assert got == expected


@pytest.mark.parametrize("criterion_id", ["cashless_fees", "online_enrolment"])
@pytest.mark.parametrize(
    ("answer", "expected"), [(True, "met"), (False, "not_met"), (None, "missing")]
)
def test_blank_is_missing_and_no_is_not_met(
    rulebook: model.Rulebook, criterion_id: str, answer: bool | None, expected: str
) -> None:
    assert status(rulebook, criterion_id, "thcs", **{criterion_id: answer}) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.edu.vn", "met"),
        ("www.x.edu.vn", "met"),
        ("x.edu.vn", "met"),
        ("http://thcs-hungnhuong.edu.vn/gioi-thieu?id=1", "met"),
        ("www.x.edu.vn:8080/trang", "met"),
        ("chưa có", "not_met"),
        ("javascript:alert(1)", "not_met"),
        ("JavaScript:alert(1)", "not_met"),
        ("http://localhost", "not_met"),
        ("http://127.0.0.1", "not_met"),
        ("ftp://x.edu.vn", "not_met"),
        ("https://www.truong.edu.vn@evil.com", "not_met"),
        ("http:/x.edu.vn", "not_met"),
        ("https://x..vn", "not_met"),
        ("https://x.vn:99999", "not_met"),
        ("x.123", "not_met"),
        (None, "missing"),
    ],
)
def test_website_addresses(rulebook: model.Rulebook, url: str | None, expected: str) -> None:
    assert status(rulebook, "website", "thcs", website_url=url) == expected


# ---------------------------------------------------------------------------------------------
# Applicability and the three-valued rule

APPLICABLE = {
    "mam_non": {"website", "ioffice", "cashless_fees"},
    "tieu_hoc": {"website", "ioffice", "computer_lab", "e_gradebook", "online_enrolment"},
    "thcs": {
        "website",
        "ioffice",
        "cashless_fees",
        "computer_lab",
        "e_gradebook",
        "online_enrolment",
    },
    "thpt": {"website", "ioffice"},  # the criteria of every level only
}


@pytest.mark.parametrize("level", model.LEVELS)
def test_each_levels_applicable_criteria(rulebook: model.Rulebook, level: str) -> None:
    (result,) = evaluate([make_school(level)], rulebook)
    applicable = {v.criterion_id for v in result.verdicts if v.status != "not_applicable"}
    assert applicable == APPLICABLE[level]
    assert result.applicable == len(APPLICABLE[level])


def test_unknown_level_makes_every_criterion_missing(rulebook: model.Rulebook) -> None:
    school = make_school(None, ioffice_share=100.0, website_url="https://x.edu.vn")
    (result,) = evaluate([school], rulebook)
    assert [v.status for v in result.verdicts] == ["missing"] * len(rulebook.criteria)
    assert result.verdicts[1].values == {"ioffice_share": 100.0}
    assert result.score == 0.0


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([True], "met"),
        ([True, True], "met"),
        ([False], "not_met"),
        ([None], "missing"),
        ([True, None], "missing"),
        ([None, False], "not_met"),
        ([False, None, True], "not_met"),
    ],
)
def test_three_valued_and(outcomes: list[bool | None], expected: str) -> None:
    assert combine(outcomes) == expected


def test_verdicts_follow_rulebook_order_and_carry_the_values_read(rulebook: model.Rulebook) -> None:
    school = make_school("thcs", computer_rooms=1, computers=19, students=500)
    (result,) = evaluate([school], rulebook)
    assert [v.criterion_id for v in result.verdicts] == [c.id for c in rulebook.criteria]
    lab = result.verdicts[[c.id for c in rulebook.criteria].index("computer_lab")]
    assert lab.values == {"computer_rooms": 1, "computers": 19}
    assert lab.status == "not_met"


def test_district_rates_count_met_over_applicable(rulebook: model.Rulebook) -> None:
    schools = [
        make_school("mam_non", ioffice_share=95.0, cashless_fees=True),
        make_school("tieu_hoc", ioffice_share=80.0),
        make_school("thcs", cashless_fees=False),
        make_school(None, ioffice_share=99.0),
    ]
    rates = district_rates(evaluate(schools, rulebook), rulebook)
    assert list(rates) == [c.id for c in rulebook.criteria]
    assert rates["ioffice"] == (1, 4)  # the thcs school's blank and the unknown level count
    assert rates["cashless_fees"] == (1, 3)  # primary is not applicable
    assert rates["computer_lab"] == (0, 3)
    assert rates["website"] == (0, 4)


def test_ops_are_documented_and_typed() -> None:
    assert set(OPS) == {"is_yes", "gte", "lte", "is_web_address", "is_filled"}
    assert all(op.doc for op in OPS.values())
    assert is_yes(True) and not is_yes(False)
    assert gte(20, 20.0) and not gte(19, 20.0)
    assert lte(20, 20.0) and not lte(21, 20.0)
    assert is_filled("QĐ 12/QĐ-THCS") and not is_filled("")
    assert is_web_address("www.x.edu.vn") and not is_web_address(" ")
    with pytest.raises(TypeError):
        gte(True, 1.0)


# ---------------------------------------------------------------------------------------------
# Golden files: tests/golden/<criterion>.csv, raw cells in, one status out


def golden_rows(path: Path) -> list[dict[str, str]]:
    """The rows of one golden file."""
    with path.open(encoding="utf-8", newline="") as golden:
        return list(csv.DictReader(golden))


@pytest.fixture(scope="module")
def golden_results(rulebook: model.Rulebook) -> dict[str, model.SchoolResult]:
    """Every golden row of every file, validated in one GX run and evaluated: id -> result."""
    rows: list[model.RawRow] = []
    for path in GOLDEN_FILES:
        for number, golden in enumerate(golden_rows(path), start=1):
            cells = {c.key: "" for c in COLUMNS} | {
                key: value for key, value in golden.items() if key not in GOLDEN_META
            }
            cells |= {
                "school_id": f"{path.stem}-{number}",
                "school_name": golden["note"],
                "level": golden["level"],
            }
            rows.append(model.RawRow(len(rows) + 2, cells))
    intake = validate_table(model.RawTable(GOLDEN_DIR / "golden.csv", "", 1, tuple(rows)), RULEBOOK)
    return {result.school.school_id: result for result in evaluate(intake.schools, rulebook)}


def test_every_criterion_has_a_golden_file(rulebook: model.Rulebook) -> None:
    assert [p.stem for p in GOLDEN_FILES] == sorted(c.id for c in rulebook.criteria)


@pytest.mark.parametrize("golden_file", GOLDEN_FILES, ids=lambda path: path.stem)
def test_golden(golden_file: Path, golden_results: dict[str, model.SchoolResult]) -> None:
    criterion_id = golden_file.stem
    expected = {
        f"{criterion_id}-{n}": row for n, row in enumerate(golden_rows(golden_file), start=1)
    }
    assert expected, f"{golden_file} has no rows"
    wrong = []
    for school_id, row in expected.items():
        verdict = next(
            v for v in golden_results[school_id].verdicts if v.criterion_id == criterion_id
        )
        if verdict.status != row["expected"]:
            wrong.append(f"{row['note']}: expected {row['expected']}, got {verdict.status}")
    assert not wrong, "\n".join(wrong)


def test_a_score_counts_missing_as_not_met_and_leaves_out_what_does_not_apply() -> None:
    statuses = ["met", "missing", "not_applicable", "not_met", "met"]
    assert model.met_and_applicable(statuses) == (2, 4)
    assert model.met_and_applicable(["not_applicable"]) == (0, 0)
    assert model.met_and_applicable([]) == (0, 0)


@pytest.mark.parametrize(
    ("statuses", "every"),
    [
        (("met", "not_applicable", "met"), True),
        (("met", "missing"), False),  # a blank is not a criterion met
        (("met", "not_met"), False),
        (("not_applicable", "not_applicable"), False),  # nothing applies: nothing met
        (("met", "met", "not_met_points"), True),  # a points item is not in the plan's score
    ],
)
def test_meeting_every_criterion_is_of_the_plans_criteria_that_apply(
    statuses: tuple[str, ...], every: bool
) -> None:
    verdicts = tuple(
        model.Verdict(f"c{i}", "not_met", points=Decimal(0))
        if status == "not_met_points"
        else model.Verdict(f"c{i}", status)  # type: ignore[arg-type]
        for i, status in enumerate(statuses)
    )
    result = model.SchoolResult(make_school("thcs"), verdicts)
    assert result.meets_every_criterion is every
    assert (result.score == 1.0) is every
