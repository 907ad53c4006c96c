"""EVALUATE stage: validated schools + rulebook -> one verdict per school and criterion.

The rulebook (read by checker.rulebook) gives each criterion a list of conditions
`field op value`, all of which must hold; the ops form a closed table of documented functions
(see OPS). A criterion of a points group earns its points when met; a self-scored one earns
the points the school entered, when it gave its evidence.

Verdicts are three-valued: a condition is True, False, or None when the value it reads is
blank or invalid. A criterion is `not_met` if any condition is False, else `missing` if any is
None, else `met`; `not_applicable` when the school's level is not among the criterion's levels,
and `missing` for every criterion when the level itself is unknown.
"""

from __future__ import annotations

import array
import inspect
import ipaddress
import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from urllib.parse import urlsplit

from checker import model

# ---------------------------------------------------------------------------------------------
# Ops: the closed table of tests a condition may use


@dataclass(frozen=True)
class Op:
    """A named test of one typed value, with the column kinds it accepts."""

    name: str
    kinds: frozenset[model.Kind]
    needs_value: bool  # True when the condition must give `value` (e.g. the threshold of gte)
    test: Callable[[model.Value, float | None], bool]
    doc: str

    def __call__(self, value: model.Value, threshold: float | None = None) -> bool:
        """Apply the test to a known (not None) value."""
        return self.test(value, threshold)


def operation(
    name: str, kinds: set[model.Kind], needs_value: bool = False
) -> Callable[[Callable[[model.Value, float | None], bool]], Op]:
    """Decorator turning a test function into an Op (its docstring documents the op)."""

    def register(test: Callable[[model.Value, float | None], bool]) -> Op:
        return Op(name, frozenset(kinds), needs_value, test, inspect.getdoc(test) or "")

    return register


@operation("is_yes", {"yes_no"})
def is_yes(value: model.Value, _threshold: float | None) -> bool:
    """The yes/no cell says yes (Có, x, yes, true, 1)."""
    return value is True


def _number_and_threshold(
    name: str, value: model.Value, threshold: float | None
) -> tuple[Decimal, Decimal]:
    """Both sides of a comparison as exact numbers; TypeError for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or threshold is None:
        raise TypeError(f"{name} needs a number and a threshold, got {value!r} and {threshold!r}")
    return Decimal(str(value)), Decimal(str(threshold))


@operation("gte", {"count", "share", "number"}, needs_value=True)
def gte(value: model.Value, threshold: float | None) -> bool:
    """The number is at least `value` (e.g. ioffice_share gte 90: 90 meets, 89.9 does not)."""
    number, limit = _number_and_threshold("gte", value, threshold)
    return number >= limit


@operation("lte", {"count", "share", "number"}, needs_value=True)
def lte(value: model.Value, threshold: float | None) -> bool:
    """The number is at most `value` (e.g. students_per_computer lte 20)."""
    number, limit = _number_and_threshold("lte", value, threshold)
    return number <= limit


@operation("is_filled", {"text", "url", "date", "count", "share", "number", "yes_no"})
def is_filled(value: model.Value, _threshold: float | None) -> bool:
    """The cell holds a valid value (e.g. an evidence reference: a document number or a link)."""
    return value is not None and value != ""


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TOP_LABEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


@operation("is_web_address", {"url"})
def is_web_address(value: model.Value, _threshold: float | None) -> bool:
    """An http(s) address of a named web site.

    Accepted: `http://` or `https://` with a dotted host name whose last part is at least two
    letters (`https://thcs-hungnhuong.edu.vn`), and the same without a scheme, https assumed
    (`www.x.edu.vn`, `x.edu.vn/trang-chu`). Not accepted: text with spaces ("chưa có"), words
    without a dot ("không"), other schemes (`javascript:`, `file:`, `mailto:`), bare IP
    addresses, single-word hosts such as `localhost`, and addresses with a user part
    (`ten@gmail.com`).
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text or any(ch.isspace() for ch in text):
        return False
    if "://" not in text:
        if _SCHEME.match(text) and not _has_port(text):
            return False  # javascript:..., mailto:..., data:...
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc:
        return False  # user@host is a mail address or a disguise ("www.truong.vn@evil.com")
    return is_host_name(parts.hostname or "")


def _has_port(text: str) -> bool:
    """True for 'host.vn:8080/...': the part after the first ':' starts with digits."""
    return re.match(r"[^:/]+:[0-9]+(/|$)", text) is not None


