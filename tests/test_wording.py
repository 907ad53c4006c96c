"""Numbers nobody can misread (issue 9): what each printed line measures, read back from the
real PDFs and contexts — counts of schools, two words for unscored data, no trend from or to
unscored data, a priority list that is one, flagged fractions, combined schools, whole names."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import check_table, pdf_text, school, write_csv
from shipped import COLUMNS

from checker import paths
from checker.context import (
    DistrictFacts,
    RunFacts,
    plain_number,
    scorecard_context,
    summary_context,
)
from checker.evaluate import district_rates, evaluate, field_medians
from checker.i18n import load_translator
from checker.load import load_table
from checker.model import School, SchoolResult, Verdict
from checker.office import load_office
from checker.render import render_summary
from checker.rulebook import load_rulebook
from checker.validate import level_text, validate_table

RULEBOOK = load_rulebook(paths.DEFAULT_RULEBOOK)
VI = load_translator("vi")
EN = load_translator("en")
GOLDEN = Path(__file__).parent / "golden" / "text"
PROVINCE = "office-so-gddt-ben-tre.toml"  # the provincial department's example settings


def results_of(path: Path) -> list[SchoolResult]:
    """Load, validate (real GX suite) and evaluate a table with the default rulebook."""
    return list(evaluate(validate_table(load_table(path, COLUMNS), RULEBOOK).schools, RULEBOOK))


def verdicts(result: SchoolResult) -> dict[str, tuple[str, str | None]]:
    return {v.criterion_id: (v.status, v.reason) for v in result.verdicts}


def run_facts(lang: str = "vi") -> RunFacts:
    office = load_office(paths.DEFAULT_OFFICE, lang)
    return RunFacts("2026-2027/HK1", "r1", dt.date(2026, 11, 29), "0", office)


def district_of(results: list[SchoolResult]) -> DistrictFacts:
    return DistrictFacts(
        district_rates(results, RULEBOOK),
        len(results),
        0,
        0,
        medians=field_medians(results, RULEBOOK),
    )


# --- Combined schools and THPT ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("TH&THCS", "tieu_hoc+thcs"),
        ("TH và THCS", "tieu_hoc+thcs"),
        ("Tiểu học, THCS", "tieu_hoc+thcs"),
        ("Liên cấp TH-THCS", "tieu_hoc+thcs"),
        ("Trường liên cấp Tiểu học và Trung học cơ sở", "tieu_hoc+thcs"),
        ("TH, THCS và THPT", "tieu_hoc+thcs+thpt"),
        ("THCS&THPT", "thcs+thpt"),
        ("THCS & TH", "tieu_hoc+thcs"),  # written in any order, kept in the system's order
        ("THPT", "thpt"),
        ("Trung học phổ thông", "thpt"),
        ("Mầm non", "mam_non"),
        ("mam-non", "mam_non"),
        ("TH&Đại học", "TH&Đại học"),  # one unknown part: not a level (reported as such)
        ("Nhà trẻ", "Nhà trẻ"),
    ],
)
def test_level_cells_name_one_or_several_levels(typed: str, key: str) -> None:
    assert level_text(typed) == key


def test_a_combined_school_gets_every_criterion_of_each_of_its_levels(tmp_path: Path) -> None:
    rows = [
        school(school_id="LC1", level="TH&THCS"),
        school(school_id="PT1", level="THPT"),
        school(school_id="MN1", level="Mầm non", computer_rooms="", computers=""),
    ]
    results = {r.school.school_id: r for r in results_of(write_csv(tmp_path / "t.csv", rows))}
    combined = verdicts(results["LC1"])
    # Website and iOffice are scored (not "missing data" as before), and so is every criterion
    # of primary or lower secondary: cashless fees (THCS) included.
    assert {status for status, _ in combined.values()} == {"met"}
    assert results["LC1"].applicable == len(RULEBOOK.criteria)
    upper = verdicts(results["PT1"])
    assert upper["website"] == ("met", None) and upper["ioffice"] == ("met", None)
    assert upper["e_gradebook"] == ("not_applicable", None)
    assert results["MN1"].school.problems == ()  # a preschool need not fill computers


def test_a_combined_school_must_fill_the_columns_of_each_of_its_levels(tmp_path: Path) -> None:
    rows = [school(school_id="LC1", level="TH và THCS", computers="", cashless_fees="")]
    [result] = results_of(write_csv(tmp_path / "t.csv", rows))
    assert {(p.column, p.code) for p in result.school.problems} == {
        ("computers", "blank"),
        ("cashless_fees", "blank"),
    }


# --- Two words for unscored data --------------------------------------------------------------


def test_blank_and_invalid_are_two_reasons_and_two_words(tmp_path: Path) -> None:
    rows = [school(school_id="B1", ioffice_share=""), school(school_id="I1", ioffice_share="130%")]
    results = {r.school.school_id: r for r in results_of(write_csv(tmp_path / "t.csv", rows))}
    assert verdicts(results["B1"])["ioffice"] == ("missing", "blank")
    assert verdicts(results["I1"])["ioffice"] == ("missing", "invalid")
    district = district_of(list(results.values()))
    words = {
        school_id: next(
            row["status_text"]
            for row in scorecard_context(r, RULEBOOK, run_facts(), district, None, VI)["criteria"]
            if row["label"].startswith("Xử lý văn bản")
        )
        for school_id, r in results.items()
    }
    assert words == {"B1": "Chưa nhập số liệu", "I1": "Số liệu không hợp lệ"}


BLANK_AND_INVALID = [
    school(school_id="B1", ioffice_share=""),
    school(school_id="I1", computers="hai mươi"),
]
SHARES = [  # iOffice shares typed as fractions (F1, F2), with a % sign, and zero
    school(school_id="F1", ioffice_share="0.85"),
    school(school_id="F2", ioffice_share="0,5"),
    school(school_id="P1", ioffice_share="85%"),
    school(school_id="Z1", ioffice_share="0"),
]


@pytest.fixture(scope="module")
def wording_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `checker run` on the schools of the tests below; returns its output folder."""
    folder = tmp_path_factory.mktemp("wording")
    done = check_table(write_csv(folder / "t.csv", BLANK_AND_INVALID + SHARES), folder, "--quiet")
    assert done.returncode == 0, done.stderr
    return folder / "out"


