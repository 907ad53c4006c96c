"""What the pages say: plain-value contexts built from results (no rendering)."""

from __future__ import annotations

import datetime as dt

from checker import paths
from checker.context import (
    DEFAULT_ATTENTION_PER_LEVEL,
    GRID_LIMIT,
    DistrictFacts,
    PreviousRun,
    RunFacts,
    notice_basis,
    progress_text,
    report_basis,
    scorecard_context,
    semester_text,
    summary_context,
)
from checker.evaluate import district_rates
from checker.i18n import load_translator
from checker.model import School, SchoolResult, Verdict
from checker.office import load_office
from checker.rulebook import load_rulebook, load_rulebooks

RULEBOOK = load_rulebook(paths.DEFAULT_RULEBOOK)
VI = load_translator("vi")
EN = load_translator("en")


def result(school_id: str, status: str = "not_met") -> SchoolResult:
    school = School(2, school_id, f"Trường THCS {school_id}", "thcs", "Hưng Nhượng", "", {}, {})
    return SchoolResult(school, tuple(Verdict(c.id, status, {}) for c in RULEBOOK.criteria))  # type: ignore[arg-type]


def facts() -> RunFacts:
    return RunFacts(
        "2026-2027/HK2",
        "r1",
        dt.date(2026, 11, 29),
        "0",
        load_office(paths.DEFAULT_OFFICE, "vi"),
    )


def district(results: list[SchoolResult]) -> DistrictFacts:
    return DistrictFacts(district_rates(results, RULEBOOK), len(results), 0, 0)


def test_semester_labels_read_as_words() -> None:
    assert semester_text("2026-2027/HK2", VI) == "Học kỳ II năm học 2026-2027"
    assert semester_text("2026-2027/HK1", EN) == "Semester 1, 2026-2027"


def test_progress_words_name_the_earlier_status() -> None:
    assert progress_text("not_met", "met", VI) == "▲ Tiến bộ (kỳ trước: Chưa đạt)"
    assert progress_text("met", "not_met", VI) == "▼ Giảm (kỳ trước: Đạt)"
    # Unscored data on either side is no decline and no progress: it cannot be compared.
    assert progress_text("met", "missing", VI) == "chưa so sánh được (kỳ trước: Đạt)"
    assert progress_text("missing", "met", VI) == "chưa so sánh được (kỳ trước: Thiếu dữ liệu)"
    assert progress_text("met", "met", VI) == "= Không đổi"
    assert progress_text(None, "met", VI) == "Mới"


def test_scorecard_without_history_says_so() -> None:
    results = [result("A1")]
    card = scorecard_context(results[0], RULEBOOK, facts(), district(results), None, VI)
    assert card["overall"]["progress"].startswith("Chưa có học kỳ nào trước đó")
    assert {row["progress"] for row in card["criteria"]} == {"—"}


def test_scorecard_of_a_school_new_since_last_semester() -> None:
    results = [result("A1")]
    previous = PreviousRun("2026-2027/HK1", {"B2": {c.id: "met" for c in RULEBOOK.criteria}})
    card = scorecard_context(results[0], RULEBOOK, facts(), district(results), previous, VI)
    assert "trường mới" in card["overall"]["progress"]
    assert {row["progress"] for row in card["criteria"]} == {"Mới"}


def test_not_met_rows_say_what_to_do_and_met_rows_do_not() -> None:
    results = [result("A1", "not_met"), result("A2", "met")]
    failing = scorecard_context(results[0], RULEBOOK, facts(), district(results), None, VI)
    passing = scorecard_context(results[1], RULEBOOK, facts(), district(results), None, VI)
    assert all(row["todo"] for row in failing["criteria"])
    assert not any(row["todo"] for row in passing["criteria"])


