"""summary.docx (the BÁO CÁO to finish in Word) and results.xlsx, opened the way the office
opens them: python-docx and openpyxl. Built from a real table through the real pipeline."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from conftest import check_table, school, write_csv
from docx import Document
from docx.document import Document as DocumentType
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook
from shipped import COLUMNS

from checker import paths
from checker.context import RunFacts, TrendPoint, report_basis
from checker.evaluate import district_rates, evaluate
from checker.i18n import load_translator
from checker.load import load_table
from checker.model import SchoolResult
from checker.office import read_office
from checker.report import ReportInput, render_report
from checker.report_docx import summary_docx
from checker.results_xlsx import results_xlsx
from checker.rulebook import load_rulebook
from checker.safe_text import plain_text
from checker.validate import validate_table

PROVINCE = paths.DEFAULT_OFFICE.parent / "office-so-gddt-ben-tre.toml"
RULEBOOK = load_rulebook(paths.DEFAULT_RULEBOOK)
VI = load_translator("vi")
DAY = dt.date(2026, 11, 29)
HOSTILE_NAME = '=HYPERLINK("http://x")<b>Trường</b>\x1b[31m\x0b'
SHOWN_NAME = plain_text(HOSTILE_NAME)
ROWS = [
    school(),
    school(
        school_id="TH01",
        school_name="Trường Tiểu học Châu Hòa",
        level="Tiểu học",
        ioffice_share="60",
        computers="5",
        e_gradebook="Không",
    ),
    school(
        school_id="TH02",
        school_name="Trường Tiểu học Lương Phú",
        level="Tiểu học",
        ioffice_share="",
        computers="hai mươi",
    ),
    school(school_id="MN01", school_name=HOSTILE_NAME, level="Mầm non", cashless_fees="Không"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[SchoolResult]:
    source = write_csv(tmp_path_factory.mktemp("report") / "schools.csv", ROWS)
    return list(evaluate(validate_table(load_table(source, COLUMNS), RULEBOOK).schools, RULEBOOK))


def previous_trend(results: list[SchoolResult]) -> list[TrendPoint]:
    """The current rates, and a previous semester where website was lower, ioffice higher."""
    now = district_rates(results, RULEBOOK)
    points = [TrendPoint("2026-2027/HK1", c, m, a) for c, (m, a) in now.items()]
    before = {"website": (1, 4), "ioffice": (4, 4)}
    points += [TrendPoint("2025-2026/HK2", c, *before.get(c, now[c])) for c in now]
    return points


def report_input(
    results: list[SchoolResult],
    office: Path = paths.DEFAULT_OFFICE,
    number: int | None = 5,
    chart: bytes | None = None,
) -> ReportInput:
    unit = read_office(office, "vi")
    facts = RunFacts("2026-2027/HK1", "run-1", DAY, "test", unit.texts)
    return ReportInput(
        results=results,
        rulebook=RULEBOOK,
        office=unit,
        semester="2026-2027/HK1",
        day=DAY,
        number=number,
        trend=previous_trend(results),
        previous_semester="2025-2026/HK2",
        chart_png=chart,
        basis=report_basis(facts, RULEBOOK, VI),
    )


def open_docx(data: bytes) -> DocumentType:
    return Document(io.BytesIO(data))


def blocks(doc: DocumentType) -> list[Paragraph | Table]:
    """The body's paragraphs and tables in order."""
    found: list[Paragraph | Table] = []
    for element in doc.element.body.iterchildren():
        if element.tag.endswith("}p"):
            found.append(Paragraph(element, doc))
        elif element.tag.endswith("}tbl"):
            found.append(Table(element, doc))
    return found


def all_text(doc: DocumentType) -> str:
    parts = []
    for block in blocks(doc):
        if isinstance(block, Paragraph):
            parts.append(block.text)
        else:
            parts.extend(cell.text for row in block.rows for cell in row.cells)
    parts.extend(p.text for p in doc.sections[0].header.paragraphs)
    return "\n".join(parts)


