"""The district trend chart: each criterion's rate per recorded semester against its target.

Drawn with matplotlib as SVG with real text (svg.fonttype 'none'), so WeasyPrint sets the text
in the project's DejaVu font and the PDF stays small and searchable. Deterministic output:
no date metadata, a fixed hash salt for element ids.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import Any

from checker.context import TrendPoint, text_in
from checker.document import TEXT_WIDTH_MM
from checker.i18n import N_, Translator
from checker.model import Rulebook, share

SHORT_SEMESTER_WORDS = {"HK1": N_("Sem. 1 %(years)s"), "HK2": N_("Sem. 2 %(years)s")}


def short_semester(label: str, t: Translator) -> str:
    """'2026-2027/HK1' -> 'HK I 26-27' ('Sem. 1 26-27'), to fit under a small chart."""
    years, term = label.split("/")
    first, second = years.split("-")
    return t.gettext(SHORT_SEMESTER_WORDS[term]) % {"years": f"{first[-2:]}-{second[-2:]}"}


def load_plotting() -> None:
    """Import matplotlib with its non-interactive backend (done early, in idle workers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure  # the import is the point


# Drawn at the width of the printed page's text (165 mm), so that the PDF and Word print it at
# its own size: its 6 and 7 pt texts are never scaled down, and it stays inside the margins.
FIGURE_WIDTH_IN = TEXT_WIDTH_MM / 25.4
COLUMNS = 3  # panels to a row
PNG_DPI = 200  # the PNG for Word (summary.docx): sharp when printed


def trend_png(trend: Sequence[TrendPoint], rulebook: Rulebook, t: Translator) -> bytes:
    """The same chart as a PNG image (for summary.docx, which cannot hold the SVG)."""
    return draw_trend(trend, rulebook, t, ("png",))["png"]


def draw_trend(
    trend: Sequence[TrendPoint],
    rulebook: Rulebook,
    t: Translator,
    image_formats: Sequence[str],
) -> dict[str, bytes]:
    """The trend chart in each of `image_formats` ('svg', 'png'), by format: the figure is
    laid out once and saved in each (a run needs the SVG for the summary PDF and the PNG for
    summary.docx; laying it out is most of the cost). No dates or tool names in the files:
    the same figures give the same bytes."""
    with chart_style():
        figure = trend_figure(trend, rulebook, t)
        return {name: saved(figure, name) for name in image_formats}


def chart_style() -> Any:
    """matplotlib's settings for the chart, as a context manager: both the figure's making and
    its saving happen inside it."""
    load_plotting()
    import matplotlib

    return matplotlib.rc_context(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "checker",
            # Labels come from the office's rulebook: print them as written ("$5 và $10"),
            # never as matplotlib mathtext (which fails on an unbalanced "$").
            "text.parse_math": False,
            "font.family": "DejaVu Sans",
            "font.size": 7,
        }
    )


