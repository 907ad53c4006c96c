"""VALIDATE stage: cell parsing, and real Great Expectations runs of the intake suite."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from shipped import COLUMNS, RULEBOOK

from checker import model, paths
from checker.evaluate import evaluate
from checker.rulebook import load_rulebook, load_rulebooks
from checker.validate import (
    PROBLEM_TEXTS,
    ROW_COLUMN,
    ValidationError,
    _failure,
    build_frame,
    intake_suite,
    level_text,
    normalise_rows,
    number_text,
    run_suite,
    validate_table,
    validated,
    yes_no_text,
)

GOOD = {
    "school_name": "Trường THCS Hưng Nhượng",
    "level": "THCS",
    "commune": "Hưng Nhượng",
    "principal": "Nguyễn Văn A",
    "students": "412",
    "website_url": "https://thcshungnhuong.edu.vn",
    "ioffice_share": "95",
    "cashless_fees": "Có",
    "computer_rooms": "1",
    "computers": "24",
    "e_gradebook": "Có",
    "e_contact_book": "Có",
    "online_enrolment": "Có",
}


def raw_row(number: int, school_id: str, **cells: str) -> model.RawRow:
    """A row with every known column: GOOD values, then `cells`, with the given id."""
    return model.RawRow(
        number, {c.key: "" for c in COLUMNS} | GOOD | {"school_id": school_id} | cells
    )


def table(*rows: model.RawRow, name: str = "truong.csv") -> model.RawTable:
    """A RawTable as the loader would hand it over."""
    return model.RawTable(Path(name), "0" * 64, 1, rows)


def school(intake: model.Intake, school_id: str) -> model.School:
    """The school with that id (fails the test if absent)."""
    found = [s for s in intake.schools if s.school_id == school_id]
    assert len(found) == 1, f"{school_id} not among {[s.school_id for s in intake.schools]}"
    return found[0]


def codes(found: model.School) -> dict[str, str]:
    """Column -> problem code of the school's problems."""
    return {p.column: p.code for p in found.problems}


# ---------------------------------------------------------------------------------------------
# Parsing, without GX


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("95", "share", "95"),
        ("95%", "share", "95"),
        ("92,5", "share", "92.5"),
        ("92.5", "share", "92.5"),
        ("92,5%", "share", "92.5"),
        ("92,5 %", "share", "92.5"),
        ("1.234", "count", "1234"),
        ("1.234", "share", "1.234"),
        ("1\u00a0234", "count", "1234"),
        ("1 234", "count", "1234"),
        ("1.234,5", "count", "1234.5"),
        ("1,234.5", "count", "1234.5"),
        ("12,5", "count", "12.5"),
        ("95%", "count", "95%"),
        ("−3", "count", "-3"),
        ("hai mươi", "count", "haimươi"),
        ("1.2.3", "share", "1.2.3"),
        ("1,2,3", "count", "1,2,3"),
    ],
)
def test_number_text(text: str, kind: model.Kind, expected: str) -> None:
    assert number_text(text, kind) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có", "yes"),
        ("có", "yes"),
        ("CO", "yes"),
        ("x", "yes"),
        ("X", "yes"),
        ("Yes", "yes"),
        ("y", "yes"),
        ("TRUE", "yes"),
        ("1", "yes"),
        ("Không", "no"),
        ("khong", "no"),
        ("KHÔNG", "no"),
        ("No", "no"),
        ("n", "no"),
        ("false", "no"),
        ("0", "no"),
        ("đạt", "đạt"),
        ("maybe", "maybe"),
    ],
)
def test_yes_no_text(text: str, expected: str) -> None:
    assert yes_no_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mầm non", "mam_non"),
        ("MẦM NON", "mam_non"),
        ("mam non", "mam_non"),
        ("Mẫu giáo", "mam_non"),
        ("MN", "mam_non"),
        ("mg", "mam_non"),
        ("mam_non", "mam_non"),
        ("Tiểu học", "tieu_hoc"),
        ("tieu hoc", "tieu_hoc"),
        ("TH", "tieu_hoc"),
        ("tieu_hoc", "tieu_hoc"),
        ("THCS", "thcs"),
        ("Trung học cơ sở", "thcs"),
        ("trung  hoc co so", "thcs"),
        ("thcs", "thcs"),
        (unicodedata.normalize("NFD", "Tiểu học"), "tieu_hoc"),
        ("Nhà trẻ", "Nhà trẻ"),
        ("THPT", "thpt"),
        ("TH&THCS", "tieu_hoc+thcs"),
        ("Đại học", "Đại học"),
    ],
)
def test_level_text(text: str, expected: str) -> None:
    assert level_text(text) == expected


