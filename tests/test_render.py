"""Rendering: real PDFs from WeasyPrint, hostile school data kept inert, any Executor works."""

from __future__ import annotations

import datetime as dt
import gc
import http.server
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import pytest
from conftest import SAMPLE, check_table, pdf_pages, pdf_text, school, write_csv
from pypdf import PdfReader

from checker.render import (
    html_to_document,
    html_to_pdf,
    render_chunk,
    render_scorecards,
    render_tools,
    scorecards_html,
    split_by_card,
    split_pdf,
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


@pytest.fixture()
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


def test_hostile_cells_print_as_text_and_fetch_nothing(
    tmp_path: Path, loopback: tuple[str, list[str]]
) -> None:
    base, seen = loopback
    source = write_csv(tmp_path / "s.csv", hostile_rows(base))
    result = check_table(source, tmp_path)
    assert result.returncode == 0, result.stderr
    card = tmp_path / "out" / "scorecards" / "A1.pdf"
    text = " ".join(pdf_text(card).split())
    assert "<script>alert(1)</script> {{ 7*7 }}" in text
    assert "</script> 49 Trường" not in text  # the template syntax was not evaluated
    assert f'<img src="{base}/img-in-' in text  # printed as text (it wraps), never fetched
    assert seen == [], "rendering must not reach the network"
    reader = PdfReader(card)
    assert not reader.attachments, "no file may be attached from a cell"
    raw = card.read_bytes()
    assert b"javascript" not in raw.lower()
    assert b"root:" not in raw


def test_only_http_websites_become_links(tmp_path: Path, loopback: tuple[str, list[str]]) -> None:
    base, seen = loopback
    source = write_csv(tmp_path / "s.csv", hostile_rows(base))
    assert check_table(source, tmp_path).returncode == 0

    def links(name: str) -> set[str]:
        page = PdfReader(tmp_path / "out" / "scorecards" / name).pages[0]
        annotations = [a.get_object() for a in page.get("/Annots", [])]
        return {str(a["/A"]["/URI"]) for a in annotations if "/A" in a and "/URI" in a["/A"]}

    assert links("A1.pdf") == set()
    assert links("A2.pdf") == {"https://www.thcs-a2.edu.vn/trang-chu"}  # https assumed
    assert seen == []


def test_a_very_long_name_keeps_the_scorecard_on_one_page(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "s.csv", [school(school_name="Trường " + "Rất Dài " * 60)])
    assert check_table(source, tmp_path).returncode == 0
    card = tmp_path / "out" / "scorecards" / "08304007.pdf"
    assert pdf_pages(card) == 1
    assert "…" in pdf_text(card)


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
    assert b"root:" not in pdf
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


def plain_render(cards: list[dict[str, object]]) -> list[tuple[str, bytes]]:
    """A chunk rendered without the batch shortcuts of render_chunk: WeasyPrint's own HTML5
    parser, no line layouts shared between cards, the collector left alone."""
    tools = render_tools("vi")
    ids = [str(card["school"]["id"]) for card in cards]  # type: ignore[index]
    with tools.lock:
        document = html_to_document(scorecards_html(tools.env, cards, "vi", "0"), tools)
        pdfs = split_pdf(bytes(document.write_pdf()), split_by_card(document, ids), "0")
    return list(zip(ids, pdfs, strict=True))


def test_batch_shortcuts_give_the_same_bytes_on_the_sample_district() -> None:
    # expat instead of the HTML5 parser, and line layouts shared between the cards of a chunk,
    # must not change a single byte of any school's PDF.
    cards = cards_from_table(SAMPLE / "giong_trom_2026-2027_HK1.xlsx")
    assert len(cards) == 45
    for start in range(0, 45, 24):
        chunk = cards[start : start + 24]
        assert render_chunk(chunk, "vi", "0") == plain_render(chunk)


def test_batch_shortcuts_give_the_same_bytes_for_hostile_and_long_cells(tmp_path: Path) -> None:
    rows = hostile_rows("http://127.0.0.1:9")
    rows.append(school(school_id="A3", school_name="Trường " + "Rất Dài " * 60))  # same text
    cards = cards_from_table(write_csv(tmp_path / "s.csv", rows))
    assert render_chunk(cards, "vi", "0") == plain_render(cards)


def test_a_control_character_in_a_cell_falls_back_to_the_html5_parser(tmp_path: Path) -> None:
    # XML forbids most control characters; a cell holding one must still get its scorecard.
    rows = [school(school_id="C1", school_name="Trường Tiểu học\x0bTân Hào")]
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


class FakeStyle(dict):  # type: ignore[type-arg]
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


def test_a_card_that_runs_over_names_the_school_on_its_next_pages(tmp_path: Path) -> None:
    # The first page names the school at the top; pages a long card runs onto carry it in the
    # running footer. Each card starts its own page group, so the next card starts clean.
    cards = cards_for(tmp_path)
    cards[1] = {**cards[1], "problems": [f"Dòng {i}, cột X: giá trị lạ {i}" for i in range(90)]}
    for school_id, pdf in render_chunk(cards, "vi", "0"):
        path = tmp_path / f"{school_id}.pdf"
        path.write_bytes(pdf)
        pages = pdf_text(path).split("\f")[: pdf_pages(path)]
        footer = f"Trường Tiểu học số {school_id[1]} · Học kỳ I, năm học 2026-2027"
        assert footer not in pages[0]
        assert (len(pages) > 1) == (school_id == "S1")
        assert all(footer in page for page in pages[1:])
