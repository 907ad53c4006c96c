"""What the pages say: results -> plain-value contexts for the scorecard and summary templates.

Every function here is pure: it takes results, the rulebook, the run's facts and a translator,
and returns dicts of strings and lists, already in the user's language. Templates get nothing
else (no live objects), and school-supplied text stays plain text for Jinja to escape.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.evaluate import is_web_address
from checker.history import progress
from checker.i18n import N_, STATUS_WORDS, Translator
from checker.model import (
    COLUMN_BY_KEY,
    Condition,
    Criterion,
    Problem,
    Rulebook,
    SchoolResult,
    Value,
    share,
)
from checker.validate import PROBLEM_TEXTS

# The summary lists schools one by one up to these sizes; a province's thousands of schools go to
# results.csv instead (a 5,000-row grid is 100+ pages nobody reads, and 1 GB to lay out).
GRID_LIMIT = 150
ATTENTION_LIMIT = 60

STATUS_SYMBOLS = {"met": "✓", "not_met": "✗", "missing": "?", "not_applicable": "–"}
LEVEL_WORDS = {
    "mam_non": N_("Preschool / kindergarten"),
    "tieu_hoc": N_("Primary"),
    "thcs": N_("Lower secondary"),
}
PROGRESS_WORDS = {
    "improved": N_("▲ Improved"),
    "regressed": N_("▼ Went back"),
    "unchanged": N_("= Unchanged"),
    "new": N_("New"),
    "not_comparable": N_("cannot be compared"),
}


@dataclass(frozen=True)
class RunFacts:
    """Facts about this run that every page prints."""

    semester: str  # canonical label, e.g. 2026-2027/HK1
    run_id: str
    day: dt.date
    checker_version: str
    office: Mapping[str, str]


@dataclass(frozen=True)
class PreviousRun:
    """The previous recorded semester's statuses, for progress (None when there is none)."""

    semester: str
    statuses: Mapping[str, Mapping[str, str]]  # school_id -> criterion -> status


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


def semester_text(label: str, t: Translator) -> str:
    """'2026-2027/HK1' -> 'Học kỳ I, năm học 2026-2027' (or the English)."""
    years, term = label.split("/")
    roman = {"HK1": "I", "HK2": "II"}.get(term, term)
    return t.gettext("Semester %(term)s, school year %(years)s") % {"term": roman, "years": years}


def status_word(status: str, t: Translator) -> str:
    """The translated word for a status."""
    return t.gettext(STATUS_WORDS[status])


def level_word(level: str | None, t: Translator) -> str:
    """The translated name of a school level ('unknown' when the level could not be read)."""
    return t.gettext(LEVEL_WORDS[level]) if level else t.gettext("Unknown level")


def column_label(key: str, t: Translator) -> str:
    """A column's header in the user's language (the office's Vietnamese header by default)."""
    column = COLUMN_BY_KEY[key]
    return column.header_vi if t.lang == "vi" else column.header_en


def value_text(key: str, value: Value, raw: str, t: Translator) -> str:
    """A typed value as the school would read it; blank and invalid values said as such."""
    if value is None:
        return t.gettext("(blank)") if not raw else t.gettext("(invalid: “%(raw)s”)") % {"raw": raw}
    kind = COLUMN_BY_KEY[key].kind
    if kind == "yes_no":
        return t.gettext("Yes") if value else t.gettext("No")
    if kind == "share" and isinstance(value, float | int):
        return t.number(float(value)) + "%"
    if kind == "count" and isinstance(value, float | int):
        return t.number(float(value), digits=0)
    return str(value)


def requirement_text(condition: Condition, t: Translator) -> str:
    """What a condition asks for, e.g. '≥ 90%', 'Yes', 'an http(s) web address'."""
    if condition.op == "gte" and condition.value is not None:
        unit = "%" if COLUMN_BY_KEY[condition.field].kind == "share" else ""
        return "≥ " + t.number(condition.value, digits=1 if unit else 0) + unit
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
        value = school.values.get(condition.field)
        shown = value_text(condition.field, value, school.raw.get(condition.field, ""), t)
        need = t.gettext("needs %(requirement)s") % {"requirement": requirement_text(condition, t)}
        link = web_link(value) if COLUMN_BY_KEY[condition.field].kind == "url" else None
        lines.append(
            {"label": column_label(condition.field, t), "text": shown, "href": link, "need": need}
        )
    return lines


def progress_text(previous: str | None, current: str, t: Translator) -> str:
    """The change since last semester for one criterion, with the earlier status."""
    change = progress(previous, current)
    words = t.gettext(PROGRESS_WORDS[change])
    if previous is None or change == "unchanged":
        return words
    return words + " " + t.gettext("(before: %(status)s)") % {"status": status_word(previous, t)}


