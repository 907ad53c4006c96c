"""The scorecard (THÔNG BÁO) and the summary (BÁO CÁO) in the form of Nghị định 30/2020/NĐ-CP,
read back from the PDFs `checker run` writes, for three issuing units: the sample district office
(office.toml), the provincial department example, and a commune written here. Positions come
from poppler's `pdftotext -bbox-layout`, fonts from `pdffonts`, italics from pypdf's text
visitor, metadata from pikepdf, the signature field from pyHanko."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest
from conftest import check_table, pdf_text, school, write_csv
from pypdf import PdfReader

from checker import paths
from checker.rulebook import load_rulebook
from checker.sign import FIELD_NAME, empty_signature_fields

MM = 72 / 25.4  # PDF points in a millimetre
PROVINCE = Path(paths.__file__).parent / "examples" / "office-so-gddt-ben-tre.toml"
COMMUNE = """
unit_id = "xa-hung-nhuong"
kind = "commune"
[signer]
name = ""
prefix = "TL."
[document]
notice_symbol = "{number}/TB-VHXH"
report_symbol = "{number}/BC-VHXH"
remediation_deadline = 2027-01-20
[contact]
name = "Nguyễn Văn Tư"
phone = "0275 3000 002"
[vi]
parent_authority = "ỦY BAN NHÂN DÂN XÃ HƯNG NHƯỢNG"
name = "PHÒNG VĂN HÓA - XÃ HỘI"
name_in_text = "Phòng Văn hóa - Xã hội xã Hưng Nhượng"
area = "toàn xã"
place = "Hưng Nhượng"
plan = "Kế hoạch chuyển đổi số trường học của xã Hưng Nhượng"
signer_authority_title = "CHỦ TỊCH"
signer_title = "TRƯỞNG PHÒNG VĂN HÓA - XÃ HỘI"
notice_recipients = ["Như trên;"]
report_recipients = ["UBND xã (để b/c);", "Sở GD&ĐT (để b/c);"]
archive = "VT, VHXH"
"""
UNITS = ("district", "province", "commune")


def rows() -> list[dict[str, str]]:
    """Three schools: one meeting everything, one with gaps, one with a data problem."""
    return [
        school(school_id="S1", school_name="Trường THCS Hưng Nhượng"),
        school(school_id="S2", school_name="Tiểu học Tân Hào", level="Tiểu học", computers="5"),
        school(school_id="S3", school_name="Trường THCS Sơn Phú", ioffice_share="130"),
    ]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`checker run` once per issuing unit; returns each run's output folder."""
    folder = tmp_path_factory.mktemp("documents")
    table = write_csv(folder / "t.csv", rows())
    commune = folder / "commune.toml"
    commune.write_text(COMMUNE, encoding="utf-8")
    options = {
        "district": ("--doc-number", "7", "--report-number", "12"),
        "province": ("--office", str(PROVINCE)),
        "commune": ("--office", str(commune)),
    }
    outs = {}
    for unit, extra in options.items():
        where = folder / unit
        where.mkdir()
        result = check_table(table, where, "--date", "2026-11-29", *extra)
        assert result.returncode == 0, result.stderr
        outs[unit] = where / "out"
    return outs


Word = tuple[str, float, float, float, float]  # text, x0, y0, x1, y1 (points, from the top left)


def pages_words(pdf: Path) -> list[list[Word]]:
    """Every page's words with their boxes."""
    layout = pdf.with_suffix(".bbox.html")
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(layout)], check=True)
    xhtml = "{http://www.w3.org/1999/xhtml}"
    pages = []
    for page in ElementTree.parse(layout).getroot().iter(f"{xhtml}page"):
        words: list[Word] = []
        for word in page.iter(f"{xhtml}word"):
            x0, y0, x1, y1 = (float(word.attrib[k]) for k in ("xMin", "yMin", "xMax", "yMax"))
            words.append((word.text or "", x0, y0, x1, y1))
        pages.append(words)
    return pages