def is_host_name(host: str) -> bool:
    """A dotted DNS name whose last label looks like a top-level domain ('x.edu.vn')."""
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()  # 'trường.vn' -> 'xn--...'
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return (
        len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and _TOP_LABEL.fullmatch(labels[-1]) is not None
    )


OPS: Mapping[str, Op] = MappingProxyType(
    {op.name: op for op in (is_yes, gte, lte, is_web_address, is_filled)}
)


# ---------------------------------------------------------------------------------------------
# Verdicts


def condition_holds(condition: model.Condition, values: Mapping[str, model.Value]) -> bool | None:
    """True/False for a known value, None when the value is blank or invalid."""
    value = values.get(condition.field)
    if value is None:
        return None
    return OPS[condition.op](value, condition.value)


def combine(outcomes: Sequence[bool | None]) -> model.Status:
    """Three-valued AND: not_met if any part fails, else missing if any is unknown, else met."""
    if any(outcome is False for outcome in outcomes):
        return "not_met"
    if any(outcome is None for outcome in outcomes):
        return "missing"
    return "met"


def applies_to(criterion: model.Criterion, school: model.School) -> bool:
    """True when the criterion covers any of the school's levels (a combined school gets every
    criterion of each of its levels)."""
    return any(level in criterion.levels for level in school.levels)


def missing_reason(school: model.School, fields: Sequence[str]) -> model.MissingReason:
    """Why unscored: 'invalid' when any needed cell holds something unusable, else 'blank'."""
    typed = [school.raw.get(f, "").strip() for f in fields if school.values.get(f) is None]
    return "invalid" if any(typed) else "blank"


def judge(school: model.School, criterion: model.Criterion) -> model.Verdict:
    """One school's verdict on one criterion, with the values the rule reads (and, for a
    criterion of a points group, the points earned)."""
    if criterion.self_scored:
        return judge_self_scored(school, criterion)
    values = {c.field: school.values.get(c.field) for c in criterion.conditions}
    if school.level is None:
        # Unknown level: nothing can be judged; the level cell itself is what needs fixing.
        reason = missing_reason(school, ["level"])
        return model.Verdict(criterion.id, "missing", values, reason, _no_points(criterion))
    if not applies_to(criterion, school):
        return model.Verdict(criterion.id, "not_applicable", values, None, _no_points(criterion))
    status = combine([condition_holds(c, school.values) for c in criterion.conditions])
    points = _earned(criterion, criterion.points if status == "met" else Decimal(0))
    if status != "missing":
        return model.Verdict(criterion.id, status, values, None, points)
    reason = missing_reason(school, [c.field for c in criterion.conditions])
    return model.Verdict(criterion.id, status, values, reason, points)


def judge_self_scored(school: model.School, criterion: model.Criterion) -> model.Verdict:
    """A self-scored criterion: the points the school entered count when its evidence is
    given (met at full points, not met below); points above the maximum are invalid (the
    intake checks reject them) and points without evidence count as not entered."""
    points_key, evidence_key = model.self_scored_keys(criterion.id)
    entered, evidence = school.values.get(points_key), school.values.get(evidence_key)
    values = {points_key: entered, evidence_key: evidence}
    if school.level is None:
        return model.Verdict(
            criterion.id, "missing", values, missing_reason(school, ["level"]), Decimal(0)
        )
    if not applies_to(criterion, school):
        return model.Verdict(criterion.id, "not_applicable", values, None, Decimal(0))
    if not isinstance(entered, Decimal):
        return model.Verdict(
            criterion.id, "missing", values, missing_reason(school, [points_key]), Decimal(0)
        )
    if entered > 0 and not evidence:
        return model.Verdict(criterion.id, "missing", values, "blank", Decimal(0))
    status: model.Status = "met" if entered >= criterion.points else "not_met"
    return model.Verdict(criterion.id, status, values, None, entered)


def _earned(criterion: model.Criterion, points: Decimal) -> Decimal | None:
    """Points for a criterion of a points group; None for a plan criterion (met / applicable)."""
    return points if criterion.group else None


def _no_points(criterion: model.Criterion) -> Decimal | None:
    """Zero points, for a criterion of a points group that cannot earn any."""
    return _earned(criterion, Decimal(0))


def evaluate(
    schools: Sequence[model.School], rulebook: model.Rulebook
) -> tuple[model.SchoolResult, ...]:
    """Every school with one verdict per criterion, in rulebook order, and its standing in
    each points group of the rulebook."""
    results = []
    for school in schools:
        verdicts = tuple(judge(school, criterion) for criterion in rulebook.criteria)
        groups = tuple(group_result(g, rulebook.criteria, verdicts) for g in rulebook.groups)
        results.append(model.SchoolResult(school, verdicts, groups))
    return tuple(results)


