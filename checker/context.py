"""What the pages say: results -> plain-value contexts for the scorecard and summary templates.

Every function here is pure: it takes results, the rulebook, the run's facts and a translator,
and returns dicts of strings and lists, already in the user's language. Templates get nothing
else (no live objects), and school-supplied text stays plain text for Jinja to escape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from checker import document
from checker.context_groups import card_sections, summary_sections
from checker.evaluate import is_web_address
from checker.i18n import N_, STATUS_SYMBOLS, STATUS_WORDS, Translator, text_in
from checker.model import (
    LEVELS,
    Column,
    Condition,
    Criterion,
    Problem,
    Rulebook,
    SchoolResult,
    Value,
    levels_of,
    met_and_applicable,
    progress,
    share,
)
from checker.validate import PROBLEM_TEXTS, WARNING_CODES, fix_text_of, number_text

# The summary lists schools one by one up to these sizes; a province's thousands of schools go to
# results.csv instead (a 5,000-row grid is 100+ pages nobody reads, and 1 GB to lay out).
GRID_LIMIT = 150
DATA_LIST_LIMIT = 60
# "Schools needing attention" names at most this many of the weakest schools per level: a
# priority list a reader can act on, not every school with a gap (`checker run --attention N`).
DEFAULT_ATTENTION_PER_LEVEL = 10

# A criterion that could not be scored, said by why: nothing typed, or something unusable.
MISSING_WORDS = {"blank": N_("Not filled in"), "invalid": N_("Invalid data")}
LEVEL_WORDS = {
    "mam_non": N_("Preschool / kindergarten"),
    "tieu_hoc": N_("Primary"),
    "thcs": N_("Lower secondary"),
    "thpt": N_("Upper secondary"),
}
COMBINED = "combined"  # the summary's group of combined schools (trường liên cấp)
PROGRESS_WORDS = {
    "improved": N_("▲ Improved"),
    "regressed": N_("▼ Went back"),
    "unchanged": N_("= Unchanged"),
    "new": N_("New"),
    "not_comparable": N_("cannot be compared"),
}
# How far a rate is from its target: reached, within this many points, or further.
NEAR_TARGET_POINTS = 10


@dataclass(frozen=True)
class RunFacts:
    """Facts about this run that every page prints."""

    semester: str  # canonical label, e.g. 2026-2027/HK1
    run_id: str
    day: dt.date
    checker_version: str
    office: Mapping[str, str]  # office.Office.texts
    notice_number: int | None = None  # the scorecards' number (số); None: written by hand
    report_number: int | None = None  # the summary's number (số); None: written by hand


@dataclass(frozen=True)
class PreviousRun:
    """The previous recorded semester's statuses, for progress (None when there is none)."""

    semester: str
    statuses: Mapping[str, Mapping[str, str]]  # school_id -> criterion -> status
    names: Mapping[str, str] = field(default_factory=dict)  # school_id -> school name then


@dataclass(frozen=True)
class TrendPoint:
    """One criterion's district rate in one semester."""

    semester: str
    criterion: str
    met: int
    applicable: int


@dataclass(frozen=True)
class DistrictFacts:
    """District-level figures the scorecards and the summary share."""

    rates: Mapping[str, tuple[int, int]]  # criterion -> (met, applicable)
    rows_read: int
    rejected: int
    problems: int
    extra_columns: Sequence[str] = ()
    trend: Sequence[TrendPoint] = field(default_factory=tuple)
    medians: Mapping[str, float] = field(default_factory=dict)  # numeric field -> median value


SEMESTER_WORDS = {"HK1": N_("Semester 1, %(years)s"), "HK2": N_("Semester 2, %(years)s")}


def semester_text(label: str, t: Translator) -> str:
    """'2026-2027/HK1' -> 'Học kỳ I năm học 2026-2027' ('Semester 1, 2026-2027' in English)."""
    years, term = label.split("/")
    return t.gettext(SEMESTER_WORDS[term]) % {"years": years}


def status_word(status: str, t: Translator, reason: str | None = None) -> str:
    """The translated word for a status; an unscored criterion is said by why (blank/invalid)."""
    if status == "missing" and reason in MISSING_WORDS:
        return t.gettext(MISSING_WORDS[reason])
    return t.gettext(STATUS_WORDS[status])


def level_word(level: str | None, t: Translator) -> str:
    """The translated name of a school level; a combined school's levels joined
    ('Combined: Primary, Lower secondary'); 'unknown' when the level could not be read."""
    levels = levels_of(level)
    if not levels:
        return t.gettext("Unknown level")
    if len(levels) == 1:
        return t.gettext(LEVEL_WORDS[levels[0]])
    names = ", ".join(t.gettext(LEVEL_WORDS[lv]) for lv in levels)
    return t.gettext("Combined school: %(levels)s") % {"levels": names}