def find(words: list[Word], phrase: str) -> Word:
    """The box of the first run of words spelling `phrase` (its first word's top left, its
    last word's bottom right)."""
    wanted = phrase.split()
    texts = [w[0] for w in words]
    for start in range(len(texts) - len(wanted) + 1):
        if texts[start : start + len(wanted)] == wanted:
            first, last = words[start], words[start + len(wanted) - 1]
            return (phrase, first[1], first[2], last[3], last[4])
    raise AssertionError(f"{phrase!r} not on the page")


def documents(out: Path) -> Iterator[Path]:
    yield out / "summary.pdf"
    yield from sorted((out / "scorecards").glob("*.pdf"))


def flat(pdf: Path) -> str:
    return " ".join(pdf_text(pdf).split())


@pytest.mark.parametrize("unit", UNITS)
def test_every_page_keeps_the_decree_margins(runs: dict[str, Path], unit: str) -> None:
    for pdf in documents(runs[unit]):
        for number, words in enumerate(pages_words(pdf), start=1):
            assert words, f"{pdf.name} page {number} is empty"
            left, right = min(w[1] for w in words), max(w[3] for w in words)
            portrait = right < 210 * MM
            # Left 30 mm (25 mm on the landscape annex), right 15 mm (20 mm); 20 mm top and
            # bottom (the page number sits in the top margin).
            assert left >= (30 if portrait else 25) * MM - 0.5, (pdf.name, number, left)
            width = 210 if portrait else 297  # a justified line's last glyph may overhang by 1 pt
            assert right <= (width - (15 if portrait else 20)) * MM + 1, (pdf.name, number, right)
            body = [w for w in words if not re.fullmatch(r"\d+", w[0]) or w[2] > 20 * MM]
            assert max(w[4] for w in body) <= (297 if portrait else 210) * MM - 20 * MM