def test_a_province_sized_summary_lists_schools_in_results_csv_not_the_pdf() -> None:
    small = [result(f"S{i:04d}") for i in range(GRID_LIMIT)]
    large = [result(f"S{i:04d}") for i in range(GRID_LIMIT + 1)]
    small_summary = summary_context(small, RULEBOOK, facts(), district(small), None, VI)
    large_summary = summary_context(large, RULEBOOK, facts(), district(large), None, VI)
    assert sum(len(g["schools"]) for g in small_summary["grid"]["groups"]) == GRID_LIMIT
    assert small_summary["grid"]["note"] == ""
    assert large_summary["grid"]["groups"] == []
    assert "results.csv" in large_summary["grid"]["note"]
    [group] = large_summary["attention"]  # every school is a THCS
    assert len(group["schools"]) == DEFAULT_ATTENTION_PER_LEVEL
    assert str(GRID_LIMIT + 1 - DEFAULT_ATTENTION_PER_LEVEL) in group["more"]


def test_weakest_first_and_a_real_decline_first_among_equals() -> None:
    results = [result("A1", "not_met"), result("B2", "met"), result("C3", "not_met")]
    results[1] = SchoolResult(
        results[1].school,
        tuple(
            Verdict(v.criterion_id, "not_met" if i == 0 else "met", {})
            for i, v in enumerate(results[1].verdicts)
        ),
    )
    results.append(
        SchoolResult(
            results[1].school.__class__(2, "D4", "Trường THCS D4", "thcs", "", "", {}, {}),
            results[1].verdicts,
        )
    )
    previous = PreviousRun("2026-2027/HK1", {"B2": {c.id: "met" for c in RULEBOOK.criteria}})
    summary = summary_context(results, RULEBOOK, facts(), district(results), previous, VI)
    [group] = summary["attention"]
    # A1 and C3 meet nothing; B2 and D4 meet 5 of 6, and B2 went back: it comes first of the two.
    assert [s["id"] for s in group["schools"]] == ["A1", "C3", "B2", "D4"]
    assert group["schools"][2]["reasons"][0].startswith("Giảm so với học kỳ trước")


def test_the_notice_is_addressed_to_the_principal_of_the_school_as_named() -> None:
    from checker.context import addressee

    assert addressee("Trường THCS Hưng Lễ", VI) == "Hiệu trưởng Trường THCS Hưng Lễ"
    assert addressee("Tiểu học  Tân Hào", VI) == "Hiệu trưởng Trường Tiểu học Tân Hào"
    assert addressee("Tiểu học Tân Hào", EN) == "The Principal of Tiểu học Tân Hào"


def test_the_date_line_pads_the_day_and_only_january_and_february() -> None:
    from checker.document import decree_date

    assert decree_date(dt.date(2027, 1, 5), VI) == "ngày 05 tháng 01 năm 2027"
    assert decree_date(dt.date(2027, 2, 28), VI) == "ngày 28 tháng 02 năm 2027"
    assert decree_date(dt.date(2026, 3, 9), VI) == "ngày 09 tháng 3 năm 2026"
    assert decree_date(dt.date(2026, 11, 29), VI) == "ngày 29 tháng 11 năm 2026"


def test_the_request_falls_back_to_a_blank_deadline_and_no_contact() -> None:
    from checker.document import request_text

    office = {"name": "ỦY BAN NHÂN DÂN\nXÃ MẪU", "name_in_text": ""}
    text = request_text(office, dt.date(2026, 11, 29), True, VI)
    assert text.endswith("về ỦY BAN NHÂN DÂN XÃ MẪU trước ngày ……/……/………."), text
    assert "đ/c" not in text


def test_the_basis_cites_each_rulebook_used_and_only_those() -> None:
    """The căn cứ sentences name the local plan (as the office writes it) when its criteria
    are checked, and the national index (by its rulebook's title) when that is: a card from
    a run with QĐ 4725 must not cite the local plan alone, nor one without it QĐ 4725."""
    plan, index = "Kế hoạch 4291/KH-UBND", "Quyết định 4725/QĐ-BGDĐT"
    both = load_rulebooks((paths.DEFAULT_RULEBOOK, paths.QD4725_RULEBOOK))
    alone = load_rulebook(paths.QD4725_RULEBOOK)
    for basis in (notice_basis, report_basis):
        local = basis(facts(), RULEBOOK, VI)
        assert plan in local and index not in local
        cited = basis(facts(), both, VI)
        assert plan in cited and index in cited and cited.index(plan) < cited.index(index)
        national = basis(facts(), alone, VI)
        assert index in national and plan not in national
        assert "Decision 4725/QĐ-BGDĐT" in basis(facts(), both, EN)