def trend_figure(trend: Sequence[TrendPoint], rulebook: Rulebook, t: Translator) -> Any:
    """The chart as a matplotlib Figure, one panel per criterion, three to a row (made inside
    chart_style)."""
    from matplotlib.figure import Figure

    semesters = sorted({p.semester for p in trend})
    shares = {(p.semester, p.criterion): share(p.met, p.applicable) for p in trend}
    rates = {key: 100 * value for key, value in shares.items() if value is not None}
    rows = max(1, -(-len(rulebook.criteria) // COLUMNS))
    figure = Figure(figsize=(FIGURE_WIDTH_IN, 1.9 * rows))
    axes = figure.subplots(rows, COLUMNS, squeeze=False)
    for index, criterion in enumerate(rulebook.criteria):
        draw_panel(
            axes[index // COLUMNS][index % COLUMNS],
            criterion.id,
            text_in(criterion.label, t.lang),
            criterion.target,
            semesters,
            [short_semester(s, t) for s in semesters],
            rates,
        )
    for index in range(len(rulebook.criteria), rows * COLUMNS):
        axes[index // COLUMNS][index % COLUMNS].set_visible(False)
    leave_margins(figure)
    return figure


# The space around and between the panels, in inches: what matplotlib's tight_layout(pad=0.6)
# finds for these fonts, two-line titles and tick labels at FIGURE_WIDTH_IN (measured on both
# rulebooks and both languages; it varies by under 0.03 in). Fixed, because tight_layout draws
# the whole figure once more to measure it: a third of the chart's cost, in every run.
MARGINS_IN = {"left": 0.31, "right": 0.06, "bottom": 0.24, "top": 0.38}
PANEL_GAPS = {"wspace": 0.17, "hspace": 0.42}  # fractions of a panel's width / height


def leave_margins(figure: Any) -> None:
    """Place the panels with the fixed margins and gaps above."""
    width, height = figure.get_size_inches()
    figure.subplots_adjust(
        left=MARGINS_IN["left"] / width,
        right=1 - MARGINS_IN["right"] / width,
        bottom=MARGINS_IN["bottom"] / height,
        top=1 - MARGINS_IN["top"] / height,
        **PANEL_GAPS,
    )


def saved(figure: Any, image_format: str) -> bytes:
    """The figure saved as 'png' (at PNG_DPI) or 'svg', without metadata that would change."""
    buffer = io.BytesIO()
    if image_format == "png":
        figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    else:
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


PANEL_WIDTH_IN = (FIGURE_WIDTH_IN - MARGINS_IN["left"] - MARGINS_IN["right"]) / (
    COLUMNS + (COLUMNS - 1) * PANEL_GAPS["wspace"]
)
# A semester's name ("Sem. 1 25-26", the longest: 0.55 in at 6 pt) with a little room between
# two names, as a share of a panel's width.
NAME_SHARE = 0.6 / PANEL_WIDTH_IN
# A panel's title is wrapped at this many characters (7 pt DejaVu Sans: about 0.061 in each).
TITLE_CHARS = round(PANEL_WIDTH_IN / 0.061)


def semester_axis(count: int) -> tuple[float, set[int]]:
    """For a panel of `count` semesters (oldest first): the room left at each end, in
    semesters (half a name fits there), and which semesters are named: all when their names fit
    side by side, otherwise every k-th counting back from the latest, which is always named."""
    pad = max(0.5, NAME_SHARE / 2 / (1 - NAME_SHARE) * (count - 1))
    step = max(1, math.ceil(NAME_SHARE * (count - 1 + 2 * pad)))
    return pad, {i for i in range(count) if (count - 1 - i) % step == 0}


def draw_panel(
    axis: Any,
    criterion_id: str,
    label: str,
    target: float,
    semesters: list[str],
    tick_labels: list[str],
    rates: dict[tuple[str, str], float],
) -> None:
    """One criterion's panel: its rate per semester, the target as a dashed line. Every
    semester is plotted; those semester_axis picks also get their name and value printed."""
    xs = [i for i, s in enumerate(semesters) if (s, criterion_id) in rates]
    ys = [rates[(semesters[i], criterion_id)] for i in xs]
    axis.plot(xs, ys, marker="o", color="#1f4e9a", linewidth=1.4, markersize=3.5)
    pad, named = semester_axis(len(semesters))
    for x, y in zip(xs, ys, strict=True):
        if x in named:
            # On a white ground: a rate at the target would be struck through by its line.
            axis.annotate(
                f"{y:.0f}", (x, y), textcoords="offset points", xytext=(0, 4), ha="center",
                fontsize=6, bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                                  "edgecolor": "none"},
            )  # fmt: skip
    axis.axhline(target, color="#b00000", linestyle="--", linewidth=1)
    axis.set_ylim(0, 110)
    axis.set_xlim(-pad, max(len(semesters) - 1 + pad, 0.5))
    shown = [text if i in named else "" for i, text in enumerate(tick_labels)]
    axis.set_xticks(range(len(semesters)), shown, fontsize=6)
    # Never broken at a hyphen: "VNPT-iOffice" is one name.
    title = textwrap.fill(label, TITLE_CHARS, max_lines=2, placeholder="…", break_on_hyphens=False)
    axis.set_title(title, fontsize=7)
    axis.grid(axis="y", color="#dddddd", linewidth=0.5)
    axis.tick_params(axis="y", labelsize=6)
