"""What the unit's report says, as plain values: each criterion's figures now, before and
against the plan's target, and the assessment sentences generated from them (section II of the
BÁO CÁO: ưu điểm, hạn chế). No document format here: report_docx lays these out in Word.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from checker.context import TrendPoint, semester_text, text_in
from checker.evaluate import district_rates
from checker.i18n import Translator
from checker.model import Rulebook, SchoolResult, share
from checker.office import Office

# How many criteria the generated sentences name at most (the furthest from target, the largest
# changes): a reader acts on a few.
TOP = 3


@dataclass(frozen=True)
class ReportInput:
    """Everything the report prints, as plain values (picklable: built in a worker)."""

    results: Sequence[SchoolResult]
    rulebook: Rulebook
    office: Office
    semester: str  # e.g. 2026-2027/HK1
    day: dt.date
    number: int | None  # the report's number, None to write it by hand
    trend: Sequence[TrendPoint]
    previous_semester: str | None
    chart_png: bytes | None  # the trend chart; None: render_report draws it (in the worker)
    basis: str  # the opening căn cứ sentence, as the summary PDF prints it (context.py)


@dataclass(frozen=True)
class CriterionFigures:
    """One criterion's rate now, before, and against the plan's target, in percent."""

    label: str
    met: int
    applicable: int
    target: float
    rate: float | None  # None when no school is concerned
    before: float | None  # the previous semester's rate, None when not recorded

    @property
    def gap(self) -> float:
        """Points below target (negative: above it)."""
        return self.target - (self.rate or 0.0)

    @property
    def change(self) -> float | None:
        """Points gained since the previous semester."""
        if self.rate is None or self.before is None:
            return None
        return self.rate - self.before


def criterion_figures(
    results: Sequence[SchoolResult],
    rulebook: Rulebook,
    trend: Sequence[TrendPoint],
    previous_semester: str | None,
    lang: str,
) -> list[CriterionFigures]:
    """Each criterion's figures, in rulebook order."""
    rates = district_rates(results, rulebook)
    before = {
        p.criterion: rate_points(p.met, p.applicable)
        for p in trend
        if p.semester == previous_semester and p.applicable
    }
    figures = []
    for criterion in rulebook.criteria:
        met, applicable = rates.get(criterion.id, (0, 0))
        figures.append(
            CriterionFigures(
                label=text_in(criterion.label, lang),
                met=met,
                applicable=applicable,
                target=criterion.target,
                rate=rate_points(met, applicable),
                before=before.get(criterion.id),
            )
        )
    return figures


def rate_points(met: int, applicable: int) -> float | None:
    """A rate in percentage points, as the summary PDF prints it (share x 100); None when the
    criterion applies to no school."""
    rate = share(met, applicable)
    return None if rate is None else 100 * rate


# --- The generated assessment (section II) -----------------------------------------------------


def points(value: float, t: Translator) -> str:
    """'12,5 điểm phần trăm' / '12.5 percentage points'."""
    return t.gettext("%(points)s percentage points") % {"points": t.number(abs(value))}


def strengths(
    figures: Sequence[CriterionFigures],
    results: Sequence[SchoolResult],
    previous_semester: str | None,
    t: Translator,
) -> list[str]:
    """Ưu điểm: criteria at target, the largest gains, the schools meeting everything."""
    lines = []
    reached = [f for f in figures if f.rate is not None and f.rate >= f.target]
    if reached:
        named = "; ".join(
            t.gettext("%(label)s (%(rate)s, target %(target)s)")
            % {"label": f.label, "rate": pct(f.rate, t), "target": pct(f.target, t, 0)}
            for f in reached
        )
        lines.append(
            t.gettext("%(count)s of %(total)s criteria reach the plan's target: %(criteria)s.")
            % {"count": len(reached), "total": len(figures), "criteria": named}
        )
    else:
        lines.append(t.gettext("No criterion reaches the plan's target yet."))
    gains = sorted((f for f in figures if (f.change or 0) > 0), key=lambda f: -(f.change or 0))
    if gains and previous_semester:
        lines.append(
            t.gettext("Largest gains since %(semester)s: %(criteria)s.")
            % {
                "semester": semester_text(previous_semester, t),
                "criteria": "; ".join(change_text(f, t) for f in gains[:TOP]),
            }
        )
    complete = sum(r.meets_every_criterion for r in results)
    lines.append(
        t.gettext("%(count)s of %(total)s schools meet every criterion that applies to them.")
        % {"count": complete, "total": len(results)}
    )
    return lines


def weaknesses(
    figures: Sequence[CriterionFigures],
    results: Sequence[SchoolResult],
    previous_semester: str | None,
    t: Translator,
) -> list[str]:
    """Hạn chế: the criteria furthest from target, the largest falls, the missing data."""
    lines = []
    short = sorted((f for f in figures if f.applicable and f.gap > 0), key=lambda f: -f.gap)
    if short:
        named = "; ".join(
            t.gettext("%(label)s (%(rate)s, target %(target)s, %(gap)s short)")
            % {
                "label": f.label,
                "rate": pct(f.rate, t),
                "target": pct(f.target, t, 0),
                "gap": points(f.gap, t),
            }
            for f in short[:TOP]
        )
        lines.append(
            t.gettext("Furthest from the plan's target: %(criteria)s.") % {"criteria": named}
        )
    falls = sorted((f for f in figures if (f.change or 0) < 0), key=lambda f: f.change or 0)
    if falls and previous_semester:
        lines.append(
            t.gettext("Fell since %(semester)s: %(criteria)s.")
            % {
                "semester": semester_text(previous_semester, t),
                "criteria": "; ".join(change_text(f, t) for f in falls[:TOP]),
            }
        )
    incomplete = sum(any(v.status == "missing" for v in r.verdicts) for r in results)
    if incomplete:
        lines.append(
            t.gettext(
                "%(count)s schools left data blank or invalid for at least one criterion; "
                "those criteria count as not met."
            )
            % {"count": incomplete}
        )
    if not lines:
        lines.append(t.gettext("Every criterion reaches the plan's target."))
    return lines


def change_text(figure: CriterionFigures, t: Translator) -> str:
    """'Website (+4,5 percentage points, 91,1% → 95,6%)'."""
    sign = "+" if (figure.change or 0) > 0 else "−"
    return "%s (%s%s, %s → %s)" % (  # noqa: UP031 - the parts are already translated
        figure.label,
        sign,
        points(figure.change or 0, t),
        pct(figure.before, t),
        pct(figure.rate, t),
    )


def pct(value: float | None, t: Translator, digits: int = 1) -> str:
    """A percentage in the locale's style, '–' when there is none."""
    return "–" if value is None else t.number(value, digits) + "%"


def render_report(data: ReportInput, lang: str) -> bytes:
    """summary.docx in `lang`: what a render worker runs (its arguments pickle; python-docx is
    imported there, not in the main process)."""
    from checker.chart import trend_png
    from checker.i18n import load_translator
    from checker.report_docx import summary_docx

    t = load_translator(lang)
    if data.chart_png is None and data.trend:
        data = dataclasses.replace(data, chart_png=trend_png(data.trend, data.rulebook, t))
    return summary_docx(data, t)