def paragraph_with(doc: DocumentType, start: str) -> Paragraph:
    return next(b for b in blocks(doc) if isinstance(b, Paragraph) and b.text.startswith(start))


@pytest.fixture(scope="module")
def report(results: list[SchoolResult]) -> DocumentType:
    return open_docx(summary_docx(report_input(results), VI))


def test_page_margins_and_font_follow_the_decree(report: DocumentType) -> None:
    section = report.sections[0]
    mm = {
        name: round(getattr(section, name).mm)
        for name in (
            "page_width",
            "page_height",
            "left_margin",
            "right_margin",
            "top_margin",
            "bottom_margin",
        )
    }
    assert (mm["page_width"], mm["page_height"]) == (210, 297)
    assert 30 <= mm["left_margin"] <= 35
    assert 15 <= mm["right_margin"] <= 20
    assert 20 <= mm["top_margin"] <= 25
    assert 20 <= mm["bottom_margin"] <= 25
    normal = report.styles["Normal"].font
    assert normal.name == "Times New Roman"
    assert Pt(13) <= normal.size <= Pt(14)
    body = [b for b in blocks(report) if isinstance(b, Paragraph) and b.runs]
    sizes = {run.font.size for p in body for run in p.runs}
    assert sizes <= {Pt(11), Pt(13), Pt(14)}
    assert {run.font.name for p in body for run in p.runs} == {"Times New Roman"}


def test_letterhead_has_the_agency_left_and_the_national_motto_right(report: DocumentType) -> None:
    letterhead = blocks(report)[0]
    assert isinstance(letterhead, Table)
    left, right = letterhead.rows[0].cells
    lines = [p.text for p in left.paragraphs]
    assert lines[:3] == ["UBND HUYỆN GIỒNG TRÔM", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "Số: 05/BC-PGDĐT"]
    parent, unit = left.paragraphs[0].runs[0], left.paragraphs[1].runs[0]
    assert not parent.bold and unit.bold
    assert [p.text for p in right.paragraphs] == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Giồng Trôm, ngày 29 tháng 11 năm 2026",
    ]
    place = right.paragraphs[2].runs[0]
    assert place.italic and not place.bold
    # the rules under the agency name and under the Tiêu ngữ
    for para in (left.paragraphs[1], right.paragraphs[1]):
        assert para._p.pPr.find("{*}pBdr/{*}bottom") is not None


def test_title_sections_and_placeholders_in_order(report: DocumentType) -> None:
    texts = [b.text for b in blocks(report) if isinstance(b, Paragraph)]
    order = [
        "BÁO CÁO",
        "Kết quả đánh giá chuyển đổi số các trường học, học kỳ I",
        "Thực hiện Kế hoạch 4291/KH-UBND",
        "I. KẾT QUẢ THỰC HIỆN",
        "II. ĐÁNH GIÁ CHUNG",
        "1. Ưu điểm",
        "2. Hạn chế",
        "III. NHIỆM VỤ, GIẢI PHÁP",
        "IV. KIẾN NGHỊ, ĐỀ XUẤT",
        "Trên đây là báo cáo",
        "Phụ lục",
    ]
    positions = [next(i for i, t in enumerate(texts) if t.startswith(o)) for o in order]
    assert positions == sorted(positions)
    assert "toàn huyện" in paragraph_with(report, "Thực hiện").text
    placeholders = [
        b for b in blocks(report) if isinstance(b, Paragraph) and b.text.startswith("[Đơn vị ghi")
    ]
    assert len(placeholders) == 3
    assert all(p.runs[0].font.highlight_color is not None for p in placeholders)


def test_the_results_table_counts_each_criterion(
    report: DocumentType, results: list[SchoolResult]
) -> None:
    tables = [b for b in blocks(report) if isinstance(b, Table)]
    criteria = tables[1]
    assert [c.text for c in criteria.rows[0].cells][:5] == [
        "STT",
        "Tiêu chí",
        "Số trường đạt",
        "Tỷ lệ",
        "Chỉ tiêu",
    ]
    assert len(criteria.rows) == 1 + len(RULEBOOK.criteria)
    rates = district_rates(results, RULEBOOK)
    for row, criterion in zip(criteria.rows[1:], RULEBOOK.criteria, strict=True):
        met, applicable = rates[criterion.id]
        assert row.cells[1].text == criterion.label["vi"]
        assert row.cells[2].text == f"{met}/{applicable}"