def level_group(level: str | None) -> str | None:
    """The summary's group for a school: its level, 'combined' for several, None if unknown."""
    levels = levels_of(level)
    if len(levels) > 1:
        return COMBINED
    return levels[0] if levels else None


def group_word(group: str | None, t: Translator) -> str:
    """The name of a summary group ('Combined schools' for the combined group)."""
    return t.gettext("Combined schools") if group == COMBINED else level_word(group, t)


MAX_DECIMALS = 20  # digits after the decimal mark printed for a typed value (then cut)


def plain_number(value: float | Decimal, t: Translator) -> str:
    """A number with just the digits it has: '90', '92,5', '89,999999' — never rounded to a
    neighbour that would disagree with its verdict ('89,999999' is not printed '90,0')."""
    exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    exponent = exact.normalize().as_tuple().exponent
    digits = min(max(0, -exponent) if isinstance(exponent, int) else 0, MAX_DECIMALS)
    # Cut, never rounded: a value below a threshold must not print as the threshold itself.
    shown = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN)
    return t.number(shown, digits=digits)


def column_label(column: Column, t: Translator) -> str:
    """A column's header in the user's language (the office's Vietnamese header by default)."""
    return column.header_vi if t.lang == "vi" else column.header_en


def problem_column_label(problem: Problem, t: Translator) -> str:
    """The header of the column a problem is in, in the user's language ('' for a row)."""
    vietnamese, english = problem.header
    return (english if t.lang == "en" else vietnamese) or vietnamese or problem.column


def value_text(column: Column, value: Value, raw: str, t: Translator) -> str:
    """A typed value as the school would read it; blank and invalid values said as such (an
    invalid value is quoted, cut to a line: the data problems say the rest)."""
    if value is None:
        if not raw.strip():
            return t.gettext("(blank)")
        return t.gettext("(invalid: “%(raw)s”)") % {"raw": cut(raw.strip(), VALUE_ECHO_LIMIT)}
    kind = column.kind
    if kind == "yes_no":
        return t.gettext("Yes") if value else t.gettext("No")
    if kind in ("share", "count", "number") and isinstance(value, float | int | Decimal):
        return plain_number(value, t) + ("%" if kind == "share" else "")
    return str(value)


def requirement_text(condition: Condition, t: Translator) -> str:
    """What a condition asks for, e.g. '≥ 90%', 'Yes', 'an http(s) web address'."""
    if condition.op in ("gte", "lte") and condition.value is not None:
        unit = "%" if condition.column and condition.column.kind == "share" else ""
        sign = "≥ " if condition.op == "gte" else "≤ "
        return sign + plain_number(condition.value, t) + unit
    if condition.op == "is_filled":
        return t.gettext("filled in")
    if condition.op == "is_yes":
        return t.gettext("Yes")
    if condition.op == "is_web_address":
        return t.gettext("an http(s) address")
    return condition.op


def web_link(value: Value) -> str | None:
    """The address to link to, only for a value that passes the website rule (http/https)."""
    if not isinstance(value, str) or not is_web_address(value, None):
        return None
    text = value.strip()
    return text if "://" in text else "https://" + text


def value_lines(result: SchoolResult, criterion: Criterion, t: Translator) -> list[dict[str, Any]]:
    """One line per value the criterion reads: 'Số máy tính cho học sinh: 19 (cần ≥ 20)'.

    A website value becomes a link only when it is an http(s) address; anything else
    (`javascript:…`, `file:…`) stays plain text.
    """
    school = result.school
    lines = []
    for condition in criterion.conditions:
        column = condition.column
        assert column is not None  # joined in by the rulebook loader
        value = school.values.get(condition.field)
        shown = value_text(column, value, school.raw.get(condition.field, ""), t)
        need = t.gettext("needs %(requirement)s") % {"requirement": requirement_text(condition, t)}
        link = web_link(value) if column.kind == "url" else None
        lines.append({"label": column_label(column, t), "text": shown, "href": link, "need": need})
    return lines


def progress_text(previous: str | None, current: str, t: Translator) -> str:
    """The change since last semester for one criterion, with the earlier status."""
    change = progress(previous, current)
    words = t.gettext(PROGRESS_WORDS[change])
    if previous is None or change == "unchanged":
        return words
    return words + " " + t.gettext("(before: %(status)s)") % {"status": status_word(previous, t)}


