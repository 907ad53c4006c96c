"""The results and data-quality tables streamed to their files: the same bytes as the tables
built whole, batch by batch, whatever the batch size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE, school, write_csv
from shipped import COLUMNS, RULEBOOK

from checker.evaluate import evaluate
from checker.i18n import load_translator
from checker.load import load_table
from checker.model import Intake, SchoolResult
from checker.outfiles import write_atomic_parts
from checker.paths import DEFAULT_RULEBOOK
from checker.rulebook import load_rulebook
from checker.validate import validate_table
from checker.write import (
    RESULT_FIELDS,
    csv_bytes,
    json_bytes,
    quality_csv,
    quality_csv_parts,
    result_rows,
    results_csv_parts,
    results_json_parts,
    results_payload,
)

FORM = tuple(column.key for column in COLUMNS)  # the form's column order


def checked(path: Path) -> tuple[Intake, list[SchoolResult]]:
    """A table loaded, validated and evaluated with the default rulebook."""
    intake = validate_table(load_table(path, COLUMNS), RULEBOOK)
    return intake, list(evaluate(intake.schools, load_rulebook(DEFAULT_RULEBOOK)))


@pytest.fixture(scope="module")
def sample() -> tuple[Intake, list[SchoolResult]]:
    return checked(SAMPLE / "giong_trom_2025-2026_HK1.csv")


@pytest.mark.parametrize("batch", [1, 7, 45, 1000])
def test_streamed_tables_are_the_tables_built_whole(
    sample: tuple[Intake, list[SchoolResult]], batch: int
) -> None:
    intake, results = sample
    t = load_translator("vi")
    assert intake.problems  # the sample has data problems: the quality table is not empty
    whole_csv = csv_bytes(RESULT_FIELDS, result_rows(results, RULEBOOK))
    assert b"".join(results_csv_parts(results, RULEBOOK, batch)) == whole_csv
    whole_json = json_bytes(results_payload(results, "2025-2026/HK1", "abc123"))
    assert b"".join(results_json_parts(results, "2025-2026/HK1", "abc123", batch)) == whole_json
    assert b"".join(quality_csv_parts(intake, t, FORM, batch)) == quality_csv(intake, t, FORM)


def test_streamed_tables_keep_hostile_text_inert_and_empty_tables_whole(tmp_path: Path) -> None:
    rows = [
        school(school_id="A1", school_name='=HYPERLINK("http://x")', computers="hai mươi"),
        school(school_id="A2", school_name='Trường "Sao Mai"\nphân hiệu', ioffice_share="130"),
        school(school_id="A3", school_name="+1;-2,@3"),
    ]
    intake, results = checked(write_csv(tmp_path / "t.csv", rows))
    t = load_translator("en")
    assert b"".join(results_csv_parts(results, RULEBOOK, 2)) == csv_bytes(
        RESULT_FIELDS, result_rows(results, RULEBOOK)
    )
    assert b"".join(results_json_parts(results, "s", "r", 2)) == json_bytes(
        results_payload(results, "s", "r")
    )
    assert b"".join(quality_csv_parts(intake, t, FORM, 1)) == quality_csv(intake, t, FORM)
    assert b"".join(results_json_parts([], "s", "r")) == json_bytes(results_payload([], "s", "r"))
    assert b"".join(results_csv_parts([], RULEBOOK)) == csv_bytes(RESULT_FIELDS, [])


def test_parts_written_atomically_with_the_hash_of_the_whole(tmp_path: Path) -> None:
    import hashlib

    target = tmp_path / "table.csv"
    parts = [b"a,b\n", b"1,2\n", b"", b"3,4\n"]
    digest = write_atomic_parts(target, iter(parts))
    assert target.read_bytes() == b"".join(parts)
    assert digest == hashlib.sha256(b"".join(parts)).hexdigest()

    def failing() -> list[bytes]:
        raise OSError("disk full")

    def broken_parts() -> Iterator[bytes]:
        yield b"new,content\n"
        failing()

    with pytest.raises(OSError):
        write_atomic_parts(target, broken_parts())
    assert target.read_bytes() == b"".join(parts)  # the old file stays whole
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # no temporary file left


def test_report_views_write_the_same_summary_docx(
    sample: tuple[Intake, list[SchoolResult]],
) -> None:
    # The report's worker gets light views of the results, without the cells and values it
    # never reads: the document must not change (45 schools: the school-by-school grid is in it).
    import datetime as dt

    from checker.office import read_office
    from checker.paths import DEFAULT_OFFICE
    from checker.report import ReportInput, render_report
    from checker.run import report_views

    _, results = sample
    plan = RULEBOOK.plan_view()

    def docx(views: list[SchoolResult]) -> bytes:
        office = read_office(DEFAULT_OFFICE, "vi")
        day = dt.date(2026, 11, 29)
        data = ReportInput(views, plan, office, "2025-2026/HK1", day, 3, [], None, None, "")
        return render_report(data, "vi")

    light = report_views(light_views(results))
    assert all(not v.school.raw and not v.school.values for v in light)
    assert all(not v.values for r in light for v in r.verdicts)
    assert docx(light) == docx([result.plan_view() for result in results])


def light_views(results: list[SchoolResult]) -> list[SchoolResult]:
    """The light views run_checker keeps of the results."""
    from checker.run import LightResults

    light = LightResults()
    for result in results:
        light.add(result)
    return light.views


def test_light_views_share_equal_verdicts_and_make_the_same_summary(
    sample: tuple[Intake, list[SchoolResult]],
) -> None:
    # The summary is built from the light views: every figure and list it prints must be the
    # one the full results give.
    import datetime as dt

    from checker.context import DistrictFacts, PreviousRun, RunFacts, summary_context
    from checker.evaluate import district_rates
    from checker.office import read_office
    from checker.paths import DEFAULT_OFFICE

    _, results = sample
    views = light_views(results)
    assert [v.school.school_id for v in views] == [r.school.school_id for r in results]
    assert [[v.status for v in r.verdicts] for r in views] == [
        [v.status for v in r.verdicts] for r in results
    ]
    shared = {id(v) for r in views for v in r.verdicts}
    assert len(shared) < sum(len(r.verdicts) for r in results) / 4  # equal verdicts: one object
    t = load_translator("vi")
    office = read_office(DEFAULT_OFFICE, "vi")
    facts = RunFacts("2025-2026/HK1", "abc", dt.date(2026, 11, 29), "1", office.texts)
    district = DistrictFacts(district_rates(results, RULEBOOK), 47, 2, 9)
    # A previous semester in which some schools were absent and others are gone: progress,
    # new and missing schools are all in the summary.
    ids = [r.school.school_id for r in results]
    before = {i: {v.criterion_id: "met" for v in results[0].verdicts} for i in ids[5:]}
    previous = PreviousRun("2024-2025/HK2", before | {"GONE1": {}}, {"GONE1": "Trường cũ"})
    for prior in (None, previous):
        whole = summary_context(results, RULEBOOK, facts, district, prior, t, 3)
        assert summary_context(views, RULEBOOK, facts, district, prior, t, 3) == whole


def test_district_figures_counted_school_by_school_are_those_of_the_whole_list(
    sample: tuple[Intake, list[SchoolResult]],
) -> None:
    import statistics
    from decimal import Decimal

    from checker.evaluate import DistrictTally, applies_to, district_rates

    _, results = sample
    tally = DistrictTally(RULEBOOK)
    for result in results:
        tally.add(result)
    assert tally.rates == district_rates(results, RULEBOOK)
    # Counted by hand: per criterion, schools meeting it of those it applies to.
    for criterion in RULEBOOK.criteria:
        statuses = [v.status for r in results for v in r.verdicts if v.criterion_id == criterion.id]
        applying = [s for s in statuses if s != "not_applicable"]
        assert tally.rates[criterion.id] == (applying.count("met"), len(applying))
    # Each compared field's median over the schools a criterion comparing it applies to.
    expected: dict[str, dict[str, float]] = {}
    for criterion in RULEBOOK.criteria:
        for condition in criterion.conditions:
            if condition.op not in ("gte", "lte"):
                continue
            found = {
                r.school.school_id: float(value)
                for r in results
                if applies_to(criterion, r.school)
                and isinstance(value := r.school.values.get(condition.field), int | Decimal)
                and not isinstance(value, bool)
            } | expected.get(condition.field, {})
            expected[condition.field] = found
    medians = {name: statistics.median(found.values()) for name, found in expected.items() if found}
    assert medians and tally.medians() == medians


def test_result_file_gives_back_the_results_as_often_as_asked(
    sample: tuple[Intake, list[SchoolResult]],
) -> None:
    from checker.spill import ResultFile

    _, results = sample
    with ResultFile() as spilled:
        for start in range(0, len(results), 7):  # batches of 7, the last one shorter
            spilled.add(results[start : start + 7])
        spilled.add([])
        assert len(spilled) == len(results)
        assert list(spilled) == results
        # Two readings side by side, each from its own place in the file.
        first, second = iter(spilled), iter(spilled)
        assert next(first) == results[0]
        assert [next(second) for _ in range(3)] == results[:3]
        assert next(first) == results[1]
        assert results[-1] in spilled


def test_a_handover_gives_its_value_once_and_keeps_no_reference() -> None:
    # The CLI hands the table it read to the run in a box, so that the run can free it once
    # validated: the box must not keep it alive.
    import gc
    import weakref

    from checker.inputs import Handover

    class Table:
        pass

    table = Table()
    box = Handover(table)
    alive = weakref.ref(table)
    taken = box.take()
    assert taken is table
    with pytest.raises(ValueError):
        box.take()
    del table, taken
    gc.collect()
    assert alive() is None  # nothing but its taker held it
