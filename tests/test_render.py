"""Rendering: real PDFs from WeasyPrint, hostile school data kept inert, any Executor works."""

from __future__ import annotations

import datetime as dt
import gc
import http.server
import inspect
import io
import re
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar
from xml.etree import ElementTree

import pytest
from conftest import SAMPLE, check_table, pdf_pages, pdf_text, school, write_csv
from pypdf import PdfReader

from checker.render import (
    SHORTCUTS,
    Card,
    html_to_pdf,
    installed_shortcuts,
    render_cards,
    render_chunk,
    render_scorecards,
    render_tools,
    scorecards_html,
    verified_shortcuts,
    xhtml_tree,
)
from checker.run import first_semester_cards


class Recorder(http.server.BaseHTTPRequestHandler):
    """A loopback server that only records the paths it was asked for."""

    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.requests.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def loopback() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server on a free port; yields its base URL and the requests it saw."""
    seen: list[str] = []
    handler = type("Handler", (Recorder,), {"requests": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def hostile_rows(base: str) -> list[dict[str, str]]:
    return [
        school(
            school_id="A1",
            school_name="<script>alert(1)</script> {{ 7*7 }} Trường THCS Hưng Nhượng",
            commune=f'<img src="{base}/img-in-commune">',
            principal=f"<link rel=attachment href=file:///etc/passwd> <style>@import '{base}/css';</style>",
            website_url="javascript:alert(document.cookie)",
        ),
        school(
            school_id="A2",
            school_name="Trường " + "Rất Dài " * 60,
            website_url="www.thcs-a2.edu.vn/trang-chu",
            principal="{% for x in range(10**9) %}x{% endfor %}",
        ),
    ]


@pytest.fixture(scope="module")
def hostile_run(loopback: tuple[str, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`checker run` on the hostile rows (one run shared by the tests below); returns the
    scorecards' folder."""
    base, _ = loopback
    folder = tmp_path_factory.mktemp("hostile")
    result = check_table(write_csv(folder / "s.csv", hostile_rows(base)), folder)
    assert result.returncode == 0, result.stderr
    return folder / "out" / "scorecards"


def test_hostile_cells_print_as_text_and_fetch_nothing(
    hostile_run: Path, loopback: tuple[str, list[str]]
) -> None:
    base, seen = loopback
    card = hostile_run / "A1.pdf"
    text = " ".join(pdf_text(card).split())
    assert "<script>alert(1)</script> {{ 7*7 }}" in text
    assert "</script> 49 Trường" not in text  # the template syntax was not evaluated
    assert f'<img src="{base}/img-in-' in text  # printed as text (it wraps), never fetched
    assert seen == [], "rendering must not reach the network"
    reader = PdfReader(card)
    assert not reader.attachments, "no file may be attached from a cell"
    assert b"javascript" not in uncompressed(card).lower()  # no script, no javascript: link


def uncompressed(pdf: Path) -> bytes:
    """A PDF's bytes with its streams and objects written out uncompressed (as searched)."""
    import pikepdf

    buffer = io.BytesIO()
    with pikepdf.open(pdf) as document:
        document.save(
            buffer,
            compress_streams=False,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
        )
    return buffer.getvalue()


def test_only_http_websites_become_links(
    hostile_run: Path, loopback: tuple[str, list[str]]
) -> None:
    _, seen = loopback

    def links(name: str) -> set[str]:
        page = PdfReader(hostile_run / name).pages[0]
        annotations = [a.get_object() for a in page.get("/Annots", [])]
        return {str(a["/A"]["/URI"]) for a in annotations if "/A" in a and "/URI" in a["/A"]}

    assert links("A1.pdf") == set()
    assert links("A2.pdf") == {"https://www.thcs-a2.edu.vn/trang-chu"}  # https assumed
    assert seen == []


def test_a_very_long_name_is_printed_whole_and_the_card_stays_on_two_pages(
    hostile_run: Path,
) -> None:
    card = hostile_run / "A2.pdf"  # named "Trường Rất Dài Rất Dài ..." (60 times)
    name = "Trường " + "Rất Dài " * 60
    assert pdf_pages(card) <= 2
    text = " ".join(pdf_text(card).split())
    assert " ".join(name.split()) in text  # an official document never cuts a name
    assert "…" not in text