def cut(text: str, limit: int) -> str:
    """A school-typed value cut to `limit` characters for quoting in a problem or a value line
    (the value itself is in the office's data-quality file); names are never cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


VALUE_ECHO_LIMIT = 80  # characters of an invalid value quoted on a card


def problem_sentence(problem: Problem, t: Translator, with_row: bool = True) -> str:
    """One data problem as a sentence: (row,) column, value as typed, what is wrong, how to
    fix. A school's own card leaves out the row: it is a row of the office's merged file."""
    what, fix = problem_texts(problem, t)
    column = t.gettext("Column “%(column)s”") % {"column": problem_column_label(problem, t)}
    parts = [column] if problem.column else []
    if with_row:
        parts.insert(0, t.gettext("Row %(row)s") % {"row": problem.row_number})
    where = ", ".join(parts)
    typed = f": “{cut(problem.value.strip(), VALUE_ECHO_LIMIT)}”" if problem.value.strip() else ""
    return f"{where}{typed} — {what}. {fix}"


def problem_texts(problem: Problem, t: Translator) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a problem, translated, with its column and value; the
    fix is the column's own hint for a value of the wrong type or range."""
    what = PROBLEM_TEXTS.get(problem.code, (N_("Invalid value"), ""))[0]
    fix = fix_text_of(problem.code, problem.kind)
    value = cut(problem.value.strip(), VALUE_ECHO_LIMIT)
    fill = {"column": problem_column_label(problem, t), "value": value}
    if problem.code == "suspect_fraction":
        fill |= fraction_fill(problem.value, t)
    return t.gettext(what).format(**fill), t.gettext(fix).format(**fill)


def fraction_fill(typed: str, t: Translator) -> dict[str, str]:
    """For a share typed as a fraction ('0,85'): the value as read and as a percentage."""
    number = Decimal(number_text(typed.strip(), "share"))
    return {"value": plain_number(number, t), "percent": plain_number(number * 100, t)}


def overall_texts(
    result: SchoolResult, previous: PreviousRun | None, rulebook: Rulebook, t: Translator
) -> dict[str, str]:
    """The headline result and the progress line for one school's scorecard."""
    if not rulebook.criteria:  # only points groups (the national index alone): they say it
        return {
            "headline": t.gettext("Overall: the points of each group are below."),
            "progress": "",
        }
    score = result.score
    if score is not None:
        headline = t.gettext("Overall: %(met)s of %(applicable)s criteria met (%(rate)s)") % {
            "met": result.met,
            "applicable": result.applicable,
            "rate": t.percent(score),
        }
    else:
        headline = t.gettext("Overall: no criterion could be assessed (school level unknown)")
    return {"headline": headline, "progress": previous_overall_text(result, previous, rulebook, t)}


def previous_overall_text(
    result: SchoolResult, previous: PreviousRun | None, rulebook: Rulebook, t: Translator
) -> str:
    """'Last semester (…): 3 of 6 met (50,0%)', or why there is nothing to compare with."""
    if previous is None:
        return t.gettext("No earlier semester is recorded, so there is no progress to show yet.")
    before = previous.statuses.get(result.school.school_id)
    if before is None:
        return t.gettext("This school was not in the records of %(semester)s (new school).") % {
            "semester": semester_text(previous.semester, t)
        }
    ids = [c.id for c in rulebook.criteria]
    met, applicable = met_and_applicable(before[c] for c in ids if c in before)
    score = share(met, applicable)
    rate = t.percent(score) if score is not None else "–"
    return t.gettext("Last semester (%(semester)s): %(met)s of %(applicable)s met (%(rate)s)") % {
        "semester": semester_text(previous.semester, t),
        "met": met,
        "applicable": applicable,
        "rate": rate,
    }


def criterion_row(
    result: SchoolResult,
    criterion: Criterion,
    status: str,
    district: DistrictFacts,
    previous: PreviousRun | None,
    bases: Sequence[str],
    t: Translator,
) -> dict[str, Any]:
    """One row of a scorecard's criteria table; `bases` numbers the legal bases cited."""
    if previous is None:
        change = "—"
    elif status == "not_applicable":
        change = "–"
    else:
        before_all = previous.statuses.get(result.school.school_id)
        before = before_all.get(criterion.id) if before_all else None
        change = progress_text(before, status, t)
    verdict = next(v for v in result.verdicts if v.criterion_id == criterion.id)
    levels = result.school.levels
    return {
        "label": text_in(criterion.text("label", levels), t.lang),
        "status": status,
        "symbol": STATUS_SYMBOLS[status],
        "status_text": status_word(status, t, verdict.reason),
        "value_lines": value_lines(result, criterion, t) if status != "not_applicable" else [],
        "district": district_line(criterion, district, t),
        "progress": change,
        "todo": todo_text(criterion, status, levels, t),
        "basis_ref": bases.index(text_in(criterion.text("legal_basis", levels), t.lang)) + 1
        if status != "not_applicable"
        else None,
    }


def area_words(office: Mapping[str, str], t: Translator) -> str:
    """How the text names the issuing unit's schools as a whole ('Toàn huyện', 'Toàn tỉnh'),
    from the office settings' area word; a neutral 'Toàn đơn vị' when it gives none."""
    area = office.get("area", "").strip()
    return area[:1].upper() + area[1:] if area else t.gettext("Across the unit")


def schools_met_text(met: int, applicable: int, t: Translator) -> str:
    """'33/45 trường đạt (73,3%)': a count of schools, never a value's average."""
    rate = share(met, applicable)
    shown = t.percent(rate) if rate is not None else "–"
    return t.gettext("%(met)s/%(applicable)s schools meet it (%(rate)s)") % {
        "met": met,
        "applicable": applicable,
        "rate": shown,
    }


