"""RENDER stage: plain-value contexts -> HTML (Jinja2) -> PDF (WeasyPrint).

Safety: school data is untrusted. Templates run in Jinja's sandbox with autoescape on and
StrictUndefined, and receive only plain values. WeasyPrint fetches through `SafeFetcher`, which
serves `data:` URLs and files under the project's `templates/` folder and refuses everything
else (no network, no `file://` outside templates), whatever a cell contains.

Speed: many scorecards are laid out as ONE WeasyPrint document (one stylesheet parse, one font
setup) and its pages are then split into one PDF per school. Chunks of scorecards go to any
`concurrent.futures.Executor` (a process pool here, a Dask client's executor on a cluster).
WeasyPrint is imported inside functions so that importing this module stays cheap.

Three further shortcuts lean on WeasyPrint internals (see SHORTCUT_VERIFIED_ON): the
scorecards' XHTML parsed by expat (`xhtml_tree`), equal lines sharing their layout within a
chunk (`shared_lines`, checker.line_cache), and a trimmed user-agent stylesheet (`lean_ua`).
Each is used only on the WeasyPrint versions it was verified on; elsewhere the plain path
(WeasyPrint's public API alone) renders the same pages, a little slower.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import functools
import gc
import io
import itertools
import logging
import math
import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from checker import paths
from checker.chart import draw_trend
from checker.context import TrendPoint
from checker.i18n import Translator, load_translator
from checker.line_cache import shared_line_layouts
from checker.model import Rulebook
from checker.pdffile import PDF_VARIANT, finish, signature_place
from checker.sign import Box

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

Card = Mapping[str, Any]  # one scorecard's context: plain values only

# The WeasyPrint major versions each shortcut was verified on: tests/test_render.py renders the
# sample district with every shortcut off and with each one on, and compares the pages' text
# and box positions (the line cache's key is also checked against what WeasyPrint's line
# breaking reads). On any other version the shortcut is off and the plain path runs.
SHORTCUT_VERIFIED_ON: Mapping[str, frozenset[int]] = MappingProxyType(
    {
        # LeanHTML.from_tree: an expat-parsed tree set up the way HTML.__init__ sets up its own
        "xhtml_tree": frozenset({70}),
        # checker.line_cache: a memo in front of weasyprint.layout.inline.split_first_line
        "shared_lines": frozenset({70}),
        # LeanHTML._ua_stylesheets: templates/ua.css instead of WeasyPrint's HTML5 UA sheet
        "lean_ua": frozenset({70}),
    }
)
SHORTCUTS = frozenset(SHORTCUT_VERIFIED_ON)


def weasyprint_major(version: str) -> int | None:
    """The major number of a WeasyPrint version string ("70.0" -> 70); None if unreadable."""
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def verified_shortcuts(version: str) -> frozenset[str]:
    """The shortcuts verified on this WeasyPrint version (see SHORTCUT_VERIFIED_ON)."""
    major = weasyprint_major(version)
    return frozenset(name for name, majors in SHORTCUT_VERIFIED_ON.items() if major in majors)


@functools.cache
def installed_shortcuts() -> frozenset[str]:
    """The shortcuts verified on the installed WeasyPrint; says once (debug) which are off."""
    import weasyprint

    enabled = verified_shortcuts(weasyprint.__version__)
    if enabled != SHORTCUTS:
        logging.getLogger(__name__).debug(
            "WeasyPrint %s: render shortcuts %s not verified on this version, plain path used",
            weasyprint.__version__,
            ", ".join(sorted(SHORTCUTS - enabled)),
        )
    return enabled


class BlockedFetch(ValueError):
    """A resource outside the project's templates was asked for and refused."""


def _inside(path: str, folder: str) -> bool:
    """True when `path` (resolved) lies inside `folder` (resolved)."""
    real = os.path.realpath(path)
    return os.path.commonpath([real, folder]) == folder


def file_url_path(url: str) -> str:
    """The local path a file: URL names (query and fragment dropped)."""
    return url2pathname(urlsplit(url).path)


