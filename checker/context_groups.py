"""What the scorecard and the summary print for a rulebook with points groups (QĐ 4725).

Plain values only, like checker.context: per group, the school's points of the group's maximum,
its level (Mức), its mandatory conditions, and each item's points earned of those available with
its code; for the unit, the schools per Mức per school level, the median points and the items
most often not met. A rulebook none of whose criteria apply to the school (the national index
for a preschool) is said once, not item by item.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from checker.i18n import N_, STATUS_SYMBOLS, Translator, text_in
from checker.model import (
    Criterion,
    Group,
    GroupResult,
    Rulebook,
    SchoolResult,
    Section,
    Verdict,
    levels_of,
    self_scored_keys,
)

TOP_ITEMS = 5  # items most often not met, listed in the summary per group


def points_text(points: Decimal, t: Translator) -> str:
    """'6', '7,5': points with the digits they have."""
    whole = points == points.to_integral_value()
    return t.number(points, digits=0 if whole else 1)


def level_text(level: int | None, t: Translator) -> str:
    """'Mức 2'; 'Không áp dụng' when the group does not apply."""
    if level is None:
        return t.gettext(N_("Not applicable"))
    return t.gettext(N_("Level {level}")).format(level=level)


def sections_with_groups(rulebook: Rulebook) -> list[Section]:
    """The run's rulebooks that score with points groups, in --rules order."""
    return [s for s in rulebook.sections if any(g.section == s.id for g in rulebook.groups)]


def card_sections(result: SchoolResult, rulebook: Rulebook, t: Translator) -> list[dict[str, Any]]:
    """One entry per rulebook with points groups: its title and either its groups or, when none
    of its criteria applies to the school, one sentence saying so."""
    verdicts = {v.criterion_id: v for v in result.verdicts}
    standing = {g.group_id: g for g in result.groups}
    sections: list[dict[str, Any]] = []
    for section in sections_with_groups(rulebook):
        criteria = [c for c in rulebook.criteria if c.section == section.id]
        title = text_in(section.title, t.lang)
        if all(verdicts[c.id].status == "not_applicable" for c in criteria):
            sentence = t.gettext(N_("{title} does not apply to the school's level.")).format(
                title=title
            )
            sections.append(
                {"title": title, "not_applicable": sentence, "groups": [], "verify_note": ""}
            )
            continue
        groups = [g for g in rulebook.groups if g.section == section.id]
        sections.append(
            {
                "title": title,
                "not_applicable": "",
                "groups": [
                    card_group(g, standing[g.id], criteria, verdicts, result, t) for g in groups
                ],
                "verify_note": verify_note(criteria, t),
            }
        )
    return sections


def card_group(
    group: Group,
    standing: GroupResult,
    criteria: Sequence[Criterion],
    verdicts: Mapping[str, Verdict],
    result: SchoolResult,
    t: Translator,
) -> dict[str, Any]:
    """One group on a school's card: its headline and its items."""
    mine = [c for c in criteria if c.group == group.id]
    missing = [c.code or c.id for c in mine if c.mandatory and verdicts[c.id].status != "met"]
    return {
        "label": text_in(group.label, t.lang),
        "headline": t.gettext(N_("{points}/{max_points} points · {level}")).format(
            points=points_text(standing.points, t),
            max_points=points_text(standing.max_points, t),
            level=level_text(standing.level, t),
        ),
        "level": standing.level,
        "mandatory": mandatory_sentence(missing, group, t),
        "entries": [card_item(c, verdicts[c.id], result, t) for c in mine],
    }


def mandatory_sentence(missing: Sequence[str], group: Group, t: Translator) -> str:
    """Whether the group's mandatory conditions are met, and what follows when not."""
    if not missing:
        return t.gettext(N_("Mandatory conditions: met."))
    codes = ", ".join(missing)
    if group.mandatory_caps_level:
        return t.gettext(
            N_("Mandatory conditions not met: {codes}; the group stays at Level 1 until they are.")
        ).format(codes=codes)
    return t.gettext(N_("Mandatory conditions not met: {codes}.")).format(codes=codes)