def target_text(criterion: Criterion, t: Translator) -> str:
    """'chỉ tiêu 100% số trường': the plan's target is a share of schools."""
    return t.gettext("target %(target)s of schools") % {
        "target": plain_number(criterion.target, t) + "%"
    }


def median_texts(criterion: Criterion, district: DistrictFacts, t: Translator) -> list[str]:
    """'trung vị 92,5%' for each numeric value the criterion reads (the unit's median)."""
    texts = []
    for condition in criterion.conditions:
        median = district.medians.get(condition.field)
        column = condition.column
        if median is None or column is None:
            continue
        unit = "%" if column.kind == "share" else ""
        texts.append(
            t.gettext("median %(column)s: %(value)s")
            % {"column": column_label(column, t), "value": plain_number(median, t) + unit}
        )
    return texts


def district_line(criterion: Criterion, district: DistrictFacts, t: Translator) -> str:
    """'Toàn huyện: 33/45 trường đạt (73,3%) — chỉ tiêu 100% số trường; trung vị …'."""
    met, applicable = district.rates.get(criterion.id, (0, 0))
    line = f"{schools_met_text(met, applicable, t)} — {target_text(criterion, t)}"
    medians = median_texts(criterion, district, t)
    return "; ".join([line, *medians])


def status_legend(t: Translator) -> str:
    """The one-line legend printed on every card: what each status means for the score."""
    return t.gettext(
        "✓ Met · ✗ Not met · ? Not filled in / Invalid data: the criterion could not be "
        "scored and counts as not met in the overall result · – Not applicable to the "
        "school's level."
    )


def todo_text(criterion: Criterion, status: str, levels: tuple[str, ...], t: Translator) -> str:
    """What to do next: the rulebook's remediation (for a school of `levels`) when not met, a
    data fix when missing."""
    if status == "not_met":
        return text_in(criterion.text("remediation", levels), t.lang)
    if status == "missing":
        return missing_todo(t)
    return ""


def missing_todo(t: Translator) -> str:
    """What to do when a value the criterion needs is blank or invalid."""
    return t.gettext("Fill in the missing or invalid value (see data problems below) and resubmit.")


def cited_bases(
    rulebook: Rulebook, statuses: Mapping[str, str], levels: tuple[str, ...], lang: str
) -> list[str]:
    """The distinct legal bases of the criteria that apply to a school of `levels`, in
    rulebook order (cited as [n])."""
    bases: list[str] = []
    for criterion in rulebook.criteria:
        basis = text_in(criterion.text("legal_basis", levels), lang)
        if statuses.get(criterion.id) != "not_applicable" and basis not in bases:
            bases.append(basis)
    return bases


def run_values(facts: RunFacts) -> dict[str, str]:
    """The run id and the checker's version: for the PDF's metadata, never the page."""
    return {"version": facts.checker_version, "run_id": facts.run_id}


def place_date(facts: RunFacts, t: Translator) -> str:
    """'Giồng Trôm, ngày 29 tháng 11 năm 2026'."""
    return document.place_date(facts.office, facts.day, t)


def lower_first(text: str) -> str:
    """'Học kỳ I …' → 'học kỳ I …' inside a sentence."""
    return text[:1].lower() + text[1:]


def notice_subject(facts: RunFacts, t: Translator) -> str:
    """The scorecard's trích yếu: 'Kết quả đánh giá chuyển đổi số học kỳ I năm học 2026-2027'."""
    return t.gettext("Results of the digital transformation assessment, %(semester)s") % {
        "semester": lower_first(semester_text(facts.semester, t))
    }


def report_subject(semester: str, t: Translator) -> str:
    """The summary's trích yếu: 'Kết quả đánh giá chuyển đổi số của các trường học, học kỳ …'."""
    return t.gettext("Results of the schools' digital transformation assessment, %(semester)s") % {
        "semester": lower_first(semester_text(semester, t))
    }


def addressee(school_name: str, t: Translator) -> str:
    """ô 9a: 'Hiệu trưởng Trường THCS Hưng Lễ'. A name typed without 'Trường' gets it in
    Vietnamese (the names are Vietnamese whatever the language: English adds nothing)."""
    name = " ".join(school_name.split())
    if t.lang == "vi" and not name.casefold().startswith("trường"):
        name = "Trường " + name
    return t.gettext("The Principal of %(school)s") % {"school": name}


def documents_cited(office: Mapping[str, str], rulebook: Rulebook, lang: str) -> str:
    """The documents the run's criteria come from, for the căn cứ sentences: the office's
    `plan` when criteria outside points groups are checked (the local plan, named as the
    office writes it), then each points index by its rulebook's title (e.g. QĐ 4725), so a
    run with the national index never cites the local plan alone."""
    indexes = {group.section for group in rulebook.groups}
    documents = [office.get("plan", "")] if rulebook.plan_criteria else []
    documents += [text_in(s.title, lang) for s in rulebook.sections if s.id in indexes]
    return "; ".join(document for document in documents if document)