def test_the_assessment_names_the_furthest_criterion_and_the_changes(
    report: DocumentType, results: list[SchoolResult]
) -> None:
    rates = district_rates(results, RULEBOOK)
    gaps = {
        c.id: c.target - 100 * rates[c.id][0] / rates[c.id][1]
        for c in RULEBOOK.criteria
        if rates[c.id][1]
    }
    furthest = max(gaps, key=lambda c: gaps[c])
    label = next(c.label["vi"] for c in RULEBOOK.criteria if c.id == furthest)
    shortcomings = paragraph_with(report, "- Còn cách xa chỉ tiêu kế hoạch nhất: ").text
    assert shortcomings.index(label) == len("- Còn cách xa chỉ tiêu kế hoạch nhất: ")
    website = next(c.label["vi"] for c in RULEBOOK.criteria if c.id == "website")
    ioffice = next(c.label["vi"] for c in RULEBOOK.criteria if c.id == "ioffice")
    assert website in paragraph_with(report, "- Tăng nhiều nhất so với Học kỳ II").text
    assert ioffice in paragraph_with(report, "- Giảm so với Học kỳ II").text
    incomplete = sum(any(v.status == "missing" for v in r.verdicts) for r in results)
    assert incomplete == 1  # TH02
    assert f"- {incomplete} trường còn bỏ trống hoặc nhập sai" in all_text(report)


def test_signature_block_and_recipients(report: DocumentType) -> None:
    table = next(
        b for b in blocks(report) if isinstance(b, Table) and "Nơi nhận:" in b.rows[0].cells[0].text
    )
    left, right = table.rows[0].cells
    heading = left.paragraphs[0].runs[0]
    assert heading.text == "Nơi nhận:" and heading.bold and heading.italic
    assert heading.font.size == Pt(12)
    entries = [p.text for p in left.paragraphs[1:]]
    assert entries[0] == "- UBND huyện Giồng Trôm (để b/c);"
    assert entries[-1] == "- Lưu: VT."
    assert all(p.runs[0].font.size == Pt(11) for p in left.paragraphs[1:])
    signer = [p for p in right.paragraphs if p.text]
    assert [p.text for p in signer] == ["TRƯỞNG PHÒNG", "Lê Văn Minh"]
    assert all(p.runs[0].bold for p in signer)


def test_annex_lists_every_school_with_its_name_as_text(
    report: DocumentType, results: list[SchoolResult]
) -> None:
    annex = [b for b in blocks(report) if isinstance(b, Table)][-1]
    assert len(annex.rows) == 1 + len(results)
    names = [row.cells[1].text for row in annex.rows[1:]]
    assert names == [plain_text(r.school.name) for r in results]
    assert any(name.startswith(SHOWN_NAME.strip()) for name in names)
    assert not any(ch < " " for name in names for ch in name)
    assert "(Kèm theo Báo cáo số 05/BC-PGDĐT ngày 29/11/2026" in all_text(report)
    assert paragraph_with(report, "Phụ lục").paragraph_format.page_break_before


def test_page_numbers_top_centre_from_page_two(report: DocumentType) -> None:
    section = report.sections[0]
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    assert "PAGE" in "".join(e.text or "" for e in header._p.iter() if e.tag.endswith("instrText"))
    assert header.alignment == 1  # centre
    assert all(not p.text for p in section.first_page_header.paragraphs)


def test_a_provincial_department_report_never_says_district(results: list[SchoolResult]) -> None:
    doc = open_docx(summary_docx(report_input(results, PROVINCE, number=None), VI))
    text = all_text(doc)
    assert "huyện" not in text.lower() and "phòng giáo dục" not in text.lower()
    assert "toàn tỉnh" in text
    assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in text and "UBND TỈNH BẾN TRE" in text
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text
    number = blocks(doc)[0].rows[0].cells[0].paragraphs[2].text  # type: ignore[union-attr]
    assert number.startswith("Số:") and number.endswith("/BC-SGDĐT")
    assert any(ch.isdigit() for ch in number) is False


