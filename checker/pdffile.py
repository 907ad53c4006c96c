"""What each PDF the run writes carries besides its pages: PDF/A-3b identification, the document
information (title, author = the issuing unit, subject, language; the checker's version and the
run id as the creating tool, never on the page), and an empty signature field over the space
the layout leaves for the signature and seal.

WeasyPrint writes the chunk as PDF/A-3b (`pdf_variant`: embedded fonts, an sRGB output intent,
an XMP packet); the scorecards are cut from it with pikepdf, so each file gets the output intent
and an XMP packet of its own here, in step with its document information. Deterministic: same
pages and values, same bytes (no dates, no random ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.safe_text import plain_text
from checker.sign import Box, add_signature_field

PDF_VARIANT = "pdf/a-3b"
CSS_PX_TO_PT = 72 / 96  # WeasyPrint lays out in CSS pixels; PDF user space is in points


def anchor_box(page: Any, anchor: str) -> Box | None:
    """The box WeasyPrint laid out for the element with id `anchor` on a rendered page
    (weasyprint Page.anchors: border box x0, y0, x1, y1 in CSS px from the top left), in PDF
    points from the bottom left; None when the element is not on that page."""
    found = page.anchors.get(anchor)
    if found is None or len(found) != 4:
        return None
    x0, y0, x1, y1 = (value * CSS_PX_TO_PT for value in found)
    height = page.height * CSS_PX_TO_PT
    return (x0, height - y1, x1, height - y0)


def signature_place(pages: Any, numbers: list[int], anchor: str) -> tuple[int, Box] | None:
    """(index within `numbers`, box) of the first of these pages holding the anchor."""
    for index, number in enumerate(numbers):
        box = anchor_box(pages[number], anchor)
        if box is not None:
            return index, box
    return None


def describe(pdf: Any, metadata: Mapping[str, str], source: Any | None = None) -> None:
    """Give an open pikepdf.Pdf its document information and a matching XMP packet (PDF/A
    wants them equal), its language, and `source`'s output intent when it is a page cut."""
    import pikepdf

    if source is not None:
        for key in ("/OutputIntents", "/Metadata"):
            if key in source.Root:
                pdf.Root[key] = copied(pdf, source.Root[key])
    pdf.Root.Lang = pikepdf.String(metadata["lang"])
    values = {key: plain_text(value) for key, value in metadata.items()}
    # Not marked as edited by pikepdf: that would stamp the time into the file.
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as xmp:
        xmp["dc:title"] = values["title"]
        xmp["dc:creator"] = [values["author"]]
        xmp["dc:description"] = values["subject"]
        xmp["dc:language"] = [values["lang"]]
        xmp["xmp:CreatorTool"] = values["creator"]


def copied(pdf: Any, value: Any) -> Any:
    """A PDF object of another file copied into `pdf` (direct arrays and dictionaries are
    copied item by item: pikepdf copies only indirect objects across files)."""
    import pikepdf

    if value.is_indirect:
        return pdf.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([copied(pdf, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: copied(pdf, item) for key, item in value.items()})
    return value


def finish(
    pdf: Any, metadata: Mapping[str, str], place: tuple[int, Box] | None, source: Any = None
) -> None:
    """Metadata (see describe) and, when the layout has a signer's space, the empty field."""
    describe(pdf, metadata, source)
    if place is not None:
        add_signature_field(pdf, *place)