def test_safe_fetcher_blocks_files_and_network_but_serves_project_fonts(
    loopback: tuple[str, list[str]],
) -> None:
    base, seen = loopback
    tools = render_tools("vi")
    html = f"""<html><head><link rel=attachment href="file:///etc/passwd">
      <style>@import url({base}/import.css); body {{ background: url({base}/bg.png) }}
      @font-face {{ font-family: X; src: url({base}/font.ttf) }}</style></head>
      <body><img src="file:///etc/passwd"><img src="../../../../etc/hostname"><img src="{base}/img.png">
      <svg><image href="{base}/svg.png" width="10" height="10"/></svg><p>Trường THCS Hưng Nhượng</p></body></html>"""
    pdf = html_to_pdf(html, tools)
    assert seen == []
    assert not PdfReader(io.BytesIO(pdf)).attachments  # /etc/passwd was not attached
    assert pdf.startswith(b"%PDF")


def cards_for(tmp_path: Path) -> list[dict[str, object]]:
    """Scorecard contexts for three schools, built by the real pipeline stages."""
    rows = [
        school(school_id=f"S{i}", school_name=f"Trường Tiểu học số {i}", level="Tiểu học")
        for i in range(3)
    ]
    return cards_from_table(write_csv(tmp_path / "s.csv", rows))


def cards_from_table(table: Path) -> list[dict[str, object]]:
    """Scorecard contexts for every school of a table, built by the real pipeline stages."""
    cards = first_semester_cards(table, "2026-2027/HK1", dt.date(2026, 11, 29), "vi")
    return [dict(card) for card in cards]


def test_a_render_worker_imports_only_what_rendering_needs() -> None:
    # A render worker (or a Dask worker) imports checker.render to render: not the history
    # store, the table tools or the intake checks, whose imports would cost every worker.
    heavy = ("sqlalchemy", "pandas", "great_expectations", "openpyxl", "matplotlib", "docx")
    code = f"import sys, checker.render; print(sorted(set({heavy!r}) & set(sys.modules)))"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


def test_render_stage_takes_any_executor(tmp_path: Path) -> None:
    cards = cards_for(tmp_path)
    with ThreadPoolExecutor(2) as threads:
        by_threads = list(render_scorecards(cards, "vi", "0", threads, chunk_size=2))
    with ProcessPoolExecutor(2) as processes:
        by_processes = list(render_scorecards(cards, "vi", "0", processes, chunk_size=2))
    assert [school_id for school_id, _ in by_threads] == ["S0", "S1", "S2"]
    assert by_threads == by_processes, "the same chunks give the same bytes, whatever the executor"
    for school_id, pdf in by_threads:
        path = tmp_path / f"{school_id}.pdf"
        path.write_bytes(pdf)
        assert f"Trường Tiểu học số {school_id[1]}" in pdf_text(path)


@pytest.mark.parametrize("enabled", [True, False])
def test_rendering_leaves_the_garbage_collector_as_it_was(tmp_path: Path, enabled: bool) -> None:
    # render_chunk pauses the collector while it lays out; a caller's setting must survive it.
    cards = cards_for(tmp_path)
    was_enabled = gc.isenabled()
    if not enabled:
        gc.disable()
    try:
        pdfs = render_chunk(cards[:2], "vi", "0")
        assert gc.isenabled() is enabled
    finally:
        if was_enabled:
            gc.enable()
    assert [school_id for school_id, _ in pdfs] == ["S0", "S1"]
    assert all(pdf.startswith(b"%PDF") for _, pdf in pdfs)


def render_with(cards: Sequence[Card], shortcuts: Iterable[str]) -> list[tuple[str, bytes]]:
    """The cards rendered as render_chunk does, in chunks of 24, with just these shortcuts."""
    tools = render_tools("vi", frozenset(shortcuts))
    return [
        pdf
        for start in range(0, len(cards), 24)
        for pdf in render_cards(cards[start : start + 24], tools, "vi", "0")
    ]


