"""The summary's trend chart: every text inside the figure and clear of the other panels (the
panels are placed with fixed margins, not measured each time: see chart.MARGINS_IN)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from checker import paths
from checker.chart import chart_style, trend_figure
from checker.context import TrendPoint
from checker.i18n import load_translator
from checker.rulebook import load_rulebooks

SEMESTERS = ("2025-2026/HK1", "2025-2026/HK2", "2026-2027/HK1")


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


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    "rulebook_path", [paths.DEFAULT_RULEBOOK, paths.QD4725_RULEBOOK], ids=["plan", "index"]
)
def test_every_text_is_inside_the_chart_and_clear_of_the_other_panels(
    rulebook_path: Path, lang: str
) -> None:
    rulebook = load_rulebooks((rulebook_path,))
    # Rates from 0 to 100%: value labels at the bottom and at the top of each panel.
    trend = [
        TrendPoint(semester, criterion.id, met, 10)
        for criterion in rulebook.criteria
        for semester, met in zip(SEMESTERS, (0, 5, 10), strict=True)
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
        (a, b)
        for (panel_a, a, box_a), (panel_b, b, box_b) in combinations(texts, 2)
        if panel_a != panel_b and box_a.overlaps(box_b)
    ]
    assert clashes == []
