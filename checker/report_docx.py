"""summary.docx: the unit's report (BÁO CÁO) as an editable Word document, in the form of
Nghị định 30/2020/NĐ-CP (Phụ lục I), for the office to finish sections II–IV and sign.

Built from the run's plain values (results, rulebook, office settings, semester, the recorded
trend), not from the rendered HTML: letterhead in two columns (agency, Quốc hiệu and Tiêu ngữ,
with their rules), số/ký hiệu, italic place and date, BÁO CÁO with its trích yếu, I. Kết quả
(tables and the trend chart), II. Đánh giá chung (sentences generated from the figures),
III. Nhiệm vụ, giải pháp and IV. Kiến nghị, đề xuất (marked places for the office to write),
the signature block, Nơi nhận, and the school-by-school grid as a Phụ lục. Times New Roman
13 pt on A4 with the decree's margins; page numbers centred at the top from page 2.
Reproducible: the same run gives the same bytes (outfiles.pinned_zip).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from checker import document
from checker.context import GRID_LIMIT, semester_text, status_word, text_in
from checker.context import report_subject as context_report_subject
from checker.i18n import N_, Translator
from checker.office import Office, document_symbol
from checker.report import (
    CriterionFigures,
    ReportInput,
    criterion_figures,
    pct,
    strengths,
    weaknesses,
)
from checker.safe_text import plain_text

FONT = "Times New Roman"  # the decree's font; Word substitutes a metric twin where it lacks it
BODY_PT = 13
TABLE_PT = 11
PAGE = {side: Mm(mm) for side, mm in document.PAGE_MM.items()}
MARGINS = {side: Mm(mm) for side, mm in document.MARGINS_MM.items()}
TEXT_WIDTH = Mm(document.TEXT_WIDTH_MM)
LEFT_HEAD = Mm(68)  # the letterhead's agency column; the rest is the Quốc hiệu's
SYMBOLS = {"met": "✓", "not_met": "✗", "missing": "?", "not_applicable": "–"}

MOTTO_NATION = N_("SOCIALIST REPUBLIC OF VIETNAM")
MOTTO_WORDS = N_("Independence - Freedom - Happiness")


# --- Word building blocks ----------------------------------------------------------------------


def set_font(run_or_style: object, size: float | None = None) -> None:
    """Times New Roman for every script (Word picks the East Asian/complex font otherwise)."""
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = FONT
    if size:
        font.size = Pt(size)
    element = run_or_style.element  # type: ignore[attr-defined]
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT)


def paragraph(
    where: Document | _Cell,
    text: str = "",
    size: float = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    after: float = 0,
) -> Paragraph:
    """A paragraph of one run; line breaks in `text` (a two-line agency name) stay breaks."""
    para = where.add_paragraph()
    para.alignment = align
    para.paragraph_format.space_after = Pt(after)
    para.paragraph_format.space_before = Pt(0)
    para.paragraph_format.first_line_indent = Cm(0)
    run = para.add_run()
    for index, line in enumerate(text.split("\n")):
        if index:
            run.add_break()
        run.add_text(line)
    run.bold, run.italic = bold, italic
    set_font(run, size)
    return para


def body(doc: Document, text: str, italic: bool = False, placeholder: bool = False) -> Paragraph:
    """A body paragraph: 13 pt, justified, first line indented 1 cm, 6 pt after."""
    para = doc.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    para.paragraph_format.first_line_indent = Cm(1)
    para.paragraph_format.space_after = Pt(6)
    run = para.add_run(text)
    run.italic = italic or placeholder
    if placeholder:  # a place the office writes in: highlighted so it is not sent as it is
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    set_font(run, BODY_PT)
    return para


def heading(doc: Document, text: str) -> Paragraph:
    """A section heading ('I. KẾT QUẢ THỰC HIỆN'): bold, flush with the indent, 6 pt around."""
    para = body(doc, text)
    para.runs[0].bold = True
    para.paragraph_format.space_before = Pt(6)
    para.paragraph_format.keep_with_next = True
    return para


def rule_under(para: Paragraph, width: float) -> None:
    """A solid rule under a centred paragraph, `width` of its column (the decree's short rules
    under the agency name, the Tiêu ngữ and the trích yếu)."""
    properties = para._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    properties.append(borders)
    # The border spans the paragraph between its indents: indent both sides to shorten it.
    side = (1 - width) / 2
    para.paragraph_format.left_indent = Mm(round(side * column_mm(para), 1))
    para.paragraph_format.right_indent = Mm(round(side * column_mm(para), 1))


def column_mm(para: Paragraph) -> float:
    """The width of the column a paragraph sits in (letterhead cell or page), in mm."""
    parent = para._parent
    if isinstance(parent, _Cell) and parent.width is not None:
        return float(parent.width.mm)
    return float(TEXT_WIDTH.mm)


def no_borders(table: Table) -> None:
    """A layout table: no borders (the letterhead, the signature block)."""
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    properties.append(borders)


def layout_table(doc: Document, widths: Sequence[Length]) -> Table:
    """A borderless one-row table with fixed column widths."""
    table = doc.add_table(rows=1, cols=len(widths))
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    no_borders(table)
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = width
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)  # start empty
    return table


def data_table(doc: Document, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """A bordered table with a bold header row that repeats on each page; rows never split."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        paragraph(cell, text, size=TABLE_PT, bold=True)
    header = table.rows[0]._tr.get_or_add_trPr()
    header.append(OxmlElement("w:tblHeader"))
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
            align = WD_ALIGN_PARAGRAPH.LEFT if index == 1 else WD_ALIGN_PARAGRAPH.CENTER
            paragraph(cell, text, size=TABLE_PT, align=align)
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    return table


