"""EVALUATE stage: validated schools + rulebook -> one verdict per school and criterion.

The rulebook is a TOML file the office can edit (`expectations/rulebook.toml`). It is checked
against a strict schema when loaded, so that a typo fails loudly instead of silently changing
verdicts. A criterion is a list of conditions `field op value`, all of which must hold; the
ops form a closed table of documented functions (see OPS).

Verdicts are three-valued: a condition is True, False, or None when the value it reads is
blank or invalid. A criterion is `not_met` if any condition is False, else `missing` if any is
None, else `met`; `not_applicable` when the school's level is not among the criterion's levels,
and `missing` for every criterion when the level itself is unknown.
"""

from __future__ import annotations

import hashlib
import inspect
import ipaddress
import re
import statistics
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from checker import model
from checker.files import SETTINGS_MAX_BYTES, read_regular_file
from checker.i18n import LANGUAGES


class RulebookError(model.InputError):
    """The rulebook file cannot be used: the message names the file and the criterion."""


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


@operation("gte", {"count", "share"}, needs_value=True)
def gte(value: model.Value, threshold: float | None) -> bool:
    """The number is at least `value` (e.g. ioffice_share gte 90: 90 meets, 89.9 does not)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal) or threshold is None:
        raise TypeError(f"gte needs a number and a threshold, got {value!r} and {threshold!r}")
    return value >= threshold


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


OPS: Mapping[str, Op] = MappingProxyType({op.name: op for op in (is_yes, gte, is_web_address)})


# ---------------------------------------------------------------------------------------------
# Loading and checking the rulebook

_TOP_KEYS = frozenset({"version", "criteria"})
_CRITERION_KEYS = frozenset(
    {"id", "label", "levels", "target", "legal_basis", "remediation", "conditions"}
)
_CONDITION_KEYS = frozenset({"field", "op", "value"})
_TEXT_KEYS = ("label", "legal_basis", "remediation")
_CRITERION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class _Where:
    """Where in the rulebook a check is looking, for error messages."""

    path: Path
    criterion: str = ""

    def fail(self, detail: str) -> RulebookError:
        """A RulebookError naming the file (and criterion) with the detail."""
        place = f"criterion '{self.criterion}'" if self.criterion else "top level"
        return RulebookError(f"rulebook {self.path}: {place}: {detail}")


def load_rulebook(path: Path) -> model.Rulebook:
    """Read and check a TOML rulebook; RulebookError naming the file and criterion if wrong."""
    where = _Where(path)
    raw = read_regular_file(path, SETTINGS_MAX_BYTES)
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise where.fail("is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise where.fail(f"is not valid TOML ({error})") from None
    _check_keys(where, document, _TOP_KEYS, _TOP_KEYS, "top-level")
    version = document["version"]
    if not isinstance(version, str) or not version.strip():
        raise where.fail("'version' must be a non-empty text")
    criteria = _parse_criteria(where, document["criteria"])
    return model.Rulebook(version.strip(), hashlib.sha256(raw).hexdigest(), criteria)


def _parse_criteria(where: _Where, tables: Any) -> tuple[model.Criterion, ...]:
    """Every [[criteria]] table, checked; ids must be unique."""
    if not isinstance(tables, list) or not tables:
        raise where.fail("'criteria' must be a non-empty list of [[criteria]] tables")
    criteria: list[model.Criterion] = []
    for number, table in enumerate(tables, start=1):
        criterion = parse_criterion(where, number, table)
        if any(c.id == criterion.id for c in criteria):
            raise _Where(where.path, criterion.id).fail("the id is used by another criterion too")
        criteria.append(criterion)
    return tuple(criteria)


def parse_criterion(where: _Where, number: int, table: Any) -> model.Criterion:
    """One [[criteria]] table as a Criterion, or RulebookError."""
    if not isinstance(table, dict):
        raise where.fail(f"criterion number {number} is not a table")
    raw_id = table.get("id")
    if not isinstance(raw_id, str) or not _CRITERION_ID.fullmatch(raw_id):
        raise _Where(where.path, f"number {number}").fail(
            "'id' must be lower-case letters, digits and '_' (at most 40), starting with a letter"
        )
    here = _Where(where.path, raw_id)
    _check_keys(here, table, _CRITERION_KEYS, _CRITERION_KEYS, "criterion")
    texts = {key: _texts(here, key, table[key]) for key in _TEXT_KEYS}
    return model.Criterion(
        id=raw_id,
        label=texts["label"],
        levels=_levels(here, table["levels"]),
        conditions=_conditions(here, table["conditions"]),
        target=_target(here, table["target"]),
        legal_basis=texts["legal_basis"],
        remediation=texts["remediation"],
    )


def _check_keys(
    where: _Where,
    table: Mapping[str, Any],
    allowed: frozenset[str],
    required: frozenset[str],
    what: str,
) -> None:
    """Fail on keys that are unknown (typos) or missing."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise where.fail(f"unknown {what} key(s) {listed}; allowed: {', '.join(sorted(allowed))}")
    missing = sorted(required - set(table))
    if missing:
        raise where.fail(f"missing {what} key(s) {', '.join(map(repr, missing))}")