def notice_basis(facts: RunFacts, rulebook: Rulebook, t: Translator) -> str:
    """The căn cứ sentence of a scorecard: the documents the criteria come from."""
    return t.gettext(
        "Under %(plan)s and the figures the school reported, the results of its digital "
        "transformation assessment in %(semester)s are as follows:"
    ) % {
        "plan": documents_cited(facts.office, rulebook, t.lang),
        "semester": lower_first(semester_text(facts.semester, t)),
    }


def scorecard_context(
    result: SchoolResult,
    rulebook: Rulebook,
    facts: RunFacts,
    district: DistrictFacts,
    previous: PreviousRun | None,
    t: Translator,
) -> dict[str, Any]:
    """Everything one school's scorecard prints, as plain values. Criteria of points groups
    (the national index) are a section of their own, after the local plan's criteria."""
    school = result.school
    to_fix = any(v.status in ("not_met", "missing") for v in result.verdicts) or bool(
        school.problems
    )
    group_sections = card_sections(result, rulebook, t)
    basis = notice_basis(facts, rulebook, t)
    result, rulebook = result.plan_view(), rulebook.plan_view()
    statuses = {v.criterion_id: v.status for v in result.verdicts}
    bases = cited_bases(rulebook, statuses, school.levels, t.lang)
    subject = notice_subject(facts, t)
    return {
        "office": dict(facts.office),
        "symbol": document.symbol_line(
            facts.office.get("notice_symbol", ""), facts.notice_number, t
        ),
        "place_date": place_date(facts, t),
        "subject": subject,
        "addressee": addressee(school.name, t),
        "basis": basis,
        "request": document.request_text(facts.office, facts.day, to_fix, t),
        "signature": document.signature_block(facts.office, t),
        "recipients": document.recipients(facts.office, "notice_recipients", t),
        "anchor": f"{document.SIGNATURE_ANCHOR}-{school.school_id}",
        "pdf": document.pdf_metadata(
            facts.office,
            f"{subject} — {' '.join(school.name.split())}",
            subject,
            run_values(facts),
            t.lang,
        ),
        "semester_text": semester_text(facts.semester, t),
        "school": {
            # Names are printed whole (an official document never truncates a name): they wrap.
            "id": school.school_id,
            "name": school.name,
            "level": level_word(school.level, t),
            "commune": school.commune,
            "principal": school.principal,
        },
        "overall": overall_texts(result, previous, rulebook, t),
        "legend": status_legend(t),
        "area": area_words(facts.office, t),
        "criteria": [
            criterion_row(result, c, statuses[c.id], district, previous, bases, t)
            for c in rulebook.criteria
        ],
        "bases": bases,
        "group_sections": group_sections,
        "problems": [problem_sentence(p, t, with_row=False) for p in school.problems],
    }


def criterion_numbers(rulebook: Rulebook) -> dict[str, str]:
    """Short column names for the grid: criterion id -> 'TC1', 'TC2', … (legend explains them)."""
    return {c.id: f"TC{i}" for i, c in enumerate(rulebook.criteria, start=1)}


def previous_rate_of(
    trend: Sequence[TrendPoint], previous: PreviousRun | None
) -> dict[str, tuple[int, int]]:
    """criterion -> (met, applicable) in the previous recorded semester, from the trend."""
    if previous is None:
        return {}
    return {
        p.criterion: (p.met, p.applicable)
        for p in trend
        if p.semester == previous.semester and p.applicable
    }


def target_band(rate_points: float, target: float) -> str:
    """How far a rate is from its target: 'reached', 'near' (within 10 points) or 'far'."""
    if rate_points >= target:
        return "reached"
    return "near" if target - rate_points <= NEAR_TARGET_POINTS else "far"


BAND_SYMBOLS = {"reached": "✓", "near": "▲", "far": "✗"}


def points_change(now: float, before: float, t: Translator) -> str:
    """A rate's change in percentage points: '+4,5', '−2', '±0'."""
    change = round(round(now, 1) - round(before, 1), 1)  # as a reader subtracts printed rates
    if change == 0:
        return "±0"
    sign = "+" if change > 0 else "−"
    return sign + plain_number(abs(change), t)