# ---------------------------------------------------------------------------------------------
# One shared GX run over many cases


@pytest.fixture(scope="module")
def intake() -> model.Intake:
    """One validated table holding a row per case below (one GX run for the module)."""
    return validate_table(
        table(
            raw_row(2, "08304007"),
            raw_row(3, "RANGE", ioffice_share="130", students="-3"),
            raw_row(4, "WORDS", computers="hai mươi"),
            raw_row(5, "LEVEL", level="Nhà trẻ", computers="", cashless_fees=""),
            raw_row(6, "BLANKS", computers="", e_gradebook="", cashless_fees="Không"),
            raw_row(7, "INVALID", e_gradebook="maybe", computer_rooms="1,5"),
            raw_row(8, "FORMATS", ioffice_share="92,5%", students="1.234", computers="1\u00a0020"),
            raw_row(
                9, "PERCENT", ioffice_share="95%", e_contact_book="x", online_enrolment="khong"
            ),
            raw_row(10, ""),
            model.RawRow(11, {c.key: " " for c in COLUMNS}),
            raw_row(
                12, "PRESCHOOL", level="Mầm non", computers="", computer_rooms="", e_gradebook=""
            ),
            raw_row(13, "ORDER", computers="-3.5"),
            raw_row(
                14,
                "NFD",
                school_name=unicodedata.normalize("NFD", "Trường Mầm non Sơn Phú"),
                level=unicodedata.normalize("NFD", "Mầm non"),
            ),
            raw_row(15, "NOLEVEL", level=""),
            raw_row(16, "HUGE", computers="9" * 400, students="2000000"),
        ),
        RULEBOOK,
    )


def test_clean_row_has_typed_values_and_no_problem(intake: model.Intake) -> None:
    found = school(intake, "08304007")
    assert found.problems == ()
    assert found.level == "thcs"
    assert found.values["ioffice_share"] == 95.0
    assert found.values["computers"] == 24
    assert found.values["cashless_fees"] is True
    assert found.values["website_url"] == "https://thcshungnhuong.edu.vn"
    assert found.raw["level"] == "THCS"


def test_out_of_range_values_become_none_with_a_problem(intake: model.Intake) -> None:
    found = school(intake, "RANGE")
    assert codes(found) == {"ioffice_share": "out_of_range", "students": "out_of_range"}
    assert found.values["ioffice_share"] is None
    assert found.values["students"] is None
    problem = next(p for p in found.problems if p.column == "ioffice_share")
    assert (problem.row_number, problem.value, problem.school_name) == (
        3,
        "130",
        GOOD["school_name"],
    )


def test_absurdly_large_counts_are_out_of_range(intake: model.Intake) -> None:
    found = school(intake, "HUGE")
    assert codes(found) == {"computers": "out_of_range", "students": "out_of_range"}
    assert found.values["computers"] is None


def test_words_for_a_number_are_not_a_number(intake: model.Intake) -> None:
    found = school(intake, "WORDS")
    assert codes(found) == {"computers": "not_a_number"}
    assert found.values["computers"] is None
    assert found.values["computer_rooms"] == 1


def test_unknown_level_keeps_the_school_without_a_level(intake: model.Intake) -> None:
    found = school(intake, "LEVEL")
    assert found.level is None
    # Only the level is reported: blanks in level-specific columns depend on the level.
    assert codes(found) == {"level": "unknown_level"}