def problem_sentence(problem: Problem, t: Translator) -> str:
    """One data problem as a sentence: row, column, value as typed, what is wrong, how to fix."""
    what, fix = problem_texts(problem, t)
    where = t.gettext("Row %(row)s") % {"row": problem.row_number}
    if problem.column:
        where += ", " + t.gettext("column “%(column)s”") % {
            "column": column_label(problem.column, t)
        }
    typed = f": “{problem.value}”" if problem.value else ""
    return f"{where}{typed} — {what}. {fix}"


def problem_texts(problem: Problem, t: Translator) -> tuple[str, str]:
    """(what is wrong, how to fix it) for a problem, translated, with its column and value."""
    what, fix = PROBLEM_TEXTS.get(problem.code, (N_("Invalid value"), N_("Check this value.")))
    column = column_label(problem.column, t) if problem.column else ""
    fill = {"column": column, "value": problem.value}
    return t.gettext(what).format(**fill), t.gettext(fix).format(**fill)


def overall_texts(
    result: SchoolResult, previous: PreviousRun | None, rulebook: Rulebook, t: Translator
) -> dict[str, str]:
    """The headline result and the progress line for one school's scorecard."""
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
            "semester": previous.semester
        }
    ids = [c.id for c in rulebook.criteria]
    applicable = [before[c] for c in ids if c in before and before[c] != "not_applicable"]
    met = sum(s == "met" for s in applicable)
    score = share(met, len(applicable))
    rate = t.percent(score) if score is not None else "–"
    return t.gettext("Last semester (%(semester)s): %(met)s of %(applicable)s met (%(rate)s)") % {
        "semester": previous.semester,
        "met": met,
        "applicable": len(applicable),
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
    district_rate = share(*district.rates.get(criterion.id, (0, 0)))
    if previous is None:
        change = "—"
    elif status == "not_applicable":
        change = "–"
    else:
        before_all = previous.statuses.get(result.school.school_id)
        before = before_all.get(criterion.id) if before_all else None
        change = progress_text(before, status, t)
    return {
        "label": text_in(criterion.label, t.lang),
        "status": status,
        "symbol": STATUS_SYMBOLS[status],
        "status_text": status_word(status, t),
        "value_lines": value_lines(result, criterion, t) if status != "not_applicable" else [],
        "target": t.gettext("target %(target)s")
        % {"target": t.percent(criterion.target / 100, digits=0)},
        "district": t.percent(district_rate) if district_rate is not None else "–",
        "progress": change,
        "todo": todo_text(criterion, status, t),
        "basis_ref": bases.index(text_in(criterion.legal_basis, t.lang)) + 1
        if status != "not_applicable"
        else None,
    }


def todo_text(criterion: Criterion, status: str, t: Translator) -> str:
    """What to do next: the rulebook's remediation when not met, a data fix when missing."""
    if status == "not_met":
        return text_in(criterion.remediation, t.lang)
    if status == "missing":
        return missing_todo(t)
    return ""


def missing_todo(t: Translator) -> str:
    """What to do when a value the criterion needs is blank or invalid."""
    return t.gettext("Fill in the missing or invalid value (see data problems below) and resubmit.")


def shorten(text: str, limit: int) -> str:
    """Cut a school-supplied text that would break the layout, marking the cut with '…'."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text_in(texts: Mapping[str, str], lang: str) -> str:
    """A rulebook text in the language, falling back to Vietnamese."""
    return texts.get(lang) or texts["vi"]


def cited_bases(rulebook: Rulebook, statuses: Mapping[str, str], lang: str) -> list[str]:
    """The distinct legal bases of the criteria that apply, in rulebook order (cited as [n])."""
    bases: list[str] = []
    for criterion in rulebook.criteria:
        basis = text_in(criterion.legal_basis, lang)
        if statuses.get(criterion.id) != "not_applicable" and basis not in bases:
            bases.append(basis)
    return bases


def footer_line(facts: RunFacts, t: Translator) -> str:
    """The small print: checker version, run id and date, on every page."""
    return t.gettext("checker %(version)s · run %(run_id)s · %(date)s") % {
        "version": facts.checker_version,
        "run_id": facts.run_id,
        "date": t.date(facts.day),
    }


def place_date(facts: RunFacts, t: Translator) -> str:
    """'Giồng Trôm, ngày 29 tháng 11 năm 2026'."""
    return f"{facts.office['place']}, {t.long_date(facts.day)}"


def scorecard_context(
    result: SchoolResult,
    rulebook: Rulebook,
    facts: RunFacts,
    district: DistrictFacts,
    previous: PreviousRun | None,
    t: Translator,
) -> dict[str, Any]:
    """Everything one school's scorecard prints, as plain values."""
    school = result.school
    statuses = {v.criterion_id: v.status for v in result.verdicts}
    bases = cited_bases(rulebook, statuses, t.lang)
    return {
        "office": dict(facts.office),
        "place_date": place_date(facts, t),
        "plan": facts.office.get("plan", ""),
        "semester_text": semester_text(facts.semester, t),
        "school": {
            "id": school.school_id,
            "name": shorten(school.name, 150),
            "level": level_word(school.level, t),
            "commune": shorten(school.commune, 60),
            "principal": shorten(school.principal, 60),
        },
        "overall": overall_texts(result, previous, rulebook, t),
        "criteria": [
            criterion_row(result, c, statuses[c.id], district, previous, bases, t)
            for c in rulebook.criteria
        ],
        "bases": bases,
        "problems": [problem_sentence(p, t) for p in school.problems],
        "run_line": footer_line(facts, t),
        "footer": f"{shorten(school.name, 80)} · {semester_text(facts.semester, t)}",
    }


def criterion_numbers(rulebook: Rulebook) -> dict[str, str]:
    """Short column names for the grid: criterion id -> 'TC1', 'TC2', … (legend explains them)."""
    return {c.id: f"TC{i}" for i, c in enumerate(rulebook.criteria, start=1)}


def previous_rates(trend: Sequence[TrendPoint], previous: PreviousRun | None) -> dict[str, str]:
    """criterion -> the previous semester's rate as text, from the trend."""
    if previous is None:
        return {}
    return {
        p.criterion: f"{p.met}/{p.applicable}"
        for p in trend
        if p.semester == previous.semester and p.applicable
    }


def summary_criterion_row(
    criterion: Criterion,
    results: Sequence[SchoolResult],
    district: DistrictFacts,
    before: Mapping[str, str],
    previous: PreviousRun | None,
    t: Translator,
) -> dict[str, Any]:
    """One criterion's district result against the plan's target."""
    met, applicable = district.rates.get(criterion.id, (0, 0))
    rate = share(met, applicable)
    reached = rate is not None and rate * 100 >= criterion.target
    missing = sum(
        v.status == "missing" for r in results for v in r.verdicts if v.criterion_id == criterion.id
    )
    label = text_in(criterion.label, t.lang)
    target = t.percent(criterion.target / 100, digits=0)
    schools = t.gettext("%(met)s/%(applicable)s schools") % {"met": met, "applicable": applicable}
    rate_shown = t.percent(rate) if rate is not None else "–"
    previous_text = t.gettext("not recorded") if previous is None else before.get(criterion.id, "–")
    return {
        "label": label,
        "met_text": schools,
        "rate": rate_shown,
        "target": target,
        "status": "met" if reached else "not_met",
        "symbol": STATUS_SYMBOLS["met" if reached else "not_met"],
        "missing": missing,
        "previous": previous_text,
        "sentence": t.gettext("%(label)s: %(schools)s (%(rate)s) — target %(target)s")
        % {"label": label, "schools": schools, "rate": rate_shown, "target": target},
    }


def regressed_criteria(result: SchoolResult, previous: PreviousRun | None) -> list[str]:
    """Ids of the criteria on which a school went back since the previous semester."""
    if previous is None:
        return []
    before = previous.statuses.get(result.school.school_id, {})
    return [
        v.criterion_id
        for v in result.verdicts
        if progress(before.get(v.criterion_id), v.status) == "regressed"
    ]


def attention_entry(
    result: SchoolResult, labels: Mapping[str, str], regressed: Sequence[str], t: Translator
) -> dict[str, Any]:
    """One school needing attention, with the reasons in plain words."""
    reasons = []
    for status, words in (
        ("not_met", N_("Not met: %(criteria)s")),
        ("missing", N_("Missing data: %(criteria)s")),
    ):
        names = [labels[v.criterion_id] for v in result.verdicts if v.status == status]
        if names:
            reasons.append(t.gettext(words) % {"criteria": ", ".join(names)})
    if regressed:
        reasons.insert(
            0,
            t.gettext("Went back since last semester: %(criteria)s")
            % {"criteria": ", ".join(labels[c] for c in regressed)},
        )
    school = result.school
    return {
        "id": school.school_id,
        "name": shorten(school.name, 90),
        "level": level_word(school.level, t),
        "score": t.percent(result.score) if result.score is not None else "–",
        "reasons": reasons,
    }


def attention_list(
    results: Sequence[SchoolResult], rulebook: Rulebook, previous: PreviousRun | None, t: Translator
) -> list[dict[str, Any]]:
    """Schools with anything not met or missing: those that went back first, then lowest score."""
    labels = {c.id: text_in(c.label, t.lang) for c in rulebook.criteria}
    flagged = []
    for result in results:
        regressed = regressed_criteria(result, previous)
        if regressed or any(v.status in ("not_met", "missing") for v in result.verdicts):
            order = (not regressed, result.score if result.score is not None else -1.0)
            flagged.append(
                (order, result.school.school_id, attention_entry(result, labels, regressed, t))
            )
    flagged.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in flagged]