def summary_criterion_row(
    criterion: Criterion,
    results: Sequence[SchoolResult],
    district: DistrictFacts,
    before: Mapping[str, tuple[int, int]],
    previous: PreviousRun | None,
    t: Translator,
) -> dict[str, Any]:
    """One criterion's result over the unit's schools against the plan's target."""
    met, applicable = district.rates.get(criterion.id, (0, 0))
    rate = share(met, applicable)
    points = 100 * rate if rate is not None else 0.0
    band = target_band(points, criterion.target) if rate is not None else "far"
    unscored = sum(
        v.status == "missing" for r in results for v in r.verdicts if v.criterion_id == criterion.id
    )
    label = text_in(criterion.label, t.lang)
    rate_shown = t.percent(rate) if rate is not None else "–"
    earlier = before.get(criterion.id)
    if previous is None or earlier is None:
        change, previous_text = "", t.gettext("not recorded")
    else:
        change = points_change(points, 100 * earlier[0] / earlier[1], t)
        previous_text = f"{earlier[0]}/{earlier[1]} ({t.percent(earlier[0] / earlier[1])})"
    return {
        "label": label,
        "met_text": f"{met}/{applicable}",
        "rate": rate_shown,
        "change": change,
        "target": plain_number(criterion.target, t) + "%",
        "band": band,
        "symbol": BAND_SYMBOLS[band],
        "missing": unscored,
        "previous": previous_text,
        "sentence": f"{label}: {schools_met_text(met, applicable, t)} — "
        f"{target_text(criterion, t)}",
    }


def regressed_criteria(result: SchoolResult, previous: PreviousRun | None) -> list[str]:
    """Ids of the criteria on which a school really went back (met before, not met now);
    a criterion unscored on either side is not a decline."""
    if previous is None:
        return []
    before = previous.statuses.get(result.school.school_id, {})
    return [
        v.criterion_id
        for v in result.verdicts
        if progress(before.get(v.criterion_id), v.status) == "regressed"
    ]


def score_text(result: SchoolResult, t: Translator) -> str:
    """'4/6 (66,7%)', or '–' when nothing applies."""
    if result.score is None:
        return "–"
    return f"{result.met}/{result.applicable} ({t.percent(result.score)})"


def attention_entry(
    result: SchoolResult, labels: Mapping[str, str], regressed: Sequence[str], t: Translator
) -> dict[str, Any]:
    """One school needing attention, with the reasons in plain words."""
    reasons = []
    if regressed:
        reasons.append(
            t.gettext("Went back since last semester: %(criteria)s")
            % {"criteria": ", ".join(labels[c] for c in regressed)}
        )
    not_met = [labels[v.criterion_id] for v in result.verdicts if v.status == "not_met"]
    if not_met:
        reasons.append(t.gettext("Not met: %(criteria)s") % {"criteria": ", ".join(not_met)})
    unscored = [labels[v.criterion_id] for v in result.verdicts if v.status == "missing"]
    if unscored:
        reasons.append(
            t.gettext("Not scored (data to fix): %(criteria)s") % {"criteria": ", ".join(unscored)}
        )
    school = result.school
    return {
        "id": school.school_id,
        "name": school.name,
        "level": level_word(school.level, t),
        "score": score_text(result, t),
        "reasons": reasons,
    }


GROUP_ORDER: tuple[str | None, ...] = (*LEVELS, COMBINED, None)


def attention_groups(
    results: Sequence[SchoolResult],
    rulebook: Rulebook,
    previous: PreviousRun | None,
    per_level: int,
    t: Translator,
) -> list[dict[str, Any]]:
    """The weakest schools of each level: those with a criterion not met, ordered by score,
    then by criteria not met (more first), real declines first among equals; at most
    `per_level` per level. Schools whose only gap is data to fix are in the data list."""
    labels = {c.id: text_in(c.label, t.lang) for c in rulebook.criteria}
    groups = []
    for group in GROUP_ORDER:
        ranked = []
        for result in results:
            not_met = sum(v.status == "not_met" for v in result.verdicts)
            if level_group(result.school.level) != group or not not_met:
                continue
            regressed = regressed_criteria(result, previous)
            order = (result.score or 0.0, -not_met, not regressed, result.school.school_id)
            ranked.append((order, attention_entry(result, labels, regressed, t)))
        if not ranked:
            continue
        ranked.sort(key=lambda item: item[0])
        shown = [entry for _, entry in ranked[:per_level]]
        groups.append(
            {
                "title": group_word(group, t),
                "schools": shown,
                "more": more_schools_text(len(ranked) - len(shown), t),
            }
        )
    return groups


def data_fix_list(results: Sequence[SchoolResult], t: Translator) -> list[dict[str, Any]]:
    """Schools that must complete or correct their figures: a criterion unscored, or a value
    to confirm (e.g. '0,85' in a percentage column), with the columns concerned."""
    entries = []
    for result in results:
        problems = result.school.problems
        if not problems and all(v.status != "missing" for v in result.verdicts):
            continue
        columns = list(dict.fromkeys(problem_column_label(p, t) for p in problems if p.column))
        to_fix = [p for p in problems if p.code not in WARNING_CODES]
        to_confirm = [p for p in problems if p.code in WARNING_CODES]
        entries.append(
            {
                "id": result.school.school_id,
                "name": result.school.name,
                "columns": ", ".join(columns) if columns else t.gettext("school level"),
                "count": problem_counts(len(to_fix), len(to_confirm), t),
            }
        )
    return entries