def test_blank_level_is_reported_as_blank(intake: model.Intake) -> None:
    found = school(intake, "NOLEVEL")
    assert found.level is None
    assert codes(found) == {"level": "blank"}


def test_blank_is_missing_and_no_is_a_value(intake: model.Intake) -> None:
    found = school(intake, "BLANKS")
    assert codes(found) == {"computers": "blank", "e_gradebook": "blank"}
    assert found.values["computers"] is None
    assert found.values["e_gradebook"] is None
    assert found.values["cashless_fees"] is False


def test_invalid_differs_from_blank(intake: model.Intake) -> None:
    found = school(intake, "INVALID")
    assert codes(found) == {"e_gradebook": "not_yes_no", "computer_rooms": "not_whole"}
    assert found.values["e_gradebook"] is None
    assert found.values["computer_rooms"] is None


def test_decimal_comma_percent_sign_and_grouping(intake: model.Intake) -> None:
    found = school(intake, "FORMATS")
    assert found.problems == ()
    assert found.values["ioffice_share"] == 92.5
    assert found.values["students"] == 1234
    assert found.values["computers"] == 1020


def test_percent_sign_and_yes_no_spellings(intake: model.Intake) -> None:
    found = school(intake, "PERCENT")
    assert found.problems == ()
    assert found.values["ioffice_share"] == 95.0
    assert found.values["e_contact_book"] is True
    assert found.values["online_enrolment"] is False


def test_blanks_in_columns_no_criterion_of_the_level_reads(intake: model.Intake) -> None:
    found = school(intake, "PRESCHOOL")
    assert found.level == "mam_non"
    assert found.problems == ()
    assert found.values["computers"] is None


def test_first_failing_expectation_wins(intake: model.Intake) -> None:
    found = school(intake, "ORDER")
    # -3.5 is neither whole nor in range: one problem, the suite's earlier check.
    assert [(p.column, p.code) for p in found.problems] == [("computers", "not_whole")]


def test_decomposed_diacritics_match_and_come_out_composed(intake: model.Intake) -> None:
    found = school(intake, "NFD")
    assert found.level == "mam_non"
    assert found.name == "Trường Mầm non Sơn Phú"
    assert unicodedata.is_normalized("NFC", found.name)


def test_row_without_id_is_rejected_not_dropped(intake: model.Intake) -> None:
    assert [(r.row_number, r.code) for r in intake.rejected] == [(10, "missing_id")]
    assert intake.rejected[0].cells["school_name"] == GOOD["school_name"]
    missing = [p for p in intake.problems if p.row_number == 10]
    assert [(p.column, p.code) for p in missing] == [("school_id", "missing_id")]
    assert all(s.row_number != 10 for s in intake.schools)


def test_blank_row_is_neither_school_nor_rejected(intake: model.Intake) -> None:
    assert all(s.row_number != 11 for s in intake.schools)
    assert all(r.row_number != 11 for r in intake.rejected)


def test_leading_zeros_and_every_school_kept(intake: model.Intake) -> None:
    assert [s.school_id for s in intake.schools][:2] == ["08304007", "RANGE"]
    assert len(intake.schools) + len(intake.rejected) == 14  # 15 rows, one blank


def test_intake_problems_are_the_schools_and_rejected_rows_problems(intake: model.Intake) -> None:
    from_schools = {p for s in intake.schools for p in s.problems}
    from_rejected = {p for p in intake.problems if p.row_number == 10}
    assert from_rejected == {
        model.Problem(
            10,
            "",
            GOOD["school_name"],
            "school_id",
            "",
            "missing_id",
            "id",
            ("Mã trường", "School ID"),
        )
    }
    assert set(intake.problems) == from_schools | from_rejected
    assert len(intake.problems) == len(from_schools) + 1
    assert len({(p.row_number, p.column) for p in intake.problems}) == len(intake.problems)


# ---------------------------------------------------------------------------------------------
# File-level errors, each its own GX run