def grid_groups(results: Sequence[SchoolResult], t: Translator) -> list[dict[str, Any]]:
    """Schools × criteria, grouped by level in the plan's order (unknown level last)."""
    order = [*LEVEL_WORDS, None]
    groups = []
    for level in order:
        members = [r for r in results if r.school.level == level]
        if not members:
            continue
        groups.append(
            {
                "title": f"{level_word(level, t)} ({len(members)})",
                "schools": [
                    {
                        "id": r.school.school_id,
                        "name": shorten(r.school.name, 70),
                        "cells": [
                            {"status": v.status, "symbol": STATUS_SYMBOLS[v.status]}
                            for v in r.verdicts
                        ],
                        "score": t.percent(r.score, digits=0) if r.score is not None else "–",
                    }
                    for r in sorted(members, key=lambda r: r.school.school_id)
                ],
            }
        )
    return groups


def legend_text(rulebook: Rulebook, t: Translator) -> str:
    """The grid's legend: criterion numbers and status symbols."""
    numbers = criterion_numbers(rulebook)
    criteria = "; ".join(f"{numbers[c.id]} = {text_in(c.label, t.lang)}" for c in rulebook.criteria)
    symbols = ", ".join(f"{STATUS_SYMBOLS[s]} {status_word(s, t)}" for s in STATUS_WORDS)
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