def problem_counts(to_fix: int, to_confirm: int, t: Translator) -> str:
    """'2 to fix', '1 to confirm' or both; a school with unscored criteria but no problem
    listed (an unknown level) has 'to fix' too."""
    parts = []
    if to_fix or not to_confirm:
        parts.append(t.gettext("%(count)s to fix") % {"count": max(to_fix, 1)})
    if to_confirm:
        parts.append(t.gettext("%(count)s to confirm") % {"count": to_confirm})
    return ", ".join(parts)


def not_reported(
    results: Sequence[SchoolResult], previous: PreviousRun | None, t: Translator
) -> list[str]:
    """Schools recorded last semester that sent nothing this time: 'Name (id)'."""
    if previous is None:
        return []
    now = {r.school.school_id for r in results}
    return [
        f"{previous.names[i]} ({i})" if previous.names.get(i) else i
        for i in sorted(set(previous.statuses) - now)
    ]


def grid_groups(results: Sequence[SchoolResult], t: Translator) -> list[dict[str, Any]]:
    """Schools × criteria, grouped by level in the plan's order (combined, then unknown last)."""
    groups = []
    for group in GROUP_ORDER:
        members = [r for r in results if level_group(r.school.level) == group]
        if not members:
            continue
        groups.append(
            {
                "title": f"{group_word(group, t)} ({len(members)})",
                "schools": [
                    {
                        "id": r.school.school_id,
                        "name": r.school.name,
                        "cells": [
                            {"status": v.status, "symbol": STATUS_SYMBOLS[v.status]}
                            for v in r.verdicts
                        ],
                        "score": t.percent(r.score) if r.score is not None else "–",
                    }
                    for r in sorted(members, key=lambda r: r.school.school_id)
                ],
            }
        )
    return groups


def level_breakdown(results: Sequence[SchoolResult], t: Translator) -> list[dict[str, Any]]:
    """Per level (combined schools as one group): schools meeting every criterion that applies."""
    rows = []
    for group in GROUP_ORDER:
        members = [r for r in results if level_group(r.school.level) == group]
        if not members:
            continue
        complete = sum(r.meets_every_criterion for r in members)
        rows.append(
            {
                "label": group_word(group, t),
                "schools": len(members),
                "complete": complete,
                "rate": t.percent(complete / len(members)),
            }
        )
    return rows


def legend_text(rulebook: Rulebook, t: Translator) -> str:
    """The grid's legend: criterion numbers and status symbols."""
    numbers = criterion_numbers(rulebook)
    criteria = "; ".join(f"{numbers[c.id]} = {text_in(c.label, t.lang)}" for c in rulebook.criteria)
    words = {s: status_word(s, t) for s in STATUS_WORDS}
    words["missing"] = " / ".join(t.gettext(w) for w in MISSING_WORDS.values())
    symbols = ", ".join(f"{STATUS_SYMBOLS[s]} {words[s]}" for s in STATUS_WORDS)
    return f"{criteria}. {symbols}."


def data_lines(
    district: DistrictFacts, results: Sequence[SchoolResult], t: Translator
) -> list[str]:
    """The data-problem paragraph of the summary."""
    with_problems = sum(bool(r.school.problems) for r in results)
    lines = [
        t.gettext(
            "%(problems)s data problems in %(schools)s schools; details in data-quality.xlsx."
        )
        % {"problems": district.problems, "schools": with_problems},
        t.gettext("%(read)s rows read = %(cards)s scorecards + %(rejected)s rows rejected.")
        % {"read": district.rows_read, "cards": len(results), "rejected": district.rejected},
    ]
    if district.extra_columns:
        lines.append(
            t.gettext("Columns not used for scoring: %(columns)s.")
            % {"columns": ", ".join(district.extra_columns)}
        )
    return lines


def new_school_lines(
    results: Sequence[SchoolResult], previous: PreviousRun | None, t: Translator
) -> list[str]:
    """Schools new since the previous semester (a new or merged school is a fact to report)."""
    if previous is None:
        return []
    new = sorted({r.school.school_id for r in results} - set(previous.statuses))
    if not new:
        return []
    return [
        t.gettext("New since %(semester)s: %(ids)s.")
        % {"semester": semester_text(previous.semester, t), "ids": ", ".join(new)}
    ]


def more_schools_text(more: int, t: Translator) -> str:
    """'… and 12 more schools (see results.csv)', or '' when the list is complete."""
    if more <= 0:
        return ""
    return t.gettext("… and %(count)s more schools (see results.csv).") % {"count": more}