def test_the_letterhead_title_and_signature_are_in_their_places(runs: dict[str, Path]) -> None:
    card = runs["district"] / "scorecards" / "S2.pdf"
    pages = pages_words(card)
    first, last = pages[0], pages[-1]
    nation = find(first, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    agency = find(first, "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO")
    assert nation[1] > 100 * MM and nation[2] < 40 * MM  # top right
    assert agency[3] < nation[1] and abs(agency[2] - nation[2]) < 20  # top left, same height
    symbol = find(first, "Số: 07/TB-PGDĐT")
    assert symbol[3] < 100 * MM and symbol[2] > agency[4]  # under the agency
    date = find(first, "Giồng Trôm, ngày 29 tháng 11 năm 2026")
    assert date[1] > 100 * MM and date[2] > nation[4]
    kind = find(first, "THÔNG BÁO")
    assert abs((kind[1] + kind[3]) / 2 - (30 + 195) / 2 * MM) < 2  # centred over the text
    find(first, "Kết quả đánh giá chuyển đổi số học kỳ I năm học 2026-2027")
    find(first, "Kính gửi: Hiệu trưởng Trường Tiểu học Tân Hào")  # "Trường" added
    recipients = find(last, "Nơi nhận:")
    title = find(last, "TRƯỞNG PHÒNG")
    name = find(last, "Lê Văn Minh")
    request = find(last, "Đề nghị nhà trường")
    assert recipients[1] < 40 * MM and recipients[2] > request[2]  # bottom left, after the text
    assert title[1] > 110 * MM and name[2] - title[4] > 20 * MM  # room for signature and seal
    text = " ".join(w[0] for w in last)
    assert "- Lưu: VT." in text


@pytest.mark.parametrize("unit", UNITS)
def test_no_tool_name_or_run_id_on_any_page(runs: dict[str, Path], unit: str) -> None:
    run_id = re.search(r'"run_id": "(\w+)"', (runs[unit] / "manifest.json").read_text())
    assert run_id
    for pdf in documents(runs[unit]):
        text = flat(pdf)
        assert "checker" not in text.lower() and run_id.group(1) not in text, pdf.name


def test_the_serif_faces_are_embedded_and_the_date_is_italic(runs: dict[str, Path]) -> None:
    card = runs["district"] / "scorecards" / "S2.pdf"
    fonts = subprocess.run(
        ["pdffonts", str(card)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    names = {line.split()[0].split("+")[-1] for line in fonts}
    assert {"Liberation-Serif", "Liberation-Serif-Bold", "Liberation-Serif-Italic"} <= names
    assert all(" yes " in line for line in fonts)  # every font embedded
    styled: list[tuple[str, str]] = []

    def visit(text: str, cm: object, tm: object, font: object, size: object) -> None:
        if text.strip() and isinstance(font, dict):
            styled.append((text, str(font.get("/BaseFont", ""))))

    PdfReader(card).pages[0].extract_text(visitor_text=visit)
    dates = [f for text, f in styled if "tháng 11" in text]
    assert dates and all("Italic" in f for f in dates)
    agency = [f for text, f in styled if "PHÒNG GIÁO DỤC" in text]
    assert agency and all("Bold" in f for f in agency)
    parent = [f for text, f in styled if "UBND HUYỆN" in text]
    assert parent and not any("Bold" in f for f in parent)  # the parent authority: not bold


def test_the_request_names_the_contact_and_the_deadline(runs: dict[str, Path]) -> None:
    district = flat(runs["district"] / "scorecards" / "S2.pdf")
    assert (
        "báo cáo kết quả khắc phục về Phòng Giáo dục và Đào tạo (đ/c Trần Thị Bích, SĐT 0275 "
        "3000 000, email chuyendoiso@example.com) trước ngày 29/12/2026"
    ) in district  # 30 days after the documents' date
    province = flat(runs["province"] / "scorecards" / "S2.pdf")
    assert "về Sở Giáo dục và Đào tạo (đ/c Võ Minh Tâm" in province
    assert "trước ngày 15/01/2027" in province
    good = flat(runs["district"] / "scorecards" / "S1.pdf")
    assert "tiếp tục duy trì các kết quả đã đạt được" in good


def test_numbers_given_or_left_blank_to_write_by_hand(runs: dict[str, Path]) -> None:
    assert "Số: 07/TB-PGDĐT" in flat(runs["district"] / "scorecards" / "S1.pdf")
    summary = flat(runs["district"] / "summary.pdf")
    assert "Số: 12/BC-PGDĐT" in summary
    assert "(Kèm theo Báo cáo số 12/BC-PGDĐT ngày 29/11/2026 của PHÒNG GIÁO DỤC VÀ ĐÀO TẠO)" in (
        summary
    )
    assert re.search(r"Số: /TB-SGDĐT", flat(runs["province"] / "scorecards" / "S1.pdf"))


def without_rulebook_texts(text: str) -> str:
    """The page's text without the rulebook's own sentences (the sample rulebook cites the
    district's plan: a unit running it cites what its rulebook says)."""
    rulebook = load_rulebook(paths.DEFAULT_RULEBOOK)
    for criterion in rulebook.criteria:
        own = [criterion.legal_basis, criterion.remediation, criterion.label]
        own += [texts for by_key in criterion.by_level.values() for texts in by_key.values()]
        for texts in own:
            text = text.replace(" ".join(texts["vi"].split()), "")
    return text


@pytest.mark.parametrize(
    ("unit", "words"),
    [
        ("province", ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Toàn tỉnh", "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")),
        ("commune", ("PHÒNG VĂN HÓA - XÃ HỘI", "Toàn xã", "TL. CHỦ TỊCH", "Hưng Nhượng, ngày")),
    ],
)
def test_a_department_and_a_commune_speak_in_their_own_words(
    runs: dict[str, Path], unit: str, words: tuple[str, ...]
) -> None:
    for pdf in documents(runs[unit]):
        text = flat(pdf)
        for word in words:
            assert word.lower() in text.lower(), (pdf.name, word)
        own = without_rulebook_texts(text).lower()
        assert "huyện" not in own and "phòng giáo dục" not in own, pdf.name


def test_an_empty_signer_name_is_said_on_the_page(runs: dict[str, Path]) -> None:
    for pdf in documents(runs["commune"]):
        assert "[Chưa có họ tên người ký: điền signer.name trong office.toml hoặc ghi tay]" in (
            flat(pdf)
        )
    assert "Chưa có họ tên người ký" not in flat(runs["district"] / "summary.pdf")


@pytest.mark.parametrize("unit", UNITS)
def test_every_pdf_has_an_empty_signature_field_between_title_and_name(
    runs: dict[str, Path], unit: str
) -> None:
    for pdf in documents(runs[unit]):
        data = pdf.read_bytes()
        assert empty_signature_fields(data) == [FIELD_NAME], pdf.name  # as pyHanko reads it
        with pikepdf.open(io.BytesIO(data)) as document:
            [(number, widget)] = [
                (n, a)
                for n, page in enumerate(document.pages)
                for a in page.obj.get("/Annots", [])
                if a.get("/FT") == "/Sig"
            ]
            height = float(document.pages[number].MediaBox[3])
            x0, y0, x1, y1 = (float(v) for v in widget.Rect)
        words = pages_words(pdf)[number]
        title = [w for w in words if w[0] in ("PHÒNG", "PHÓ", "TRƯỞNG") and w[1] > 100 * MM]
        above = [w for w in title if w[2] < height - y1]  # the title's words, over the field
        assert above, pdf.name
        assert height - y1 >= max(w[4] for w in above) - 1, pdf.name  # below the title
        assert y1 - y0 > 20 * MM and x0 > 100 * MM and x1 <= (210 - 15) * MM, pdf.name
        below = [w for w in words if w[2] >= height - y0 - 1 and w[1] >= x0 - 20 * MM]
        assert below, f"{pdf.name}: the signer's name under the field"


@pytest.mark.parametrize("unit", UNITS)
def test_pdf_a_metadata_names_the_unit_the_subject_and_the_language(
    runs: dict[str, Path], unit: str
) -> None:
    authors = {
        "district": "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",
        "province": "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        "commune": "PHÒNG VĂN HÓA - XÃ HỘI",
    }
    run_id = re.search(r'"run_id": "(\w+)"', (runs[unit] / "manifest.json").read_text())
    assert run_id
    for pdf in documents(runs[unit]):
        with pikepdf.open(pdf) as document:
            meta = document.open_metadata()
            assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B"
            assert meta["dc:creator"] == [authors[unit]]
            assert "chuyển đổi số" in meta["dc:title"] and "chuyển đổi số" in meta["dc:description"]
            assert str(document.docinfo["/Title"]) == meta["dc:title"]
            assert str(document.docinfo["/Author"]) == authors[unit]
            assert run_id.group(1) in str(document.docinfo["/Creator"])
            assert str(document.Root.Lang) == "vi"
            assert len(document.Root.OutputIntents) == 1
    with pikepdf.open(runs[unit] / "scorecards" / "S3.pdf") as card:
        assert str(card.docinfo["/Title"]).endswith("Trường THCS Sơn Phú")


def test_the_summary_is_a_report_with_its_sections_and_annex(runs: dict[str, Path]) -> None:
    pdf = runs["district"] / "summary.pdf"
    text = flat(pdf)
    order = [
        "BÁO CÁO",
        "Kết quả đánh giá chuyển đổi số các trường học, học kỳ I năm học 2026-2027",
        "I. KẾT QUẢ THỰC HIỆN",
        "II. ĐÁNH GIÁ CHUNG",
        "1. Ưu điểm",
        "2. Hạn chế",
        "III. NHIỆM VỤ, GIẢI PHÁP",
        "IV. KIẾN NGHỊ, ĐỀ XUẤT",
        "Nơi nhận:",
        "Phụ lục",
        "(Kèm theo Báo cáo số",
    ]
    places = [text.index(part) for part in order]
    assert places == sorted(places)
    # Section II is generated from the figures.
    assert re.search(r"Còn cách xa chỉ tiêu kế hoạch nhất: [^.]*Phòng máy tính", text)
    pages = pages_words(pdf)
    assert len(pages) >= 2
    numbers = [[w for w in page if w[2] < 20 * MM] for page in pages]
    assert numbers[0] == []  # no number on the first page
    assert [page[0][0] for page in numbers[1:]] == [str(n) for n in range(2, len(pages) + 1)]