def test_duplicate_ids_stop_with_ids_and_rows() -> None:
    rows = (raw_row(5, "08304007"), raw_row(6, "B"), raw_row(7, "C"), raw_row(9, "08304007"))
    with pytest.raises(ValidationError) as caught:
        validate_table(table(*rows, name="hocky1.csv"), RULEBOOK)
    message = str(caught.value)
    assert "hocky1.csv" in message
    assert "08304007 (5, 9)" in message
    assert "B (" not in message
    assert caught.value.params["duplicates"] == "08304007 (5, 9)"
    assert "{duplicates}" in caught.value.msgid
    assert isinstance(caught.value, model.InputError)


def test_unsafe_id_stops_with_the_id_and_row() -> None:
    rows = (raw_row(2, "A1"), raw_row(3, "../etc/passwd"), raw_row(4, "x" * 33))
    with pytest.raises(ValidationError) as caught:
        validate_table(table(*rows), RULEBOOK)
    assert caught.value.params["unsafe"].startswith("../etc/passwd (3); xxxx")
    assert "(4)" in str(caught.value)
    assert "truong.csv" in str(caught.value)


def test_unsafe_id_is_shown_without_control_characters() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_table(table(raw_row(2, "A\x1b[31mB")), RULEBOOK)
    assert "\x1b" not in str(caught.value)
    assert "A\\u001b[31mB (2)" in str(caught.value)


def test_duplicate_and_unsafe_ids_in_one_message() -> None:
    rows = (raw_row(2, "A"), raw_row(3, "A"), raw_row(4, "<b>"))
    with pytest.raises(ValidationError) as caught:
        validate_table(table(*rows), RULEBOOK)
    assert caught.value.params["duplicates"] == "A (2, 3)"
    assert caught.value.params["unsafe"] == "<b> (4)"


def test_empty_table_gives_an_empty_intake() -> None:
    intake = validate_table(table(), RULEBOOK)
    assert (intake.schools, intake.rejected, intake.problems) == ((), (), ())


# ---------------------------------------------------------------------------------------------
# The suite is the authority


def relaxed_rulebook(tmp_path: Path, field: str, setting: str) -> model.Rulebook:
    """The shipped rulebook with one more setting on one field (e.g. 'max = 50')."""
    text = paths.DEFAULT_RULEBOOK.read_text(encoding="utf-8")
    declaration = f'key = "{field}"\n'
    assert declaration in text
    path = tmp_path / "rulebook.toml"
    path.write_text(text.replace(declaration, declaration + setting + "\n", 1), encoding="utf-8")
    return load_rulebook(path)


def test_the_checks_follow_the_fields_range(tmp_path: Path) -> None:
    """The suite is generated from the rulebook's fields: a narrower range rejects a value the
    shipped range accepts, and the criterion reading it is then unscored, not met."""
    row = raw_row(2, "A", computers="60")
    shipped = validate_table(table(row), RULEBOOK)
    assert shipped.problems == ()
    assert shipped.schools[0].values["computers"] == 60
    narrow = relaxed_rulebook(tmp_path, "computers", "max = 50")
    intake = validate_table(table(row), narrow)
    assert [(p.column, p.code, p.value) for p in intake.problems] == [
        ("computers", "out_of_range", "60")
    ]
    assert intake.schools[0].values["computers"] is None
    [verdict] = [
        v for v in evaluate(intake.schools, narrow)[0].verdicts if v.criterion_id == "computer_lab"
    ]
    assert (verdict.status, verdict.reason) == ("missing", "invalid")


def test_a_field_no_level_must_fill_has_no_blank_check(tmp_path: Path) -> None:
    """`must_fill = false` on a field a criterion reads: a blank is no data problem (the
    criterion is still unscored), where the shipped rulebook reports it."""
    row = raw_row(2, "A", ioffice_share="")
    assert [p.code for p in validate_table(table(row), RULEBOOK).problems] == ["blank"]
    optional = relaxed_rulebook(tmp_path, "ioffice_share", "must_fill = false")
    assert validate_table(table(row), optional).problems == ()