def group_result(
    group: model.Group,
    criteria: Sequence[model.Criterion],
    verdicts: Sequence[model.Verdict],
) -> model.GroupResult:
    """A school's points in one group, its level (Mức) and whether its mandatory conditions
    are met; the level is None when no criterion of the group applies to the school."""
    mine = [
        (criterion, verdict)
        for criterion, verdict in zip(criteria, verdicts, strict=True)
        if criterion.group == group.id and criterion.section == group.section
    ]
    applicable = [(c, v) for c, v in mine if model.applies(v.status)]
    points = sum((v.points or Decimal(0) for _, v in applicable), Decimal(0))
    mandatory_met = all(v.status == "met" for c, v in applicable if c.mandatory)
    if not applicable:
        return model.GroupResult(group.id, points, group.max_points, None, mandatory_met)
    level = level_of(points, group)
    if group.mandatory_caps_level and not mandatory_met:
        level = 1
    return model.GroupResult(group.id, points, group.max_points, level, mandatory_met)


def level_of(points: Decimal, group: model.Group) -> int:
    """Mức 1 below the first band, Mức 2 from it up to the second, Mức 3 above the second
    (QĐ 4725: below 50, 50 to 75, above 75 of 100 points)."""
    low, high = group.bands
    if points < low:
        return 1
    return 2 if points <= high else 3


def district_rates(
    results: Iterable[model.SchoolResult], rulebook: model.Rulebook
) -> dict[str, tuple[int, int]]:
    """Criterion id -> (schools meeting it, schools it applies to: met + not_met + missing)."""
    tally = DistrictTally(rulebook)
    for result in results:  # the rates only: no field's values kept
        tally.add_rates(result)
    return tally.rates


def field_medians(
    results: Iterable[model.SchoolResult], rulebook: model.Rulebook
) -> dict[str, float]:
    """Numeric field -> the median of its valid values over the schools a criterion comparing
    it applies to (printed beside the count of schools meeting the criterion)."""
    tally = DistrictTally(rulebook)
    for result in results:  # the values only: no verdict counted
        tally.add_values(result.school)
    return tally.medians()


class DistrictTally:
    """The district's figures (each criterion's rate, each compared field's median) counted
    school by school as the run evaluates them, so that no stage needs every school's result
    at once: a province's schools are counted, not kept."""

    def __init__(self, rulebook: model.Rulebook) -> None:
        self.rates = {criterion.id: (0, 0) for criterion in rulebook.criteria}
        # Per criterion, the numeric fields it compares with a threshold (gte, lte).
        self._compared = [
            (criterion, [c.field for c in criterion.conditions if c.op in ("gte", "lte")])
            for criterion in rulebook.criteria
        ]
        # Per field, each school's value once (8 bytes a value, not a float object).
        self._values: dict[str, array.array[float]] = {}

    @classmethod
    def of(cls, results: Iterable[model.SchoolResult], rulebook: model.Rulebook) -> DistrictTally:
        """The tally of these results (rates and values), counted in one pass."""
        tally = cls(rulebook)
        for result in results:
            tally.add(result)
        return tally

    def add(self, result: model.SchoolResult) -> None:
        """Count one school's result."""
        self.add_rates(result)
        self.add_values(result.school)

    def add_rates(self, result: model.SchoolResult) -> None:
        """Count one school's verdicts in the criteria's rates."""
        for verdict in result.verdicts:
            met, applicable = self.rates[verdict.criterion_id]
            if model.applies(verdict.status):
                self.rates[verdict.criterion_id] = (
                    met + (verdict.status == "met"),
                    applicable + 1,
                )

    def add_values(self, school: model.School) -> None:
        """Keep the school's valid value of each field a criterion that applies to it compares
        (once per field, however many criteria compare it)."""
        fields = {
            name
            for criterion, names in self._compared
            if names and applies_to(criterion, school)
            for name in names
        }
        for name in sorted(fields):  # a stable order: the medians do not depend on it
            value = school.values.get(name)
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                self._values.setdefault(name, array.array("d")).append(float(value))

    def medians(self) -> dict[str, float]:
        """Numeric field -> the median of the values kept, fields in the rulebook's order."""
        order = dict.fromkeys(name for _, names in self._compared for name in names)
        return {
            name: statistics.median(self._values[name]) for name in order if name in self._values
        }