def membership_lines(
    results: Sequence[SchoolResult], previous: PreviousRun | None, t: Translator
) -> list[str]:
    """Schools new since the previous semester, and schools no longer in the table (a new,
    merged or closed school is a fact to report, not an error)."""
    if previous is None:
        return []
    now = {r.school.school_id for r in results}
    before = set(previous.statuses)
    lines = []
    if new := sorted(now - before):
        lines.append(
            t.gettext("New since %(semester)s: %(ids)s.")
            % {"semester": previous.semester, "ids": ", ".join(new)}
        )
    if gone := sorted(before - now):
        lines.append(
            t.gettext("In %(semester)s but not in this table: %(ids)s.")
            % {"semester": previous.semester, "ids": ", ".join(gone)}
        )
    return lines


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
) -> dict[str, Any]:
    """Everything the district summary prints, as plain values (the chart is added by render)."""
    before = previous_rates(district.trend, previous)
    attention = attention_list(results, rulebook, previous, t)
    complete = sum(r.applicable > 0 and r.met == r.applicable for r in results)
    semesters = sorted({p.semester for p in district.trend})
    return {
        "lang": t.lang,
        "office": dict(facts.office),
        "place_date": place_date(facts, t),
        "plan": facts.office.get("plan", ""),
        "semester_text": semester_text(facts.semester, t),
        "footer": footer_line(facts, t),
        "kpis": [
            {"label": t.gettext("Schools assessed"), "value": len(results)},
            {"label": t.gettext("Schools meeting every criterion"), "value": complete},
            {
                "label": t.gettext("Rows read / rejected"),
                "value": f"{district.rows_read} / {district.rejected}",
            },
            {"label": t.gettext("Data problems"), "value": district.problems},
        ],
        "criteria": [
            summary_criterion_row(c, results, district, before, previous, t)
            for c in rulebook.criteria
        ],
        "trend_note": t.gettext(
            "Share of applicable schools meeting each criterion, %(count)s recorded semesters; "
            "dashed line: the plan's target."
        )
        % {"count": len(semesters)},
        "attention": attention[:ATTENTION_LIMIT],
        "attention_more": more_schools_text(len(attention) - ATTENTION_LIMIT, t),
        "data_lines": data_lines(district, results, t) + membership_lines(results, previous, t),
        "legend": legend_text(rulebook, t),
        "grid": {
            "columns": list(criterion_numbers(rulebook).values()),
            "groups": grid_groups(results, t) if len(results) <= GRID_LIMIT else [],
            "note": ""
            if len(results) <= GRID_LIMIT
            else t.gettext("%(count)s schools: the school-by-school grid is in results.csv.")
            % {"count": len(results)},
        },
        "checker_version": facts.checker_version,
    }