def test_the_chart_image_goes_into_section_one(results: list[SchoolResult]) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), "white").save(buffer, format="PNG")
    doc = open_docx(summary_docx(report_input(results, chart=buffer.getvalue()), VI))
    assert len(doc.inline_shapes) == 1
    assert round(doc.inline_shapes[0].width.mm) == 210 - 30 - 15


def test_the_run_draws_the_trend_chart_into_the_report_as_a_png(
    results: list[SchoolResult],
) -> None:
    from PIL import Image

    data = render_report(report_input(results), "vi")  # what the run's worker does
    doc = open_docx(data)
    [shape] = doc.inline_shapes
    blob = doc.part.related_parts[shape._inline.graphic.graphicData.pic.blipFill.blip.embed].blob
    image = Image.open(io.BytesIO(blob))
    assert image.format == "PNG" and image.width > 1000  # sharp at the text's width
    assert render_report(report_input(results), "vi") == data  # same chart, same bytes
    placed = [b for b in blocks(doc) if isinstance(b, Paragraph)]
    index = next(i for i, p in enumerate(placed) if p._p.xpath(".//pic:pic"))
    assert placed[index - 1].text.startswith("3. ")  # in section I, after its caption


def test_the_same_run_gives_the_same_bytes(results: list[SchoolResult]) -> None:
    assert summary_docx(report_input(results), VI) == summary_docx(report_input(results), VI)


def test_results_xlsx_one_row_per_school_status_words_and_values(
    results: list[SchoolResult],
) -> None:
    data = results_xlsx(results, RULEBOOK, VI, DAY)
    assert data == results_xlsx(results, RULEBOOK, VI, DAY)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    labels = [c.label["vi"] for c in RULEBOOK.criteria]
    assert [sheet.cell(1, 5 + 2 * i).value for i in range(len(labels))] == labels
    assert [sheet.cell(2, n).value for n in (1, 2, 5, 6)] == [
        "Mã trường",
        "Tên trường",
        "Kết quả",
        "Số liệu",
    ]
    assert sheet.max_row == 2 + len(results)
    column = {c.id: 5 + 2 * i for i, c in enumerate(RULEBOOK.criteria)}
    rows = {sheet.cell(r, 1).value: r for r in range(3, sheet.max_row + 1)}
    assert sheet.cell(rows["TH01"], column["ioffice"]).value == "Chưa đạt"
    assert sheet.cell(rows["TH01"], column["ioffice"] + 1).value == 60
    assert sheet.cell(rows["08304007"], column["ioffice"]).value == "Đạt"
    assert sheet.cell(rows["TH02"], column["ioffice"]).value == "Chưa nhập số liệu"  # blank
    assert sheet.cell(rows["MN01"], column["computer_lab"]).value == "Không áp dụng"
    hostile = sheet.cell(rows["MN01"], 2)
    assert str(hostile.value).startswith(SHOWN_NAME.strip()) and hostile.data_type == "s"
    assert sheet.auto_filter.ref.startswith("A2:")


def test_checker_run_writes_both_and_lists_them_in_the_manifest(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "schools.csv", ROWS)
    result = check_table(
        source,
        tmp_path,
        "--office",
        str(PROVINCE),
        "--report-number",
        "7",
        "--date",
        "2027-01-05",
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    doc = open_docx((out / "summary.docx").read_bytes())
    assert blocks(doc)[0].rows[0].cells[0].paragraphs[2].text == "Số: 07/BC-SGDĐT"  # type: ignore[union-attr]
    assert "Bến Tre, ngày 05 tháng 01 năm 2027" in all_text(doc)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {"summary.docx", "results.xlsx"} <= set(manifest["outputs"])
    assert load_workbook(out / "results.xlsx").active.max_row == 2 + len(ROWS)  # type: ignore[union-attr]