def _texts(where: _Where, key: str, texts: Any) -> dict[str, str]:
    """A {vi = "...", en = "..."} table: 'vi' required, only known languages, non-empty."""
    if not isinstance(texts, dict):
        raise where.fail(f'\'{key}\' must be a table like {{ vi = "...", en = "..." }}')
    unknown = sorted(set(texts) - set(LANGUAGES))
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise where.fail(
            f"'{key}' has unknown language(s) {listed}; allowed: {', '.join(LANGUAGES)}"
        )
    if "vi" not in texts:
        raise where.fail(f"'{key}' has no 'vi' (Vietnamese) text")
    for lang, text in texts.items():
        if not isinstance(text, str) or not text.strip():
            raise where.fail(f"'{key}.{lang}' must be a non-empty text")
    return {lang: " ".join(text.split()) for lang, text in texts.items()}


def _levels(where: _Where, levels: Any) -> tuple[str, ...]:
    """A non-empty list of known level keys, without repeats."""
    if not isinstance(levels, list) or not levels:
        raise where.fail(f"'levels' must be a non-empty list of {', '.join(model.LEVELS)}")
    for level in levels:
        if level not in model.LEVELS:
            raise where.fail(f"unknown level {level!r}; allowed: {', '.join(model.LEVELS)}")
    if len(set(levels)) != len(levels):
        raise where.fail("'levels' lists a level twice")
    return tuple(levels)


def _target(where: _Where, target: Any) -> float:
    """The plan's target, a percentage from 0 to 100."""
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 <= target <= 100:
        raise where.fail(f"'target' must be a number from 0 to 100, not {target!r}")
    return float(target)


def _conditions(where: _Where, conditions: Any) -> tuple[model.Condition, ...]:
    """A non-empty list of {field, op, value} tables, each checked by _condition."""
    if not isinstance(conditions, list) or not conditions:
        raise where.fail(
            '\'conditions\' must be a non-empty list like [{ field = "...", op = "..." }]'
        )
    return tuple(_condition(where, condition) for condition in conditions)


def _condition(where: _Where, table: Any) -> model.Condition:
    """One condition: a known field, a known op fit for the field's kind, a value if needed."""
    if not isinstance(table, dict):
        raise where.fail(f"a condition must be a table, not {table!r}")
    _check_keys(where, table, _CONDITION_KEYS, frozenset({"field", "op"}), "condition")
    field, op_name = table["field"], table["op"]
    column = model.COLUMN_BY_KEY.get(field) if isinstance(field, str) else None
    if column is None:
        raise where.fail(
            f"unknown field {field!r}; fields are the column keys: {', '.join(model.COLUMN_BY_KEY)}"
        )
    op = OPS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        raise where.fail(f"unknown op {op_name!r}; ops: {', '.join(OPS)}")
    if column.kind not in op.kinds:
        raise where.fail(f"op '{op.name}' cannot test field '{field}' (a {column.kind} column)")
    value = _condition_value(where, op, table.get("value"), column.kind)
    return model.Condition(field, op.name, value)