def test_results_csv_keeps_missing_and_adds_the_reason(wording_run: Path) -> None:
    with (wording_run / "results.csv").open(encoding="utf-8-sig") as handle:
        table = {(r["school_id"], r["criterion"]): r for r in csv.DictReader(handle)}
    assert (table["B1", "ioffice"]["status"], table["B1", "ioffice"]["reason"]) == (
        "missing",
        "blank",
    )
    assert (table["I1", "computer_lab"]["status"], table["I1", "computer_lab"]["reason"]) == (
        "missing",
        "invalid",
    )
    assert table["I1", "website"]["reason"] == ""
    card = pdf_text(wording_run / "scorecards" / "I1.pdf")
    assert "Số liệu không hợp lệ" in card
    assert "tính là chưa đạt trong kết quả chung" in " ".join(card.split())  # the legend
    assert "Dòng" not in card  # the school's card names the column, not the office's row
    assert "Cột “Số máy tính cho học sinh”: “hai mươi”" in card
    assert "Nhập số nguyên từ 0 trở lên, ví dụ 20." in " ".join(card.split())


# --- Suspicious values ------------------------------------------------------------------------


def test_a_share_typed_as_a_fraction_is_scored_as_typed_and_flagged(
    tmp_path: Path, wording_run: Path
) -> None:
    results = {r.school.school_id: r for r in results_of(write_csv(tmp_path / "t.csv", SHARES))}
    flagged = {
        school_id
        for school_id, r in results.items()
        if any(p.code == "suspect_fraction" for p in r.school.problems)
    }
    assert flagged == {"F1", "F2"}
    assert results["F1"].school.values["ioffice_share"] == Decimal("0.85")
    assert verdicts(results["F1"])["ioffice"] == ("not_met", None)
    quality = (wording_run / "data-quality.csv").read_text(encoding="utf-8-sig")
    assert "0,85 — có phải 85%?" in quality


