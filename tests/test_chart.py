"""The summary's trend chart: every text inside the figure and clear of every other text (the
panels are placed with fixed margins, not measured each time: see chart.MARGINS_IN; a long
history names only some semesters: see chart.semester_axis)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from checker import paths
from checker.chart import chart_style, short_semester, trend_figure
from checker.context import TrendPoint
from checker.i18n import load_translator
from checker.rulebook import load_rulebooks


def semesters(count: int) -> list[str]:
    """`count` consecutive semesters from 2025-2026/HK1 on."""
    return [f"{2025 + i // 2}-{2026 + i // 2}/HK{1 + i % 2}" for i in range(count)]


def panel_texts(figure: Any) -> list[tuple[int, str, Any]]:
    """Each visible panel's texts once drawn: (panel, text, box in pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    found = []
    for number, axis in enumerate(figure.axes):
        if not axis.get_visible():
            continue
        texts = [axis.title, *axis.get_xticklabels(), *axis.get_yticklabels(), *axis.texts]
        found += [
            (number, text.get_text(), text.get_window_extent(renderer))
            for text in texts
            if text.get_visible() and text.get_text()
        ]
    return found


# The local plan with histories of the sample's length and longer; the national index (28
# panels, their own titles: seconds each to lay out) with the sample's.
CHARTS = [(paths.DEFAULT_RULEBOOK, count) for count in (3, 4, 5, 16)] + [(paths.QD4725_RULEBOOK, 3)]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    ("rulebook_path", "count"), CHARTS, ids=[f"{p.stem}-{n}" for p, n in CHARTS]
)
def test_every_text_is_inside_the_chart_and_clear_of_the_others(
    rulebook_path: Path, lang: str, count: int
) -> None:
    rulebook = load_rulebooks((rulebook_path,))
    # Rates from 0 to 100% in turn: value labels at the bottom and at the top of each panel.
    trend = [
        TrendPoint(semester, criterion.id, 10 * (i % 2), 10)
        for criterion in rulebook.criteria
        for i, semester in enumerate(semesters(count))
    ]
    with chart_style():
        figure = trend_figure(trend, rulebook, load_translator(lang))
        texts = panel_texts(figure)
    assert {number for number, _, _ in texts} == set(range(len(rulebook.criteria)))
    whole = figure.bbox
    for _, text, box in texts:
        assert whole.x0 <= box.x0 and box.x1 <= whole.x1, f"{text!r} runs off the side"
        assert whole.y0 <= box.y0 and box.y1 <= whole.y1, f"{text!r} runs off the top or bottom"
    clashes = [
        (a, b) for (_, a, box_a), (_, b, box_b) in combinations(texts, 2) if box_a.overlaps(box_b)
    ]
    assert clashes == []
    broken = [text for _, text, _ in texts if any(s.endswith("-") for s in text.splitlines()[:-1])]
    assert broken == []  # no name split at its hyphen ("VNPT-" / "iOffice")
    named = {text for _, text, _ in texts}
    assert short_semester(semesters(count)[-1], load_translator(lang)) in named  # the latest