def page_number_header(doc: Document) -> None:
    """Page numbers centred in the top margin, not on the first page."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    para = section.header.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run()
    set_font(run, BODY_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


# --- The document --------------------------------------------------------------------------------


def new_report(data: ReportInput, t: Translator) -> Document:
    """An empty A4 document with the decree's margins, font and page numbers."""
    doc = new_document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = Mm(10)
    normal = doc.styles["Normal"]
    set_font(normal, BODY_PT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    page_number_header(doc)
    properties = doc.core_properties
    office = data.office
    properties.title = report_subject(data, t)
    properties.author = " ".join(office.name.split())
    properties.subject = semester_text(data.semester, t)
    properties.language = t.lang
    properties.keywords = office.unit_id
    properties.comments = ""
    properties.last_modified_by = ""
    properties.revision = 1
    moment = dt.datetime.combine(data.day, dt.time())
    properties.created = moment
    properties.modified = moment
    properties.last_printed = moment
    return doc


def report_subject(data: ReportInput, t: Translator) -> str:
    """The trích yếu: 'Kết quả đánh giá chuyển đổi số của các trường học, học kỳ I …' (the
    summary PDF's own)."""
    return context_report_subject(data.semester, t)


def letterhead(doc: Document, data: ReportInput, t: Translator) -> None:
    """ô 1–4: agency and số on the left, Quốc hiệu, Tiêu ngữ and place-date on the right."""
    office = data.office
    table = layout_table(doc, [LEFT_HEAD, Emu(TEXT_WIDTH - LEFT_HEAD)])
    left, right = table.rows[0].cells
    if office.parent_authority:
        paragraph(left, office.parent_authority, size=13)
    rule_under(paragraph(left, office.name, size=13, bold=True), 0.4)
    symbol = document_symbol(office.report_symbol, data.number)
    paragraph(
        left, t.gettext("No.: %(symbol)s") % {"symbol": symbol}, size=13
    ).paragraph_format.space_before = Pt(6)
    paragraph(right, t.gettext(MOTTO_NATION), size=13, bold=True)
    rule_under(paragraph(right, t.gettext(MOTTO_WORDS), size=14, bold=True), 0.62)
    place = paragraph(right, place_date(office, data.day, t), size=14, italic=True)
    place.paragraph_format.space_before = Pt(6)


def place_date(office: Office, day: dt.date, t: Translator) -> str:
    """'Giồng Trôm, ngày 29 tháng 11 năm 2026' (the decree's leading zeros, as on the PDFs)."""
    return document.place_date(office.texts, day, t)


def title(doc: Document, data: ReportInput, t: Translator) -> None:
    """ô 5a: BÁO CÁO and its trích yếu, centred and bold, a short rule under it."""
    first = paragraph(doc, t.gettext("REPORT"), size=14, bold=True)
    first.paragraph_format.space_before = Pt(18)
    subject = paragraph(doc, report_subject(data, t), size=14, bold=True, after=12)
    rule_under(subject, 0.25)


def results_section(
    doc: Document, data: ReportInput, figures: Sequence[CriterionFigures], t: Translator
) -> None:
    """I. Kết quả: the counts, the table against the targets, the trend chart."""
    heading(doc, t.gettext("I. RESULTS"))
    complete = sum(r.meets_every_criterion for r in data.results)
    body(
        doc,
        t.gettext(
            "1. Schools assessed: %(count)s; meeting every criterion that applies: %(complete)s."
        )
        % {"count": len(data.results), "complete": complete},
    )
    body(doc, t.gettext("2. Each criterion against the plan's target:"))
    with_before = data.previous_semester is not None
    headers = [
        t.gettext("No."),
        t.gettext("Criterion"),
        t.gettext("Schools meeting it"),
        t.gettext("Rate"),
        t.gettext("Target"),
    ]
    if with_before:
        headers.append(semester_text(data.previous_semester or "", t))
    rows = []
    for number, f in enumerate(figures, start=1):
        row = [
            str(number),
            f.label,
            f"{f.met}/{f.applicable}",
            pct(f.rate, t),
            pct(f.target, t, 0),
        ]
        if with_before:
            row.append(pct(f.before, t))
        rows.append(row)
    data_table(doc, headers, rows)
    if data.chart_png:
        body(doc, t.gettext("3. Rates over the recorded semesters (dashed line: the target):"))
        picture = doc.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(data.chart_png), width=TEXT_WIDTH)
    if data.results:
        body(doc, t.gettext("Each school's result is in the annex."))