MM = 72 / 25.4  # PDF points in a millimetre
Box = tuple[str, str, float, float, float, float]  # kind (block/line/word), text, x0, y0, x1, y1


def page_boxes(pdfs: Sequence[bytes], folder: Path) -> list[tuple[str, list[Box]]]:
    """Every page of the given PDFs, in order: its size and the boxes of its text blocks,
    lines and words with their text, as poppler's `pdftotext -bbox-layout` reads them."""
    import pikepdf

    whole = folder / "pages.pdf"
    with pikepdf.new() as merged, warnings.catch_warnings():
        # Only the pages' text is read here: that the cards' signature fields would not work
        # in the merged file (pikepdf's warning, from 10.18) is beside the point.
        warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
        for pdf in pdfs:
            with pikepdf.open(io.BytesIO(pdf)) as one:
                merged.pages.extend(one.pages)
        merged.save(whole)
    layout = folder / "pages.html"
    subprocess.run(["pdftotext", "-bbox-layout", str(whole), str(layout)], check=True)
    xhtml = "{http://www.w3.org/1999/xhtml}"
    pages = []
    for page in ElementTree.parse(layout).getroot().iter(f"{xhtml}page"):
        boxes = [
            (
                element.tag.removeprefix(xhtml),
                "".join(element.itertext()).strip(),
                *(round(float(element.attrib[k]), 2) for k in ("xMin", "yMin", "xMax", "yMax")),
            )
            for element in page.iter()
            if element.tag.removeprefix(xhtml) in ("block", "line", "word")
        ]
        pages.append((f"{page.attrib['width']}x{page.attrib['height']}", boxes))
    return pages  # type: ignore[return-value]


@pytest.fixture(scope="module")
def sample_cards() -> list[dict[str, object]]:
    """The sample district's 45 scorecard contexts."""
    cards = cards_from_table(SAMPLE / "giong_trom_2026-2027_HK1.xlsx")
    assert len(cards) == 45
    return cards


Rendered = Callable[[Iterable[str]], list[tuple[str, bytes]]]


@pytest.fixture(scope="module")
def sample_rendered(sample_cards: list[dict[str, object]]) -> Rendered:
    """The sample district rendered with the given shortcuts (each set rendered once)."""
    done: dict[frozenset[str], list[tuple[str, bytes]]] = {}

    def rendered(shortcuts: Iterable[str]) -> list[tuple[str, bytes]]:
        key = frozenset(shortcuts)
        if key not in done:
            done[key] = render_with(sample_cards, key)
        return done[key]

    return rendered


@pytest.fixture(scope="module")
def plain_pages(
    sample_rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[str, list[Box]]]:
    """The sample district's pages rendered with every shortcut off: WeasyPrint's public API."""
    rendered = sample_rendered(())
    pages = page_boxes([pdf for _, pdf in rendered], tmp_path_factory.mktemp("plain"))
    assert 45 <= len(pages) <= 90  # one or two pages per school
    return pages


def unverified(shortcuts: Iterable[str]) -> pytest.MarkDecorator:
    """Expected to fail (not strictly) where a shortcut is not verified on the installed
    WeasyPrint: the plain path renders there, and the test tells whether it could be added to
    render.SHORTCUT_VERIFIED_ON."""
    missing = set(shortcuts) - installed_shortcuts()
    return pytest.mark.xfail(bool(missing), reason=f"not verified: {missing}", strict=False)


@pytest.mark.parametrize(
    "shortcuts",
    [pytest.param((name,), id=name, marks=unverified((name,))) for name in sorted(SHORTCUTS)]
    + [pytest.param(tuple(sorted(SHORTCUTS)), id="all", marks=unverified(SHORTCUTS))],
)
def test_each_shortcut_lays_out_the_sample_district_as_the_plain_path(
    sample_cards: list[dict[str, object]],
    sample_rendered: Rendered,
    plain_pages: list[tuple[str, list[Box]]],
    shortcuts: tuple[str, ...],
    tmp_path: Path,
) -> None:
    rendered = sample_rendered(shortcuts)
    assert [school_id for school_id, _ in rendered] == [c["school"]["id"] for c in sample_cards]  # type: ignore[index]
    if rendered == sample_rendered(()):
        return  # the very same bytes: the same pages, text and boxes (nothing to read back)
    pages = page_boxes([pdf for _, pdf in rendered], tmp_path)
    assert len(pages) == len(plain_pages)
    for number, (page, plain) in enumerate(zip(pages, plain_pages, strict=True), start=1):
        assert page == plain, f"page {number} differs with {shortcuts}"