def summary_context(
    results: Sequence[SchoolResult],
    rulebook: Rulebook,
    facts: RunFacts,
    district: DistrictFacts,
    previous: PreviousRun | None,
    t: Translator,
    attention_per_level: int = DEFAULT_ATTENTION_PER_LEVEL,
) -> dict[str, Any]:
    """Everything the summary prints, as plain values (the chart is added by render). Points
    groups (the national index) have a section of their own; the tables of criteria, the
    priority list and the grid are the local plan's."""
    group_sections = summary_sections(
        results, rulebook, t, lambda level: group_word(level_group(level), t)
    )
    basis = report_basis(facts, rulebook, t)
    results = [result.plan_view() for result in results]
    rulebook = rulebook.plan_view()
    before = previous_rate_of(district.trend, previous)
    complete = sum(r.meets_every_criterion for r in results)
    semesters = sorted({p.semester for p in district.trend})
    to_fix = data_fix_list(results, t)
    missing = not_reported(results, previous, t)
    subject = report_subject(facts.semester, t)
    symbol = document.document_symbol(facts.office.get("report_symbol", ""), facts.report_number)
    return {
        "lang": t.lang,
        "office": dict(facts.office),
        "symbol": document.symbol_line(
            facts.office.get("report_symbol", ""), facts.report_number, t
        ),
        "subject": subject,
        "basis": basis,
        "assessment": assessment_lines(results, rulebook, district.trend, previous, t),
        "placeholders": {
            "causes": t.gettext("[The office writes the causes here.]"),
            "tasks": t.gettext(
                "[The office writes the tasks and measures for the next semester here.]"
            ),
            "proposals": t.gettext("[The office writes its recommendations and proposals here.]"),
        },
        "signature": document.signature_block(facts.office, t),
        "recipients": document.recipients(facts.office, "report_recipients", t),
        "anchor": document.SIGNATURE_ANCHOR,
        "annex_of": t.gettext("(Attached to Report No. %(symbol)s dated %(date)s of %(unit)s)")
        % {
            "symbol": symbol,
            "date": t.date(facts.day),
            "unit": document.one_line(facts.office.get("name", "")),
        },
        "pdf": document.pdf_metadata(
            facts.office,
            f"{t.gettext('REPORT').capitalize()}: {subject}",
            subject,
            run_values(facts),
            t.lang,
        ),
        "area": area_words(facts.office, t),
        "place_date": place_date(facts, t),
        "plan": facts.office.get("plan", ""),
        "semester_text": semester_text(facts.semester, t),
        "previous_text": semester_text(previous.semester, t) if previous else "",
        "kpis": [
            {"label": t.gettext("Schools assessed"), "value": len(results)},
            {"label": t.gettext("Schools meeting every criterion"), "value": complete},
            {
                "label": t.gettext("Rows read / rejected"),
                "value": f"{district.rows_read} / {district.rejected}",
            },
            {"label": t.gettext("Data problems"), "value": district.problems},
        ],
        "not_reported": missing,
        "group_sections": group_sections,
        "criteria": [
            summary_criterion_row(c, results, district, before, previous, t)
            for c in rulebook.criteria
        ],
        "levels": level_breakdown(results, t),
        "trend_note": t.gettext(
            "Share of applicable schools meeting each criterion, %(count)s recorded semesters; "
            "dashed line: the plan's target."
        )
        % {"count": len(semesters)},
        "attention": attention_groups(results, rulebook, previous, attention_per_level, t),
        "to_fix": to_fix[:DATA_LIST_LIMIT],
        "to_fix_more": more_schools_text(len(to_fix) - DATA_LIST_LIMIT, t),
        "data_lines": data_lines(district, results, t) + new_school_lines(results, previous, t),
        "legend": legend_text(rulebook, t),
        "grid": {
            "columns": list(criterion_numbers(rulebook).values()),
            "groups": grid_groups(results, t) if len(results) <= GRID_LIMIT else [],
            "note": ""
            if len(results) <= GRID_LIMIT
            else t.gettext("%(count)s schools: the school-by-school grid is in results.csv.")
            % {"count": len(results)},
        },
    }


def report_basis(facts: RunFacts, rulebook: Rulebook, t: Translator) -> str:
    """The summary's opening sentence: under which documents, whose schools, which semester."""
    return t.gettext(
        "Under %(plan)s, this reports the results of the digital transformation assessment "
        "of the schools of %(area)s in %(semester)s as follows:"
    ) % {
        "plan": documents_cited(facts.office, rulebook, t.lang),
        "area": facts.office.get("area", ""),
        "semester": lower_first(semester_text(facts.semester, t)),
    }


def assessment_lines(
    results: Sequence[SchoolResult],
    rulebook: Rulebook,
    trend: Sequence[TrendPoint],
    previous: PreviousRun | None,
    t: Translator,
) -> dict[str, list[str]]:
    """Section II's sentences generated from the figures: strengths and shortcomings."""
    # Imported here: checker.report reads this module's semester and text helpers.
    from checker.report import criterion_figures, strengths, weaknesses

    before = previous.semester if previous else None
    figures = criterion_figures(results, rulebook, trend, before, t.lang)
    return {
        "strengths": strengths(figures, results, before, t),
        "weaknesses": weaknesses(figures, results, before, t),
    }