# The numbers a condition may compare with, by the kind of column it reads: a share is a
# percentage; no count (students, computers) of a school comes near a million. A number
# outside (nan, inf, 1e28) is a typo, and would otherwise fail mid-run or never be met.
VALUE_RANGES: Mapping[model.Kind, tuple[float, float]] = MappingProxyType(
    {"share": (0, 100), "count": (0, 1_000_000)}
)


def _condition_value(where: _Where, op: Op, value: Any, kind: model.Kind) -> float | None:
    """The condition's number: required by ops that compare, refused by the others; a finite
    number within the range of the column's kind (VALUE_RANGES)."""
    if not op.needs_value:
        if value is not None:
            raise where.fail(f"op '{op.name}' takes no 'value'")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.fail(f"op '{op.name}' needs a number as 'value', not {value!r}")
    low, high = VALUE_RANGES.get(kind, (0, 1_000_000))
    if not low <= value <= high:  # also false for nan
        shown = repr(value) if isinstance(value, float) or abs(value) < 10**12 else "a huge number"
        raise where.fail(
            f"'value' must be a number from {low:,} to {high:,} for a {kind} column, not {shown}"
        )
    return float(value)


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
    """One school's verdict on one criterion, with the values the rule reads."""
    values = {c.field: school.values.get(c.field) for c in criterion.conditions}
    if school.level is None:
        # Unknown level: nothing can be judged; the level cell itself is what needs fixing.
        return model.Verdict(criterion.id, "missing", values, missing_reason(school, ["level"]))
    if not applies_to(criterion, school):
        return model.Verdict(criterion.id, "not_applicable", values)
    status = combine([condition_holds(c, school.values) for c in criterion.conditions])
    if status != "missing":
        return model.Verdict(criterion.id, status, values)
    reason = missing_reason(school, [c.field for c in criterion.conditions])
    return model.Verdict(criterion.id, status, values, reason)


def evaluate(
    schools: Sequence[model.School], rulebook: model.Rulebook
) -> tuple[model.SchoolResult, ...]:
    """Every school with one verdict per criterion, in rulebook order."""
    return tuple(
        model.SchoolResult(
            school, tuple(judge(school, criterion) for criterion in rulebook.criteria)
        )
        for school in schools
    )


def district_rates(
    results: Sequence[model.SchoolResult], rulebook: model.Rulebook
) -> dict[str, tuple[int, int]]:
    """Criterion id -> (schools meeting it, schools it applies to: met + not_met + missing)."""
    rates = {criterion.id: (0, 0) for criterion in rulebook.criteria}
    for result in results:
        for verdict in result.verdicts:
            met, applicable = rates[verdict.criterion_id]
            if verdict.status != "not_applicable":
                rates[verdict.criterion_id] = (met + (verdict.status == "met"), applicable + 1)
    return rates


def field_medians(
    results: Sequence[model.SchoolResult], rulebook: model.Rulebook
) -> dict[str, float]:
    """Numeric field -> the median of its valid values over the schools a criterion comparing
    it applies to (printed beside the count of schools meeting the criterion)."""
    by_field: dict[str, dict[str, float]] = {}
    for criterion in rulebook.criteria:
        fields = [c.field for c in criterion.conditions if c.op == "gte"]
        for result in results:
            if not fields or not applies_to(criterion, result.school):
                continue
            for name in fields:
                value = result.school.values.get(name)
                if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                    by_field.setdefault(name, {})[result.school.school_id] = float(value)
    return {name: statistics.median(found.values()) for name, found in by_field.items()}
