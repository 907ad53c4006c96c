"""Shared line layouts for a batch of scorecards (part of the RENDER stage).

Most of a scorecard's text is the same on every card of a chunk: the letterhead, the title,
the criteria's labels and "what to do" paragraphs, the district's rates, the legal bases.
WeasyPrint lays out every line of every card with Pango from scratch; `shared_line_layouts()`
lets the cards of one chunk share the result of `split_first_line` (WeasyPrint's "fit the
first line of this text in this width" step) when the text, the width and every style
property that step reads are the same. Measured: 83% of the calls repeat within a chunk of
24 cards, and a card takes about 13% less CPU, with byte-identical PDFs (tests/test_render.py
renders the sample district both ways and compares the pages and the bytes).

This patches a WeasyPrint internal, so it is kept narrow:
- it is active only inside the `with` block (render_chunk holds the process's render lock
  around it, so no other render runs meanwhile) and the original function is always put back;
- the memo lives in the block and is dropped with it (nothing outlives a chunk);
- the key holds every style property `weasyprint.text.line_break` reads, and the layouts it
  shares are never changed after the split for our stylesheets (WeasyPrint only rewrites a
  line's layout for `text-overflow: ellipsis` and `block-ellipsis`, which print.css does not
  use; a test checks that);
- it is used only on the WeasyPrint versions it was verified on (render.SHORTCUT_VERIFIED_ON),
  and a test reads the style keys that `weasyprint.text.line_break` reads on the installed
  version and fails when one is missing from LINE_STYLE_PROPERTIES.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

# Every style property weasyprint/text/line_break.py and fonts.get_font_description read while
# splitting a line (WeasyPrint 70): two styles equal on these lay out a text identically.
LINE_STYLE_PROPERTIES = (
    "direction",
    "font_family",
    "font_feature_settings",
    "font_kerning",
    "font_language_override",
    "font_size",
    "font_stretch",
    "font_style",
    "font_variant_alternates",
    "font_variant_caps",
    "font_variant_east_asian",
    "font_variant_ligatures",
    "font_variant_numeric",
    "font_variant_position",
    "font_variation_settings",
    "font_weight",
    "hyphenate_character",
    "hyphenate_limit_chars",
    "hyphenate_limit_zone",
    "hyphens",
    "lang",
    "letter_spacing",
    "line_height",
    "overflow_wrap",
    "tab_size",
    "text_decoration_line",
    "white_space",
    "word_break",
    "word_spacing",
)


def line_style_key(style: Mapping[str, Any]) -> str:
    """The style properties that decide how a text is split into lines, as one hashable key.

    `repr` because some computed values are lists; equal values give equal reprs.
    """
    return repr(tuple(style[name] for name in LINE_STYLE_PROPERTIES))


def memoised_split(split: Callable[..., Any]) -> Callable[..., Any]:
    """`split` (WeasyPrint's split_first_line) with its results shared between equal calls."""
    memo: dict[tuple[Any, ...], Any] = {}
    # The lines of one text box share its style object: its key is computed once. The style is
    # kept with its key so that its id cannot be reused by another style while the memo lives.
    style_keys: dict[int, tuple[Any, str]] = {}

    def style_key(style: Any) -> str:
        known = style_keys.get(id(style))
        if known is None or known[0] is not style:
            known = style_keys[id(style)] = (style, line_style_key(style))
        return known[1]

    def split_first_line(
        text: str,
        style: Any,
        context: Any,
        max_width: float | None,
        justification_spacing: float,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> Any:
        key = (
            text,
            style_key(style),
            id(style.font_config),
            id(context),
            max_width,
            justification_spacing,
            is_line_start,
            minimum,
        )
        found = memo.get(key)
        if found is None:
            found = split(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            memo[key] = found
        return found

    return split_first_line


@contextlib.contextmanager
def shared_line_layouts() -> Iterator[None]:
    """Within the block, WeasyPrint's inline layout shares equal line splits (see above)."""
    from weasyprint.layout import inline

    original = inline.split_first_line
    inline.split_first_line = memoised_split(original)
    try:
        yield
    finally:
        inline.split_first_line = original
