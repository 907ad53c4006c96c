"""The Great Expectations suite that checks an intake table, generated from its columns.

There is no hand-kept suite beside the rulebook: each column's kind, range and the levels that
must fill it (declared once, in the rulebook's [[fields]]) give its expectations. The validate
stage runs the suite on a pandas frame in which

- `<key>` holds each cell's normalised text (None when blank);
- `<key>__num` holds the number read from a number column;
- `<key>__bare` holds a share's text when typed without a percent sign;
- `level__<level>` says whether the school teaches that level (a combined school teaches
  several), for the "blank" checks of columns only some levels fill.

Each expectation's `meta.problem` is the problem code shown in the data-quality report; for each
cell the first failing expectation in suite order wins. `duplicate_id` and `unsafe_id` stop the
run; `missing_id` rejects the row; warnings come last (the value is still scored as typed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from checker import ids, model

NUMBER_SUFFIX = "__num"  # the numeric companion of column k is named k + NUMBER_SUFFIX
BARE_SUFFIX = "__bare"  # a share's text typed without a percent sign
LEVEL_FLAG_PREFIX = "level__"  # boolean frame columns: does the school teach this level?

# The text of a number after normalisation, and of a whole number.
NUMBER_REGEX = r"^-?[0-9]+(\.[0-9]+)?$"
WHOLE_REGEX = r"^-?[0-9]+(\.0+)?$"
DATE_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# A share of 1 or less typed without "%": probably a fraction meant as a percentage.
FRACTION_REGEX = r"^(0?\.[0-9]*[1-9][0-9]*|1(\.0+)?)$"
YES_NO_SET = ["yes", "no"]


def build_suite(columns: Sequence[model.Column], evidence: Sequence[tuple[str, str]] = ()) -> dict:
    """The suite as a dict for `gx.ExpectationSuite(**suite)`.

    `evidence` pairs a self-scored criterion's points column with its evidence column: points
    above zero without evidence are reported on the evidence column ("no_evidence").
    """
    expectations = list(_identity_checks())
    for column in columns:
        if column.key not in ("school_id", "school_name", "level"):
            expectations.extend(_column_checks(column))
    for points, proof in evidence:
        expectations.append(_evidence_check(points, proof))
    expectations.extend(_warnings(columns))
    for order, expectation in enumerate(expectations):
        # GX does not keep the suite's order in its results; the stamp restores it.
        expectation["meta"]["order"] = order
    return {"name": "intake", "expectations": expectations}


def _expect(kind: str, column: str, problem: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation on one frame column, with its problem code."""
    return {"type": kind, "kwargs": {"column": column, **kwargs}, "meta": {"problem": problem}}


def _identity_checks() -> Iterator[dict[str, Any]]:
    """The school's own columns: an id (present, unique, safe as a file name), a name, and a
    known level."""
    yield _expect("expect_column_values_to_not_be_null", "school_id", "missing_id")
    yield _expect("expect_column_values_to_be_unique", "school_id", "duplicate_id")
    yield _expect(
        "expect_column_values_to_match_regex",
        "school_id",
        "unsafe_id",
        regex=ids.SCHOOL_ID_PATTERN,
    )
    yield _expect("expect_column_values_to_not_be_null", "school_name", "blank")
    one = "|".join(model.LEVELS)
    yield _expect(
        "expect_column_values_to_match_regex",
        "level",
        "unknown_level",
        regex=rf"^({one})(\{model.LEVEL_JOIN}({one}))*$",
    )
    yield _expect("expect_column_values_to_not_be_null", "level", "blank")


def _column_checks(column: model.Column) -> Iterator[dict[str, Any]]:
    """A field's checks, by kind: its type, its range, then a blank where it must be filled."""
    key = column.key
    if column.kind in ("count", "share", "number"):
        yield _expect(
            "expect_column_values_to_match_regex", key, "not_a_number", regex=NUMBER_REGEX
        )
        if column.kind == "count":
            yield _expect(
                "expect_column_values_to_match_regex", key, "not_whole", regex=WHOLE_REGEX
            )
        yield _expect(
            "expect_column_values_to_be_between",
            key + NUMBER_SUFFIX,
            "out_of_range",
            min_value=_plain(column.minimum),
            max_value=_plain(column.maximum),
        )
    elif column.kind == "yes_no":
        yield _expect("expect_column_values_to_be_in_set", key, "not_yes_no", value_set=YES_NO_SET)
    elif column.kind == "date":
        yield _expect("expect_column_values_to_match_regex", key, "not_a_date", regex=DATE_REGEX)
    if column.must_fill:
        yield _blank_check(column)


def _blank_check(column: model.Column) -> dict[str, Any]:
    """A blank cell is a problem, for the schools of the levels that fill the column."""
    if not column.levels:
        return _expect("expect_column_values_to_not_be_null", column.key, "blank")
    condition = " or ".join(f"{LEVEL_FLAG_PREFIX}{level} == True" for level in column.levels)
    return _expect(
        "expect_column_values_to_not_be_null",
        column.key,
        "blank",
        row_condition=condition,
        condition_parser="pandas",
    )


def _evidence_check(points: str, evidence: str) -> dict[str, Any]:
    """Points above zero need evidence (a document number or a link)."""
    return _expect(
        "expect_column_values_to_not_be_null",
        evidence,
        "no_evidence",
        row_condition=f"{points}{NUMBER_SUFFIX} > 0",
        condition_parser="pandas",
    )


def _warnings(columns: Sequence[model.Column]) -> Iterator[dict[str, Any]]:
    """Checks that warn without rejecting the value: a share typed like a fraction."""
    for column in columns:
        if column.kind == "share":
            yield _expect(
                "expect_column_values_to_not_match_regex",
                column.key + BARE_SUFFIX,
                "suspect_fraction",
                regex=FRACTION_REGEX,
            )


def _plain(number: Decimal | None) -> int | float | None:
    """A range bound as GX takes it: an int when whole."""
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)