def test_an_excel_percent_cell_is_not_a_fraction(tmp_path: Path) -> None:
    from conftest import GOOD_SCHOOL, HEADERS
    from openpyxl import Workbook
    from shipped import COLUMNS

    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(HEADERS)
    sheet.append([GOOD_SCHOOL[c.key] for c in COLUMNS])
    share = sheet.cell(row=2, column=[c.key for c in COLUMNS].index("ioffice_share") + 1)
    share.value, share.number_format = 0.85, "0%"
    book.save(tmp_path / "t.xlsx")
    [result] = results_of(tmp_path / "t.xlsx")
    assert result.school.values["ioffice_share"] == Decimal("85")
    assert result.school.problems == ()


# --- Numbers at the edge: printed value and verdict agree -------------------------------------


@pytest.mark.parametrize(
    ("typed", "shown", "status"),
    [
        ("89.999999", "89,999999%", "not_met"),
        ("89.9999999999999999", "89,9999999999999999%", "not_met"),
        ("90", "90%", "met"),
        ("92,5", "92,5%", "met"),
    ],
)
def test_a_value_is_printed_with_the_digits_that_decide_it(
    tmp_path: Path, typed: str, shown: str, status: str
) -> None:
    [result] = results_of(write_csv(tmp_path / "t.csv", [school(ioffice_share=typed)]))
    card = scorecard_context(result, RULEBOOK, run_facts(), district_of([result]), None, VI)
    row = next(r for r in card["criteria"] if r["label"].startswith("Xử lý văn bản"))
    assert row["status"] == status
    assert row["value_lines"][0]["text"] == shown
    assert row["value_lines"][0]["need"] == "cần ≥ 90%"  # no ",0" on a whole threshold


def test_plain_numbers() -> None:
    assert plain_number(90.0, VI) == "90"
    assert plain_number(Decimal("1234.50"), VI) == "1.234,5"
    assert plain_number(Decimal("92.5"), EN) == "92.5"


# --- The district line and the trend ------------------------------------------------------------


def test_the_district_line_is_a_count_of_schools_with_the_median_beside_it(
    tmp_path: Path,
) -> None:
    rows = [school(school_id=f"S{i}", ioffice_share=v) for i, v in enumerate(["95", "80", "70"])]
    results = results_of(write_csv(tmp_path / "t.csv", rows))
    card = scorecard_context(results[0], RULEBOOK, run_facts(), district_of(results), None, VI)
    row = next(r for r in card["criteria"] if r["label"].startswith("Xử lý văn bản"))
    assert row["district"] == (
        "1/3 trường đạt (33,3%) — chỉ tiêu 100% số trường; "
        "trung vị Tỷ lệ văn bản qua iOffice (%): 80%"
    )
    assert card["area"] == "Toàn huyện"  # the sample office's area word, from office.toml
    province_office = load_office(Path(paths.__file__).parent / "examples" / PROVINCE, "vi")
    province = RunFacts("2026-2027/HK1", "r1", dt.date(2026, 11, 29), "0", province_office)
    card = scorecard_context(results[0], RULEBOOK, province, district_of(results), None, VI)
    assert card["area"] == "Toàn tỉnh"


def test_no_trend_to_or_from_unscored_data(sample_run: Path) -> None:
    """THCS Hưng Lễ met iOffice last semester and typed "130%" this one: no decline."""
    card = " ".join(pdf_text(sample_run / "out-3" / "scorecards" / "08304038.pdf").split())
    assert "Số liệu không hợp lệ" in card
    assert "chưa so sánh được (kỳ trước: Đạt)" in card
    assert "Giảm" not in card
    summary = " ".join(pdf_text(sample_run / "out-3" / "summary.pdf").split())
    attention = summary[summary.index("Trường cần quan tâm") : summary.index("Trường cần bổ sung")]
    assert not re.search(r"Giảm so với học kỳ trước: Xử lý văn bản", attention)