def card_item(
    criterion: Criterion, verdict: Verdict, result: SchoolResult, t: Translator
) -> dict[str, Any]:
    """One item of a group on a card: code, name, points earned of available (or 'bắt buộc'),
    the evidence a self-scored item gave, and what to do when not met."""
    levels = levels_of(result.school.level)
    if criterion.mandatory:
        worth = t.gettext(N_("mandatory"))
    elif verdict.status == "not_applicable":
        worth = "–"
    else:
        earned = verdict.points if verdict.points is not None else Decimal(0)
        worth = f"{points_text(earned, t)}/{points_text(criterion.points, t)}"
    evidence = ""
    if criterion.self_scored:
        _, evidence_key = self_scored_keys(criterion.id)
        given = verdict.values.get(evidence_key)
        evidence = str(given) if given else ""
    todo = ""
    if verdict.status in ("not_met", "missing"):
        todo = text_in(criterion.text("remediation", levels), t.lang)
    return {
        "code": criterion.code,
        "label": text_in(criterion.text("label", levels), t.lang),
        "status": verdict.status,
        "symbol": STATUS_SYMBOLS[verdict.status],
        "points": worth,
        "evidence": evidence,
        "todo": todo,
    }


def verify_note(criteria: Sequence[Criterion], t: Translator) -> str:
    """A line saying which items the rulebook marks as not yet checked against the regulation."""
    unchecked = [c.code or c.id for c in criteria if c.verify]
    if not unchecked:
        return ""
    if len(unchecked) == len(criteria):
        return t.gettext(
            N_(
                "The items and points of this index are a reconstruction still to be checked "
                "against the decision's annex."
            )
        )
    return t.gettext(
        N_("Items still to be checked against the regulation's text: {codes}.")
    ).format(codes=", ".join(unchecked))


# ---------------------------------------------------------------------------------------------
# The unit's summary


LEVEL_GROUPS = ("mam_non", "tieu_hoc", "thcs", "thpt")


def summary_sections(
    results: Sequence[SchoolResult], rulebook: Rulebook, t: Translator, level_name: Any
) -> list[dict[str, Any]]:
    """Per rulebook with points groups: per group, schools per Mức per school level, the median
    points, and the items most often not met. `level_name` names a school's level key
    ('tieu_hoc+thcs' -> 'Liên cấp')."""
    sections = []
    for section in sections_with_groups(rulebook):
        criteria = [c for c in rulebook.criteria if c.section == section.id]
        groups = [g for g in rulebook.groups if g.section == section.id]
        sections.append(
            {
                "title": text_in(section.title, t.lang),
                "groups": [summary_group(g, criteria, results, t, level_name) for g in groups],
                "verify_note": verify_note(criteria, t),
            }
        )
    return sections


def summary_group(
    group: Group,
    criteria: Sequence[Criterion],
    results: Sequence[SchoolResult],
    t: Translator,
    level_name: Any,
) -> dict[str, Any]:
    """One group over the unit's schools."""
    standings = [
        (r, g) for r in results for g in r.groups if g.group_id == group.id and g.level is not None
    ]
    by_level: dict[str, list[int]] = {}
    for result, standing in standings:
        row = by_level.setdefault(level_name(result.school.level), [0, 0, 0])
        row[(standing.level or 1) - 1] += 1
    totals = [sum(row[i] for row in by_level.values()) for i in range(3)]
    points = [standing.points for _, standing in standings]
    median = statistics.median(points) if points else None
    return {
        "label": text_in(group.label, t.lang),
        "rows": [{"level": name, "counts": counts} for name, counts in by_level.items()],
        "totals": totals,
        "schools": len(standings),
        "median": "" if median is None else points_text(Decimal(median), t),
        "max_points": points_text(group.max_points, t),
        "weakest": weakest_items(group, criteria, results, t),
    }


def weakest_items(
    group: Group, criteria: Sequence[Criterion], results: Sequence[SchoolResult], t: Translator
) -> list[dict[str, str]]:
    """The group's items most often short of their full points (or unscored), with how many
    schools."""
    counted = []
    for position, criterion in enumerate(criteria):
        if criterion.group != group.id:
            continue
        verdicts = [next(v for v in r.verdicts if v.criterion_id == criterion.id) for r in results]
        applying = [v for v in verdicts if v.status != "not_applicable"]
        short = sum(v.status in ("not_met", "missing") for v in applying)
        if short:
            counted.append((short, position, criterion, len(applying)))
    counted.sort(key=lambda item: (-item[0], item[1]))
    return [
        {
            "code": criterion.code,
            "label": text_in(criterion.label, t.lang),
            "schools": t.gettext(N_("{short} of {schools} schools")).format(
                short=short, schools=schools
            ),
        }
        for short, _, criterion, schools in counted[:TOP_ITEMS]
    ]
