"""The school-id rule (checker/ids.py) and where it is applied: the intake suite, the
validator's refusal, the intake form and the writer."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped import COLUMNS, RULEBOOK

from checker import ids, model
from checker.intake_form import MAX_ID_LENGTH
from checker.validate import ValidationError, intake_suite, validate_table
from checker.write import scorecard_relpath

GOOD = {
    "school_name": "Trường THCS Hưng Nhượng",
    "level": "THCS",
    "website_url": "https://thcshungnhuong.edu.vn",
    "ioffice_share": "95",
    "cashless_fees": "Có",
    "computer_rooms": "1",
    "computers": "20",
    "e_gradebook": "Có",
    "e_contact_book": "Có",
    "online_enrolment": "Có",
}


def table(*school_ids: str) -> model.RawTable:
    rows = tuple(
        model.RawRow(number, {c.key: "" for c in COLUMNS} | GOOD | {"school_id": i})
        for number, i in enumerate(school_ids, start=2)
    )
    return model.RawTable(Path("truong.csv"), "0" * 64, 1, rows)


@pytest.mark.parametrize(
    "school_id",
    [
        "CON",
        "con",
        "Nul",
        "PRN",
        "AUX",
        "COM1",
        "com9",
        "LPT1",
        "lpt0",
        "../x",
        "a.b",
        "x" * 33,
        "",
    ],
)
def test_unsafe_ids(school_id: str) -> None:
    assert not ids.is_safe_id(school_id)


@pytest.mark.parametrize(
    "school_id", ["08304007", "CONG", "COM10", "NULL", "TH-01", "a_b", "x" * 32]
)
def test_safe_ids(school_id: str) -> None:
    assert ids.is_safe_id(school_id)


def test_case_collisions_list_every_row_of_each_spelling() -> None:
    found = ids.case_collisions({2: "abc", 3: "S1", 4: "ABC", 5: "Abc", 6: "S1"})

    assert found == [2, 4, 5]


def test_the_suite_takes_its_id_regex_from_the_one_rule() -> None:
    generated = intake_suite(RULEBOOK)
    unsafe = [e for e in generated["expectations"] if e["meta"]["problem"] == "unsafe_id"]
    assert [e["kwargs"]["regex"] for e in unsafe] == [ids.SCHOOL_ID_PATTERN]
    assert MAX_ID_LENGTH == ids.MAX_LENGTH


def test_windows_device_names_are_refused_with_their_rows() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_table(table("08304007", "CON", "com1", "S2"), RULEBOOK)

    assert caught.value.params["unsafe"] == "CON (3); com1 (4)"
    assert "truong.csv" in str(caught.value)


def test_ids_differing_only_by_case_are_refused_with_their_rows() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_table(table("abc", "S1", "ABC"), RULEBOOK)

    assert caught.value.params["unsafe"] == "abc (2); ABC (4)"
    assert "duplicates" not in caught.value.params


def test_the_writer_refuses_an_unsafe_id() -> None:
    assert scorecard_relpath("08304007") == "scorecards/08304007.pdf"
    for school_id in ("CON", "../x", "a/b"):
        with pytest.raises(ValueError, match="is not a safe school id"):
            scorecard_relpath(school_id)