def assessment_section(
    doc: Document, data: ReportInput, figures: Sequence[CriterionFigures], t: Translator
) -> None:
    """II. Đánh giá chung: ưu điểm and hạn chế from the figures; nguyên nhân left to the office."""
    heading(doc, t.gettext("II. GENERAL ASSESSMENT"))
    body(doc, t.gettext("1. Strengths")).runs[0].bold = True
    for line in strengths(figures, data.results, data.previous_semester, t):
        body(doc, "- " + line)
    body(doc, t.gettext("2. Shortcomings")).runs[0].bold = True
    for line in weaknesses(figures, data.results, data.previous_semester, t):
        body(doc, "- " + line)
    body(doc, t.gettext("3. Causes")).runs[0].bold = True
    body(doc, t.gettext("[The office writes the causes here.]"), placeholder=True)


def office_sections(doc: Document, t: Translator) -> None:
    """III and IV: for the office to write (marked, so a draft is not sent as it is)."""
    heading(doc, t.gettext("III. TASKS AND MEASURES"))
    body(
        doc,
        t.gettext("[The office writes the tasks and measures for the next semester here.]"),
        placeholder=True,
    )
    heading(doc, t.gettext("IV. RECOMMENDATIONS AND PROPOSALS"))
    body(
        doc,
        t.gettext("[The office writes its recommendations and proposals here.]"),
        placeholder=True,
    )
    body(doc, t.gettext("This is the report on the schools' digital transformation results./."))