def make_safe_fetcher(templates_dir: str) -> Any:
    """A WeasyPrint URL fetcher that serves only data: URLs and files under `templates_dir`."""
    from weasyprint import URLFetcher

    root = os.path.realpath(templates_dir)

    class SafeFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:") and _inside(file_url_path(url), root):
                return super().fetch(url, headers)
            raise BlockedFetch(f"blocked: {url[:80]}")

    return SafeFetcher(allowed_protocols=("file", "data"), timeout=2)


def template_environment(translator: Translator) -> SandboxedEnvironment:
    """The sandboxed Jinja environment for the project's templates, in the user's language."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(paths.TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translator.translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def scorecards_html(
    env: SandboxedEnvironment, cards: Sequence[Card], lang: str, version: str
) -> str:
    """The HTML of one document holding the given scorecards, one section each."""
    template = env.get_template("scorecards.html")
    return template.render(cards=cards, lang=lang, checker_version=version)


def summary_html(env: SandboxedEnvironment, context: Mapping[str, Any]) -> str:
    """The HTML of the district summary (`context['chart']`: the trend chart's image URL)."""
    return env.get_template("summary.html").render(**context)


def svg_data_url(svg: bytes) -> str:
    """An SVG image as a data: URL, for an <img>: WeasyPrint reads it with its SVG parser and
    draws its text in the page's fonts, as it would inline <svg>, without parsing its thousands
    of elements as HTML and computing their CSS (a third of the summary's cost, 0.3 s a run)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@dataclass(frozen=True)
class RenderTools:
    """What one process needs to render: templates, one shared font setup, the parsed CSS."""

    env: SandboxedEnvironment
    font_config: FontConfiguration
    stylesheet: CSS
    fetcher: Any
    html_class: type  # weasyprint.HTML, with the shortcuts' hooks (see lean_html_class)
    shortcuts: frozenset[str]  # the shortcuts in use (see SHORTCUT_VERIFIED_ON)
    # WeasyPrint (Pango, fontconfig) is not thread-safe: one render at a time per process, so a
    # thread pool given as the executor is safe (processes are what give parallelism).
    lock: threading.Lock = field(default_factory=threading.Lock)


@functools.cache
def render_tools(lang: str, shortcuts: frozenset[str] | None = None) -> RenderTools:
    """The per-process render tools for a language, built once per process.

    `shortcuts` defaults to those verified on the installed WeasyPrint (the tests and the
    bench choose their own). Cached on purpose: one FontConfiguration shared by every render
    keeps memory flat (WeasyPrint's memory grows across renders otherwise) and the stylesheet
    is parsed once.
    """
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    chosen = installed_shortcuts() if shortcuts is None else shortcuts
    fetcher = make_safe_fetcher(str(paths.TEMPLATES_DIR))
    font_config = FontConfiguration()
    stylesheet = CSS(
        filename=str(paths.TEMPLATES_DIR / "print.css"),
        url_fetcher=fetcher,
        font_config=font_config,
    )
    user_agent = None
    if "lean_ua" in chosen:
        ua_path = str(paths.TEMPLATES_DIR / "ua.css")
        user_agent = CSS(filename=ua_path, url_fetcher=fetcher, font_config=font_config)
    return RenderTools(
        template_environment(load_translator(lang)),
        font_config,
        stylesheet,
        fetcher,
        lean_html_class(user_agent),
        chosen,
    )


def lean_html_class(user_agent: CSS | None) -> type:
    """weasyprint.HTML with the hooks of two shortcuts (used only where verified):
    `from_tree` (the `xhtml_tree` shortcut) builds a document from a tree parsed elsewhere, and,
    given `user_agent`, `_ua_stylesheets` (WeasyPrint's own hook for the UA stylesheet) returns
    `templates/ua.css` instead of WeasyPrint's full HTML5 UA stylesheet (`lean_ua`)."""
    from weasyprint import HTML

    class TreeHTML(HTML):
        @classmethod
        def from_tree(cls, root: Any, base_url: str, url_fetcher: Any) -> TreeHTML:
            """A document from an element tree parsed elsewhere: what HTML.__init__ sets up
            after its own parse (checked on the versions in SHORTCUT_VERIFIED_ON)."""
            import cssselect2

            document = cls.__new__(cls)
            document.base_url = base_url
            document.url_fetcher = url_fetcher
            document.media_type = "print"
            document.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                root, content_language=None
            )
            document.etree_element = document.wrapper_element.etree_element
            return document

    if user_agent is None:
        return TreeHTML

    class LeanHTML(TreeHTML):
        def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
            return [user_agent]

    return LeanHTML


def xhtml_tree(html: str) -> Any | None:
    """The element tree of well-formed XHTML, parsed by expat; None if it is not well-formed.

    The scorecards' template is written as XHTML because WeasyPrint's pure-Python HTML5 parser
    costs about 2 ms per scorecard and expat 0.06 ms. A cell holding a character XML forbids
    (a control character) makes the chunk fall back to the HTML5 parser. School data reaches
    this parser autoescaped, so it cannot declare entities or add elements.
    """
    from xml.etree import ElementTree

    try:
        return ElementTree.fromstring(html)
    except ElementTree.ParseError:
        return None


def html_to_document(html: str, tools: RenderTools, scorecards: bool = False) -> Any:
    """Lay out HTML with the project's stylesheet; returns a WeasyPrint Document.

    Only `scorecards` (a chunk of the scorecard template) takes the shortcuts in use: parsed
    by expat (see xhtml_tree) and laid out with the trimmed UA stylesheet. They were verified
    on the scorecards, whose pages they leave unchanged; anything else (the summary) takes the
    plain path, as the trimmed stylesheet moves the cells of a full-width table by up to
    0.5 pt (the summary is one document per run: nothing to save there).
    """
    from weasyprint import HTML

    base_url = str(paths.TEMPLATES_DIR) + os.sep
    tree = xhtml_tree(html) if scorecards and "xhtml_tree" in tools.shortcuts else None
    if tree is not None:
        source = tools.html_class.from_tree(tree, base_url, tools.fetcher)  # type: ignore[attr-defined]
    else:
        html_class = tools.html_class if scorecards else HTML
        source = html_class(string=html, base_url=base_url, url_fetcher=tools.fetcher)
    return source.render(font_config=tools.font_config, stylesheets=[tools.stylesheet])


def html_to_pdf(html: str, tools: RenderTools) -> bytes:
    """One HTML document to PDF bytes, on the plain path."""
    return bytes(html_to_document(html, tools).write_pdf())


def document_pdf(
    html: str, tools: RenderTools, metadata: Mapping[str, str], anchor: str | None
) -> bytes:
    """One HTML document (the summary) as a finished PDF: PDF/A-3b, with its metadata and an
    empty signature field over the element `anchor` where the layout put it."""
    import pikepdf

    document = html_to_document(html, tools)
    place = signature_place(document.pages, list(range(len(document.pages))), anchor or "")
    whole = bytes(document.write_pdf(pdf_variant=PDF_VARIANT))
    with pikepdf.open(io.BytesIO(whole)) as pdf:
        finish(pdf, metadata, place)
        buffer = io.BytesIO()
        pdf.save(buffer, deterministic_id=True)
        return buffer.getvalue()


def split_by_card(document: Any, card_ids: Sequence[str]) -> list[tuple[str, list[int]]]:
    """Group a rendered document's page numbers (from 0) by scorecard, using each card's
    `card-ID` anchor. A card that runs over one page keeps its extra pages."""
    starts = {f"card-{card_id}": card_id for card_id in card_ids}
    groups: list[tuple[str, list[int]]] = []
    for number, page in enumerate(document.pages):
        owner = next((starts[a] for a in page.anchors if a in starts), None)
        # A card split over pages carries its anchor onto each of them: same owner, same file.
        if owner is not None and (not groups or groups[-1][0] != owner):
            groups.append((owner, [number]))
        elif groups:
            groups[-1][1].append(number)
    return groups


def split_pdf(
    whole: bytes,
    groups: Sequence[tuple[str, list[int]]],
    finishing: Sequence[tuple[Mapping[str, str], tuple[int, Box] | None]],
) -> list[bytes]:
    """One PDF per group of pages, cut from the chunk's single PDF, each finished with its
    metadata and signature field (`finishing`, one per group: see pdffile.finish).

    Writing the chunk once and cutting it costs less than a third of writing every school's
    PDF on its own (fonts are subset once per chunk, not once per school); each file keeps the
    chunk's font subsets. pikepdf (qpdf) cuts in about a third of pypdf's time. Deterministic:
    same chunk, same bytes (the file id is derived from the content).
    """
    import pikepdf

    files: list[bytes] = []
    with pikepdf.open(io.BytesIO(whole)) as chunk:
        for (_, numbers), (metadata, place) in zip(groups, finishing, strict=True):
            with pikepdf.new() as single:
                single.pages.extend(chunk.pages[number] for number in numbers)
                finish(single, metadata, place, source=chunk)
                buffer = io.BytesIO()
                single.save(buffer, deterministic_id=True, min_version=chunk.pdf_version)
                files.append(buffer.getvalue())
    return files


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a chunk renders, then collect once.

    Laying out a chunk allocates hundreds of thousands of objects that mostly live as long as
    the chunk's document, so the collections they would trigger every few hundred allocations
    find little to free. One collection afterwards keeps memory flat (measured: 2.5-4.5 ms,
    5-10%, less CPU per scorecard). The previous state is restored, as another thread may share it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def render_chunk(cards: Sequence[Card], lang: str, version: str) -> list[tuple[str, bytes]]:
    """Render some scorecards in this process: (school_id, PDF bytes) per card, in order.

    A top-level function of plain arguments, so any Executor (process pool, Dask) can run it.
    """
    return render_cards(cards, render_tools(lang), lang, version)


def render_cards(
    cards: Sequence[Card], tools: RenderTools, lang: str, version: str
) -> list[tuple[str, bytes]]:
    """render_chunk with the given render tools (and so the given shortcuts)."""
    ids = [card["school"]["id"] for card in cards]
    lines = shared_line_layouts() if "shared_lines" in tools.shortcuts else contextlib.nullcontext()
    with tools.lock, collector_paused(), lines:
        pdfs = chunk_pdfs(scorecards_html(tools.env, cards, lang, version), cards, tools)
    return list(zip(ids, pdfs, strict=True))


def chunk_pdfs(html: str, cards: Sequence[Card], tools: RenderTools) -> list[bytes]:
    """Lay out one chunk's HTML as one document and cut its PDF into one file per school,
    each with its metadata and its empty signature field where the layout put the signer's
    space (the card's `anchor`).

    The document is dropped when this returns, before the collector runs (see render_chunk).
    """
    ids = [card["school"]["id"] for card in cards]
    document = html_to_document(html, tools, scorecards=True)
    groups = split_by_card(document, ids)
    found = [school_id for school_id, _ in groups]
    if found != ids:  # every card must start a page; anything else is a template bug
        missing = sorted(set(ids) - set(found))
        raise RuntimeError(f"scorecard pages do not match the cards (missing: {missing[:5]})")
    finishing = [
        (card["pdf"], signature_place(document.pages, numbers, card["anchor"]))
        for card, (_, numbers) in zip(cards, groups, strict=True)
    ]
    return split_pdf(bytes(document.write_pdf(pdf_variant=PDF_VARIANT)), groups, finishing)


def chunked(cards: Iterable[Card], size: int) -> Iterator[list[Card]]:
    """Consecutive runs of at most `size` cards, taken lazily from any iterable."""
    iterator = iter(cards)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def chunk_size_for(n_cards: int) -> int:
    """Cards per chunk: 4 for a district (small chunks keep both workers busy to the end),
    growing to 24 for a province (fewer, larger PDFs to write and cut). It depends on the
    number of schools only, never on the workers: a school's PDF shares its chunk's font
    subsets, so the same input must give the same chunks for byte-identical outputs."""
    return max(4, min(24, math.ceil(n_cards / 12)))


# The memory side of the in-flight bound: the contexts of submitted chunks and the PDFs of
# finished ones (about 28 KB per scorecard) wait in the main process until their chunk's turn
# to be written. 1,024 cards keep that to a few tens of MB, however large the cluster.
MAX_CARDS_IN_FLIGHT = 1024
CHUNKS_PER_SLOT = 4  # one laid out, the next ones queued: no render slot waits for work


def in_flight_for(slots: int, chunk_size: int) -> int:
    """How many chunks to keep submitted ahead: CHUNKS_PER_SLOT per render slot (a local
    worker process, or a Dask worker's thread), at most MAX_CARDS_IN_FLIGHT cards, at least 2.
    Two local workers get 8 chunks; a cluster of 64 slots with chunks of 24 gets 42."""
    by_executor = CHUNKS_PER_SLOT * max(1, slots)
    by_memory = MAX_CARDS_IN_FLIGHT // max(1, chunk_size)
    return max(2, min(by_executor, by_memory))


def render_scorecards(
    cards: Iterable[Card],
    lang: str,
    version: str,
    executor: Executor,
    chunk_size: int,
    in_flight: int = 8,
) -> Iterator[tuple[str, bytes]]:
    """Render every scorecard through `executor`, yielding (school_id, PDF) as chunks finish.

    Results are yielded in chunk order, so outputs are written in a stable order. At most
    `in_flight` chunks are submitted ahead of the one being collected, so finished PDFs never
    pile up in memory, however many schools there are (see in_flight_for).
    """
    pending: collections.deque[Future[list[tuple[str, bytes]]]] = collections.deque()
    for chunk in chunked(cards, chunk_size):
        pending.append(executor.submit(render_chunk, chunk, lang, version))
        if len(pending) >= in_flight:
            yield from pending.popleft().result()
    while pending:
        yield from pending.popleft().result()


def warm_up(lang: str) -> None:
    """Get a worker ready while the main process validates: build the render tools and lay
    out one small page (the first layout loads the fonts). matplotlib is left to the one
    worker that draws the summary's chart."""
    tools = render_tools(lang)
    with tools.lock:
        html_to_pdf(
            "<p>Trường <b>THCS</b> ✓ ✗ – 95,6%</p><table><tr><td>·</td></tr></table>", tools
        )
    # Everything loaded so far lives as long as the worker: keep it out of the garbage
    # collector's scans (measured: about 4 ms less CPU per scorecard over 500 schools).
    gc.collect()
    gc.freeze()


def render_summary(
    context: Mapping[str, Any], trend: Sequence[TrendPoint], rulebook: Rulebook, lang: str
) -> tuple[bytes, bytes | None]:
    """The district summary as PDF bytes, with the trend chart drawn here (in the worker);
    and the chart as a PNG for summary.docx (None when there is no trend to draw), saved from
    the same figure so that it is laid out once."""
    tools = render_tools(lang)
    formats = ("svg", "png") if trend else ("svg",)
    images = draw_trend(trend, rulebook, load_translator(lang), formats)
    html = summary_html(tools.env, {**context, "chart": svg_data_url(images["svg"])})
    with tools.lock:
        pdf = document_pdf(html, tools, context["pdf"], context["anchor"])
    return pdf, images.get("png")


def naive_pdfs(cards: Iterable[Card], lang: str, version: str) -> Iterator[bytes]:
    """The benchmark's baseline: one plain `HTML(...).write_pdf()` per scorecard, nothing shared
    but the process (same HTML, same safe fetcher)."""
    from weasyprint import CSS, HTML

    tools = render_tools(lang)
    css_path = str(paths.TEMPLATES_DIR / "print.css")
    for card in cards:
        html = scorecards_html(tools.env, [card], lang, version)
        source = HTML(
            string=html, base_url=str(paths.TEMPLATES_DIR) + os.sep, url_fetcher=tools.fetcher
        )
        stylesheet = CSS(filename=css_path, url_fetcher=tools.fetcher)
        yield bytes(source.write_pdf(stylesheets=[stylesheet]))