def test_two_passes_find_what_one_complete_pass_finds() -> None:
    # run_suite asks GX for each expectation's outcome, then for the failing rows of the
    # failed ones only: the failures must be those of one complete pass over the whole suite.
    frame = build_frame(normalise_rows(SLICED_ROWS, COLUMNS), COLUMNS)
    suite = intake_suite(RULEBOOK)
    complete = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_COLUMN]}
    one_pass = [_failure(item) for item in validated(frame, suite, complete) if not item.success]
    assert len(one_pass) >= 6  # blanks, ranges, words, a fraction, a missing id, a bad level
    assert run_suite(frame, suite) == tuple(sorted(one_pass, key=lambda f: f.order))


def test_a_broken_suite_fails_loudly() -> None:
    expectation = {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "no_such_column"},
        "meta": {"problem": "blank", "order": 0},
    }
    frame = build_frame(normalise_rows([raw_row(2, "A")], COLUMNS), COLUMNS)
    with pytest.raises(RuntimeError, match="no_such_column"):
        run_suite(frame, {"name": "x", "expectations": [expectation]})


def test_every_problem_code_of_the_suite_has_texts() -> None:
    index = load_rulebooks((paths.DEFAULT_RULEBOOK, paths.QD4725_RULEBOOK))
    suite_codes = {e["meta"]["problem"] for e in intake_suite(index)["expectations"]}
    assert {"no_evidence", "out_of_range", "suspect_fraction"} <= suite_codes
    assert suite_codes <= set(PROBLEM_TEXTS)
    for what, fix in PROBLEM_TEXTS.values():
        assert what.strip() and not what.endswith(".")  # scorecards add the full stop
        assert fix.strip().endswith(".")
        # Shown with str.format(column=..., value=..., percent=...): no other braces.
        assert "{" not in what.format(column="c", value="v", percent="p")


# ---------------------------------------------------------------------------------------------
# Validation in slices of rows (memory bounded by the slice, not the table)

SLICED_ROWS = (
    raw_row(2, "08304007"),
    raw_row(3, "RANGE", ioffice_share="130", students="-3"),
    raw_row(4, ""),
    model.RawRow(5, {c.key: " " for c in COLUMNS}),
    raw_row(6, "WORDS", computers="hai mươi", level="Nhà trẻ"),
    raw_row(7, "BLANKS", computers="", e_gradebook=""),
    raw_row(8, "FRACTION", ioffice_share="0,95"),
)


@pytest.fixture(scope="module")
def whole_intake() -> model.Intake:
    """SLICED_ROWS validated in one slice."""
    whole = validate_table(table(*SLICED_ROWS), RULEBOOK)
    assert whole.problems and whole.rejected  # the cases above do find something
    return whole


@pytest.mark.parametrize("size", [1, 2, 3])
def test_slices_give_the_whole_tables_intake(size: int, whole_intake: model.Intake) -> None:
    assert validate_table(table(*SLICED_ROWS), RULEBOOK, slice_rows=size) == whole_intake


def test_repeated_id_found_across_slices() -> None:
    rows = (raw_row(2, "A"), raw_row(3, "B"), raw_row(4, "C"), raw_row(5, "A"), raw_row(6, "<b>"))
    with pytest.raises(ValidationError) as caught:
        validate_table(table(*rows), RULEBOOK, slice_rows=2)
    assert caught.value.params["duplicates"] == "A (2, 5)"
    assert caught.value.params["unsafe"] == "<b> (6)"


def test_slices_through_a_validator_process(whole_intake: model.Intake) -> None:
    # As `checker run` does: each slice is pickled to a forked process and its part back.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as validator:
        sliced = validate_table(table(*SLICED_ROWS), RULEBOOK, validator, slice_rows=3)
    assert sliced == whole_intake


def test_schools_keep_their_rows_own_cells() -> None:
    # Not a copy per school: the table's rows are kept anyway (and a validator process never
    # sends the cells back).
    rows = (raw_row(2, "A"), raw_row(3, ""))
    intake = validate_table(table(*rows), RULEBOOK, slice_rows=1)
    assert school(intake, "A").raw is rows[0].cells
    assert intake.rejected[0].cells is rows[1].cells