def signature(doc: Document, office: Office, recipients: Sequence[str], t: Translator) -> None:
    """ô 7 and 9b: Nơi nhận bottom left, the title block and name bottom right, with room for
    signature and seal between them."""
    table = layout_table(doc, [Mm(80), Emu(TEXT_WIDTH - Mm(80))])
    left, right = table.rows[0].cells
    paragraph(
        left,
        t.gettext("Recipients:"),
        size=12,
        bold=True,
        italic=True,
        align=WD_ALIGN_PARAGRAPH.LEFT,
    )
    lines = [*recipients, t.gettext("Archive: %(archive)s.") % {"archive": office.archive}]
    for line in lines:
        paragraph(left, "- " + line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    for line in office.signer.title_lines:
        paragraph(right, line, size=13, bold=True)
    gap = paragraph(right, "", size=13)
    gap.paragraph_format.space_after = Pt(72)  # about 25 mm for the signature and the seal
    paragraph(right, office.signer.name, size=13, bold=True)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    before = table._tbl.getprevious()
    if before is not None and before.tag == qn("w:p"):
        Paragraph(before, doc._body).paragraph_format.keep_with_next = True


def annex(doc: Document, data: ReportInput, t: Translator) -> None:
    """Phụ lục: each school × criterion, on its own page(s); a province's thousands of schools
    are in results.xlsx instead."""
    paragraph(doc, t.gettext("Annex"), size=14, bold=True).paragraph_format.page_break_before = True
    paragraph(doc, t.gettext("EACH SCHOOL'S RESULT"), size=14, bold=True)
    symbol = document_symbol(data.office.report_symbol, data.number)
    paragraph(
        doc,
        t.gettext("(Attached to Report No. %(symbol)s dated %(date)s of %(unit)s)")
        % {"symbol": symbol, "date": t.date(data.day), "unit": " ".join(data.office.name.split())},
        size=13,
        italic=True,
        after=12,
    )
    numbers = [f"TC{i}" for i in range(1, len(data.rulebook.criteria) + 1)]
    legend = "; ".join(
        f"{n} = {text_in(c.label, t.lang)}"
        for n, c in zip(numbers, data.rulebook.criteria, strict=True)
    )
    symbols = ", ".join(f"{SYMBOLS[s]} {status_word(s, t)}" for s in SYMBOLS)
    body(doc, f"{legend}. {symbols}.").runs[0].font.size = Pt(11)
    if len(data.results) > GRID_LIMIT:
        body(
            doc,
            t.gettext("%(count)s schools: the school-by-school grid is in results.xlsx.")
            % {"count": len(data.results)},
        )
        return
    headers = [t.gettext("No."), t.gettext("School"), *numbers, t.gettext("Met")]
    rows = [
        [
            str(number),
            plain_text(r.school.name),  # Word refuses control characters
            *(SYMBOLS[v.status] for v in r.verdicts),
            f"{r.met}/{r.applicable}",
        ]
        for number, r in enumerate(data.results, start=1)
    ]
    data_table(doc, headers, rows)


def summary_docx(data: ReportInput, t: Translator) -> bytes:
    """The report as .docx bytes."""
    from checker.outfiles import pinned_zip

    figures = criterion_figures(
        data.results, data.rulebook, data.trend, data.previous_semester, t.lang
    )
    doc = new_report(data, t)
    letterhead(doc, data, t)
    title(doc, data, t)
    body(doc, data.basis)
    results_section(doc, data, figures, t)
    assessment_section(doc, data, figures, t)
    office_sections(doc, t)
    signature(doc, data.office, data.office.report_recipients, t)
    annex(doc, data, t)
    buffer = io.BytesIO()
    doc.save(buffer)
    return pinned_zip(buffer.getvalue(), dt.datetime.combine(data.day, dt.time()))