# --- The priority list --------------------------------------------------------------------------


def synthetic_results(count: int, long_names: bool) -> list[SchoolResult]:
    """`count` lower-secondary schools, each failing a different number of criteria."""
    ids = [c.id for c in RULEBOOK.criteria]
    results = []
    for i in range(count):
        name = f"Trường THCS số {i}" + (
            " Nguyễn Đình Chiểu phân hiệu Thạnh Phú Đông" * 2 * long_names
        )
        pupil = School(i + 2, f"S{i:03d}", name, "thcs", "Hưng Nhượng", "", {}, {})
        failing = i % len(ids)
        verdicts_ = tuple(
            Verdict(c, "not_met" if n <= failing else "met", {}) for n, c in enumerate(ids)
        )
        results.append(SchoolResult(pupil, verdicts_))
    return results


def test_the_priority_list_is_short_and_weakest_first() -> None:
    results = synthetic_results(45, long_names=False)
    summary = summary_context(results, RULEBOOK, run_facts(), district_of(results), None, VI)
    [group] = summary["attention"]
    assert len(group["schools"]) == 10
    scores = [s["score"] for s in group["schools"]]
    assert scores[0].startswith("0/6") and all(s.startswith(("0/6", "1/6")) for s in scores)
    assert "35 trường khác" in group["more"]  # 45 schools, 10 named
    fewer = summary_context(results, RULEBOOK, run_facts(), district_of(results), None, VI, 3)
    assert len(fewer["attention"][0]["schools"]) == 3


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_long_attention_list_keeps_each_name_beside_its_score(lang: str, tmp_path: Path) -> None:
    t = load_translator(lang)
    results = synthetic_results(120, long_names=True)
    summary = summary_context(results, RULEBOOK, run_facts(lang), district_of(results), None, t, 60)
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(render_summary(summary, [], RULEBOOK, lang)[0])
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    listed = summary["attention"][0]["schools"]
    assert len(listed) == 60
    for entry in listed:
        number = entry["name"].split(" ")[3]
        # The page holding the start of the school's name holds its score and id too.
        holding = [p for p in pages if re.search(rf"số {number}\b", p) and entry["id"] in p]
        assert holding, entry["name"]
        assert entry["score"] in holding[0], entry["name"]


# --- Golden text of the documents ---------------------------------------------------------------


def normalised(text: str) -> str:
    """pdftotext output with runs of spaces and blank lines folded (layout shifts don't count,
    a dropped or changed section does)."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    text = "\n".join(line for line in lines if line) + "\n"
    return re.sub(r"\b[0-9a-f]{12}\b", "<run id>", text)  # the run id hashes every input file


@pytest.mark.parametrize(
    ("name", "relative", "first_page_only"),
    [
        ("scorecard-08304038.txt", "scorecards/08304038.pdf", False),
        ("summary-page-1.txt", "summary.pdf", True),
    ],
)
def test_golden_text(sample_run: Path, name: str, relative: str, first_page_only: bool) -> None:
    """Set UPDATE_GOLDEN=1 to rewrite the snapshots after a deliberate change of wording."""
    text = pdf_text(sample_run / "out-3" / relative)
    if first_page_only:
        text = text.split("\f")[0]
    got = normalised(text)
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_the_summary_names_its_levels_and_colours_rates_by_distance(sample_run: Path) -> None:
    text = " ".join(pdf_text(sample_run / "out-3" / "summary.pdf").split())
    assert "▲ 95,6% (+4,5)" in text  # within 10 points of 100%, change in points
    assert "✗ 73,3% (+11,1)" in text
    assert "Số trường đạt tất cả tiêu chí, theo cấp học" in text
    for level in ("Mầm non", "Tiểu học", "Trung học cơ sở"):  # each level's row of the table
        assert re.search(rf"{level} \d+ \d+ \d+,\d%", text), level
    assert "%%" not in text
