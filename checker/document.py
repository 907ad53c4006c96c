"""The parts of an administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I) that the
scorecard (a THÔNG BÁO to one school) and the summary (a BÁO CÁO) share, as plain values: the
letterhead's số/ký hiệu and place-and-date line, the signature block, Nơi nhận, and the PDF's
metadata (where the run id and the checker's version go: never on the printed page).

Pure functions of the office's texts (office.Office.texts), the day and a translator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from checker.i18n import Translator
from checker.office import document_symbol

# The signature block's anchor in the templates: the renderer puts the empty signature field
# over the element with this id (plus the school's id on a scorecard), where WeasyPrint laid
# it out.
SIGNATURE_ANCHOR = "signature-space"

# A4 portrait and the margins chosen within the decree's ranges (top and bottom 20–25 mm, left
# 30–35 mm, right 15–20 mm), in mm: summary.docx is laid out with them, the trend chart is drawn
# at the text's width, and templates/print.css's @page states the same (test_document_form
# measures the printed pages against them).
PAGE_MM = {"width": 210, "height": 297}
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_MM = PAGE_MM["width"] - MARGINS_MM["left"] - MARGINS_MM["right"]


def decree_date(day: dt.date, t: Translator) -> str:
    """'ngày 05 tháng 01 năm 2027', 'ngày 29 tháng 11 năm 2026': the decree writes a day below
    10 and the months 1 and 2 with a leading 0, the other months without."""
    if t.lang != "vi":
        return t.long_date(day)
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_date(office: Mapping[str, str], day: dt.date, t: Translator) -> str:
    """ô 4: 'Giồng Trôm, ngày 29 tháng 11 năm 2026' (printed in italics)."""
    return f"{office.get('place', '')}, {decree_date(day, t)}"


def one_line(text: str) -> str:
    """A name printed on two lines in the letterhead, as a sentence writes it."""
    return " ".join(text.split())


def symbol_line(pattern: str, number: int | None, t: Translator) -> str:
    """ô 3: 'Số: 12/TB-SGDĐT', or 'Số:        /TB-SGDĐT' with room to write the number."""
    return t.gettext("No.: %(symbol)s") % {"symbol": document_symbol(pattern, number)}


def recipients(office: Mapping[str, str], key: str, t: Translator) -> list[str]:
    """ô 9b: the entries of Nơi nhận, the last one 'Lưu: VT, …'."""
    entries = [line for line in office.get(key, "").split("\n") if line.strip()]
    archive = t.gettext("Archive: %(archive)s.") % {"archive": office.get("archive", "")}
    return [*entries, archive]


def signature_block(office: Mapping[str, str], t: Translator) -> dict[str, Any]:
    """ô 7: the authority line (KT. GIÁM ĐỐC), the title, and the signer's name; an empty
    name is said on the page, where the office sees it before signing."""
    name = office.get("signer_name", "")
    return {
        "heading": office.get("signer_heading", ""),
        "title": office.get("signer_title", ""),
        "name": name,
        "missing": ""
        if name
        else t.gettext("[No signer name: give signer.name in office.toml, or write it by hand]"),
    }


def deadline_of(office: Mapping[str, str], day: dt.date) -> dt.date | None:
    """The date schools report their remediation by (office.Office.deadline, from the texts)."""
    if office.get("remediation_deadline"):
        return dt.date.fromisoformat(office["remediation_deadline"])
    if office.get("remediation_days"):
        return day + dt.timedelta(days=int(office["remediation_days"]))
    return None


def contact_text(office: Mapping[str, str], t: Translator) -> str:
    """' (đ/c Trần Thị Bích, SĐT 0275 3000 000, email …)', or '' when no contact is given."""
    parts = []
    if office.get("contact_name"):
        parts.append(t.gettext("contact: %(name)s") % {"name": office["contact_name"]})
    if office.get("contact_phone"):
        parts.append(t.gettext("tel. %(phone)s") % {"phone": office["contact_phone"]})
    if office.get("contact_email"):
        parts.append(t.gettext("email %(email)s") % {"email": office["contact_email"]})
    return f" ({', '.join(parts)})" if parts else ""


def request_text(office: Mapping[str, str], day: dt.date, to_fix: bool, t: Translator) -> str:
    """'Đề nghị nhà trường … báo cáo kết quả khắc phục về … (đ/c …, SĐT …) trước ngày …'; a
    school with nothing to fix is asked to keep its results."""
    if not to_fix:
        return t.gettext("The school is asked to keep up the results achieved.")
    deadline = deadline_of(office, day)
    return t.gettext(
        "The school is asked to remedy the criteria not met and its data problems, and to report "
        "the results to %(unit)s%(contact)s by %(deadline)s."
    ) % {
        "unit": office.get("name_in_text") or one_line(office.get("name", "")),
        "contact": contact_text(office, t),
        "deadline": t.date(deadline) if deadline else "……/……/………",
    }


def pdf_metadata(
    office: Mapping[str, str],
    title: str,
    subject: str,
    run: Mapping[str, str],
    lang: str,
) -> dict[str, str]:
    """The PDF's document information (and XMP): title, author (the unit), subject, language,
    and, as the creating tool, the checker's version and the run id."""
    return {
        "title": title,
        "author": one_line(office.get("name", "")),
        "subject": subject,
        "creator": f"checker {run['version']} (run {run['run_id']})",
        "lang": lang,
    }