@pytest.mark.xfail(
    not {"xhtml_tree", "shared_lines"} <= installed_shortcuts(), reason="not verified"
)
def test_parsing_and_line_shortcuts_do_not_change_a_byte(
    sample_rendered: Rendered, tmp_path: Path
) -> None:
    # expat instead of the HTML5 parser, and line layouts shared between the cards of a chunk,
    # must not change a single byte of any school's PDF (hostile and long cells included).
    lean = SHORTCUTS - {"xhtml_tree", "shared_lines"}
    assert sample_rendered(SHORTCUTS) == sample_rendered(lean)
    rows = hostile_rows("http://127.0.0.1:9")
    rows.append(school(school_id="A3", school_name="Trường " + "Rất Dài " * 60))  # same text
    cards = cards_from_table(write_csv(tmp_path / "s.csv", rows))
    assert render_with(cards, SHORTCUTS) == render_with(cards, lean)


def test_the_summary_takes_the_plain_path_whatever_the_shortcuts() -> None:
    # The trimmed UA stylesheet was verified on the scorecards only: it moves the cells of a
    # full-width table (the summary's) by a fraction of a point, so the summary never uses it.
    html = (
        '<table style="width: 100%"><tr><th>Tiêu chí</th><th>Kết quả</th>'
        '<td style="text-align: right">45</td></tr></table>'
    )
    with_shortcuts = html_to_pdf(html, render_tools("vi", SHORTCUTS))
    assert with_shortcuts == html_to_pdf(html, render_tools("vi", frozenset()))


def test_shortcuts_are_used_only_on_the_weasyprint_versions_they_were_verified_on() -> None:
    import weasyprint

    assert verified_shortcuts("70.0") == SHORTCUTS
    assert verified_shortcuts("71.0") == frozenset()  # the next major: plain path until verified
    assert verified_shortcuts("69.2") == frozenset()
    assert verified_shortcuts("not a version") == frozenset()
    assert installed_shortcuts() == verified_shortcuts(weasyprint.__version__)
    assert render_tools("vi").shortcuts == installed_shortcuts()


def test_the_plain_path_renders_without_weasyprint_internals(tmp_path: Path) -> None:
    # With every shortcut off, nothing of WeasyPrint is replaced or bypassed.
    from weasyprint import HTML
    from weasyprint.layout import inline

    tools = render_tools("vi", frozenset())
    assert "_ua_stylesheets" not in vars(tools.html_class)
    assert tools.html_class.__mro__[1] is HTML
    original = inline.split_first_line
    ((school_id, pdf),) = render_cards(cards_for(tmp_path)[:1], tools, "vi", "0")
    assert inline.split_first_line is original
    assert school_id == "S0" and pdf.startswith(b"%PDF")


def test_line_cache_key_holds_every_style_property_that_line_breaking_reads() -> None:
    # Read from the installed WeasyPrint's own code, not from our copy: a property WeasyPrint
    # starts to read when it splits a line must be in the key, or equal keys could share a
    # layout that differs.
    from weasyprint.text import fonts, line_break

    from checker.line_cache import LINE_STYLE_PROPERTIES

    source = inspect.getsource(line_break) + inspect.getsource(fonts)
    read = set(re.findall(r"""style\[\s*['"](\w+)['"]\s*\]""", source))
    read |= set(re.findall(r"""style\.get\(\s*['"](\w+)['"]""", source))
    assert len(read) >= 20, f"WeasyPrint no longer reads style['...'] there ({read}): check by hand"
    assert read - set(LINE_STYLE_PROPERTIES) == set()


def test_a_control_character_in_a_cell_falls_back_to_the_html5_parser(tmp_path: Path) -> None:
    # XML forbids most control characters; a cell holding one must still get its scorecard.
    rows = [school(school_id="C1", school_name="Trường Tiểu học Tân Hào", commune="Xã\x0bTân Hào")]
    cards = cards_from_table(write_csv(tmp_path / "s.csv", rows))
    tools = render_tools("vi")
    assert xhtml_tree(scorecards_html(tools.env, cards, "vi", "0")) is None
    ((school_id, pdf),) = render_chunk(cards, "vi", "0")
    path = tmp_path / "C1.pdf"
    path.write_bytes(pdf)
    assert school_id == "C1"
    assert "Tân Hào" in pdf_text(path)
    assert xhtml_tree(scorecards_html(tools.env, cards_for(tmp_path), "vi", "0")) is not None


def test_rendering_puts_weasyprint_line_splitting_back() -> None:
    from weasyprint.layout import inline

    from checker.line_cache import shared_line_layouts

    original = inline.split_first_line
    with pytest.raises(RuntimeError), shared_line_layouts():
        assert inline.split_first_line is not original
        raise RuntimeError("a render that fails")
    assert inline.split_first_line is original


def test_stylesheets_avoid_what_would_change_a_shared_line_layout() -> None:
    # WeasyPrint rewrites a line's layout only for text-overflow: ellipsis and block-ellipsis;
    # shared_line_layouts relies on the project's stylesheets not using them.
    from checker import paths

    for name in ("print.css", "ua.css"):
        css = (paths.TEMPLATES_DIR / name).read_text(encoding="utf-8")
        assert "text-overflow" not in css
        assert "block-ellipsis" not in css


class FakeStyle(dict[str, object]):
    """A computed style as line splitting sees it: properties by name, and a font_config."""

    font_config = object()


def test_equal_line_splits_are_computed_once() -> None:
    from checker.line_cache import LINE_STYLE_PROPERTIES, memoised_split

    calls: list[tuple[str, float]] = []

    def split(text: str, style: FakeStyle, context: object, width: float, *rest: object) -> str:
        calls.append((text, width))
        return f"layout of {text!r} in {width}"

    shared = memoised_split(split)
    style = FakeStyle({name: "normal" for name in LINE_STYLE_PROPERTIES})
    same_look = FakeStyle(style)  # another box styled alike
    bolder = FakeStyle({**style, "font_weight": 700})
    context = object()
    first = shared("Cần làm: …", style, context, 400.0, 0)
    assert shared("Cần làm: …", same_look, context, 400.0, 0) == first
    assert shared("Cần làm: …", bolder, context, 400.0, 0) == first  # the fake ignores style
    shared("Cần làm: …", style, context, 300.0, 0)
    shared("Toàn huyện: 79,2%", style, context, 400.0, 0)
    assert calls == [
        ("Cần làm: …", 400.0),
        ("Cần làm: …", 400.0),  # the bolder style is not the same line
        ("Cần làm: …", 300.0),
        ("Toàn huyện: 79,2%", 400.0),
    ]


def test_a_card_that_runs_over_numbers_its_pages_from_2_at_the_top(tmp_path: Path) -> None:
    # Each card is a document of its own: no number on its first page, then 2, 3, … centred
    # in the top margin, counted again from 1 for the next card of the same chunk.
    cards = cards_for(tmp_path)
    cards[1] = {**cards[1], "problems": [f"Dòng {i}, cột X: giá trị lạ {i}" for i in range(90)]}
    pages_of = {}
    for school_id, pdf in render_chunk(cards, "vi", "0"):
        boxes = page_boxes([pdf], tmp_path)
        pages_of[school_id] = len(boxes)
        for number, (_, page) in enumerate(boxes, start=1):
            top = [b for b in page if b[0] == "word" and b[3] < 20 * MM]
            if number == 1:
                assert top == [], f"{school_id}: a number on the first page"
            else:
                [(_, text, x0, _, x1, _)] = top
                assert text == str(number)
                # Centred over the text, between the 30 mm left and 15 mm right margins.
                assert abs((x0 + x1) / 2 - (30 + 195) / 2 * MM) < 1, "the number is centred"
    assert pages_of["S1"] > 2 and pages_of["S0"] <= 2 and pages_of["S2"] <= 2
