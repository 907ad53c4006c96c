"""Reading a rulebook: the fields an intake table holds, the criteria, and their scoring.

A rulebook is a TOML file the office can edit (`expectations/rulebook.toml`, the local plan;
`expectations/qd4725.toml`, the national index). It declares:

- `[[fields]]`: the columns it reads (key, headers, accepted aliases, kind, range, who fills
  them, a fix hint). The loader, the generated intake checks, the forms and the scorecards
  follow this one declaration;
- `[[groups]]` (optional): points groups with level bands (QĐ 4725: two groups of 100 points,
  Mức 1/2/3);
- `[[criteria]]`: each a rule on the fields (or points the school scores itself, with evidence).

Everything is checked against a strict schema when loaded, so that a typo fails loudly with the
file and the criterion named instead of silently changing verdicts. A run may read several
rulebooks (`--rules` twice): `load_rulebooks` merges them, each kept as a section.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from checker import model, paths
from checker.evaluate import OPS, Op
from checker.files import SETTINGS_MAX_BYTES, read_regular_file
from checker.i18n import LANGUAGES


class RulebookError(model.InputError):
    """The rulebook file cannot be used: the message names the file and the criterion."""


_TOP_KEYS = frozenset({"version", "criteria", "fields", "groups", "id", "title", "note"})
_CRITERION_KEYS = frozenset(
    {
        "id",
        "label",
        "levels",
        "target",
        "legal_basis",
        "remediation",
        "conditions",
        "code",
        "group",
        "points",
        "mandatory",
        "self_scored",
        "verify",
        "by_level",
        "note",
    }
)
_CRITERION_REQUIRED = frozenset({"id", "label", "levels", "legal_basis", "remediation"})
_CONDITION_KEYS = frozenset({"field", "op", "value"})
_FIELD_KEYS = frozenset(
    {"key", "header", "kind", "required", "levels", "must_fill", "aliases", "min", "max", "hint"}
)
_GROUP_KEYS = frozenset({"id", "label", "max_points", "bands", "mandatory_caps_level", "note"})
_TEXT_KEYS = ("label", "legal_basis", "remediation")
_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.]{0,15}")

# The kinds a rulebook field may have (the school's own columns are the checker's).
FIELD_KINDS: tuple[model.Kind, ...] = ("yes_no", "count", "share", "number", "url", "text", "date")
# The numbers a field of each kind accepts when the rulebook gives no range: a share is a
# percentage; no count (students, computers) of a school comes near a million.
KIND_RANGES: Mapping[model.Kind, tuple[Decimal, Decimal]] = {
    "share": (Decimal(0), Decimal(100)),
    "count": (Decimal(0), Decimal(1_000_000)),
    "number": (Decimal(-1_000_000_000), Decimal(1_000_000_000)),
}
NUMBER_KINDS = frozenset(KIND_RANGES)


@dataclass(frozen=True)
class _Where:
    """Where in the rulebook a check is looking, for error messages."""

    path: Path
    place: str = ""

    def fail(self, detail: str) -> RulebookError:
        """A RulebookError naming the file (and criterion, field or group) with the detail."""
        return RulebookError(f"rulebook {self.path}: {self.place or 'top level'}: {detail}")

    def at(self, what: str, name: str) -> _Where:
        """The same file, one table in: "criterion 'website'"."""
        return _Where(self.path, f"{what} '{name}'")


# ---------------------------------------------------------------------------------------------
# Entry points


def load_rulebooks(paths_: Sequence[Path]) -> model.Rulebook:
    """One rulebook for a run from one file or several (the local plan, then the national
    index): criteria in file order, each tagged with its file's section; fields merged."""
    books = [load_rulebook(path) for path in paths_]
    if len(books) == 1:
        return books[0]
    return merge(books, paths_)


def load_rulebook(path: Path) -> model.Rulebook:
    """Read and check a TOML rulebook; RulebookError naming the file and criterion if wrong."""
    where = _Where(path)
    raw = read_regular_file(path, SETTINGS_MAX_BYTES)
    document = _parse_toml(where, raw)
    _check_keys(where, document, _TOP_KEYS, frozenset({"version", "criteria"}), "top-level")
    version = document["version"]
    if not isinstance(version, str) or not version.strip():
        raise where.fail("'version' must be a non-empty text")
    section_id = _section_id(where, document["id"]) if "id" in document else _stem_id(path)
    sha = hashlib.sha256(raw).hexdigest()
    title = _texts(where, "title", document["title"]) if "title" in document else {"vi": path.stem}
    groups = _parse_groups(where, document.get("groups", []), section_id)
    criteria = _parse_criteria(where, document["criteria"], groups, section_id)
    declared = _declared_fields(where, document)
    fields = _fields(where, declared, criteria)
    criteria = tuple(_check_conditions(where, c, fields) for c in criteria)
    section = model.Section(section_id, title, version.strip(), sha)
    return model.Rulebook(version.strip(), sha, criteria, fields, groups, (section,))


def _parse_toml(where: _Where, raw: bytes) -> dict[str, Any]:
    """The file's TOML document, or RulebookError."""
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise where.fail("is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise where.fail(f"is not valid TOML ({error})") from None


def _section_id(where: _Where, value: Any) -> str:
    """The rulebook's own id: what tells its criteria apart when a run reads several."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise where.fail("'id' must be lower-case letters, digits and '_', starting with a letter")
    return value


def _stem_id(path: Path) -> str:
    """An id made from the file's name, for a rulebook that gives none ('quy-tac' -> 'quy_tac')."""
    text = re.sub(r"[^a-z0-9_]", "_", path.stem.lower())[:40]
    return text if _ID.fullmatch(text) else "rulebook"


def _declared_fields(where: _Where, document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The [[fields]] tables; a rulebook written before fields existed (no [[fields]]) reads
    the columns of the shipped local plan, as it always did."""
    if "fields" in document:
        tables = document["fields"]
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise where.fail("'fields' must be a list of [[fields]] tables")
        return tables
    if where.path.resolve() == paths.DEFAULT_RULEBOOK.resolve():
        raise where.fail("the shipped rulebook must declare its [[fields]]")
    shipped = _parse_toml(_Where(paths.DEFAULT_RULEBOOK), paths.DEFAULT_RULEBOOK.read_bytes())
    fields: list[dict[str, Any]] = shipped["fields"]
    return fields


# ---------------------------------------------------------------------------------------------
# Fields


def _fields(
    where: _Where, tables: list[dict[str, Any]], criteria: Sequence[model.Criterion]
) -> tuple[model.Column, ...]:
    """Every declared field, then the points and evidence columns of self-scored criteria.
    Who fills a field, unless the field says, follows the criteria that read it."""
    identity = {c.key for c in model.IDENTITY_COLUMNS}
    fields: list[model.Column] = []
    for number, table in enumerate(tables, start=1):
        column = _field(where, number, table, criteria)
        if column.key in identity or any(f.key == column.key for f in fields):
            raise where.at("field", column.key).fail("the key is used by another column too")
        fields.append(column)
    for criterion in criteria:
        if criterion.self_scored:
            fields.extend(self_scored_columns(criterion))
    return tuple(fields)


def _field(
    where: _Where, number: int, table: Any, criteria: Sequence[model.Criterion]
) -> model.Column:
    """One [[fields]] table as a Column."""
    key = table.get("key")
    if not isinstance(key, str) or not _ID.fullmatch(key):
        raise _Where(where.path, f"field number {number}").fail(
            "'key' must be lower-case letters, digits and '_' (at most 40), starting with a letter"
        )
    here = where.at("field", key)
    _check_keys(here, table, _FIELD_KEYS, frozenset({"key", "header", "kind"}), "field")
    header = _texts(here, "header", table["header"])
    kind = table["kind"]
    if kind not in FIELD_KINDS:
        raise here.fail(f"unknown kind {kind!r}; kinds: {', '.join(FIELD_KINDS)}")
    readers = [c for c in criteria if any(k.field == key for k in c.conditions)]
    read_by = tuple(level for level in model.LEVELS if any(level in c.levels for c in readers))
    levels = _levels(here, table["levels"]) if "levels" in table else read_by
    minimum, maximum = _range(here, kind, table)
    return model.Column(
        key=key,
        header_vi=header["vi"],
        kind=kind,
        required=_flag(here, table, "required", True),
        header_en=header.get("en", header["vi"]),
        levels=() if set(levels) == set(model.LEVELS) else levels,
        must_fill=_flag(here, table, "must_fill", bool(readers)),
        aliases=_aliases(here, table.get("aliases", [])),
        minimum=minimum,
        maximum=maximum,
        hint=_texts(here, "hint", table["hint"]) if "hint" in table else {},
    )


def _range(
    where: _Where, kind: model.Kind, table: Mapping[str, Any]
) -> tuple[Decimal | None, Decimal | None]:
    """A number field's accepted range: its kind's, narrowed by 'min' and 'max'."""
    if kind not in KIND_RANGES:
        if "min" in table or "max" in table:
            raise where.fail(f"'min' and 'max' are for number fields, not a {kind} field")
        return None, None
    low, high = KIND_RANGES[kind]
    minimum = _number(where, "min", table.get("min", low), low, high)
    maximum = _number(where, "max", table.get("max", high), low, high)
    if minimum > maximum:
        raise where.fail("'min' is greater than 'max'")
    return minimum, maximum


def _number(where: _Where, key: str, value: Any, low: Decimal, high: Decimal) -> Decimal:
    """A finite number from low to high, as an exact Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise where.fail(f"'{key}' must be a number, not {value!r}")
    exact = Decimal(str(value))
    if not exact.is_finite() or not low <= exact <= high:
        raise where.fail(f"'{key}' must be a number from {low:,} to {high:,}, not {value!r}")
    return exact


def _flag(where: _Where, table: Mapping[str, Any], key: str, default: bool) -> bool:
    """A true/false setting."""
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise where.fail(f"'{key}' must be true or false, not {value!r}")
    return value


def _aliases(where: _Where, aliases: Any) -> tuple[str, ...]:
    """Other headers accepted for a field: a list of non-empty texts."""
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise where.fail("'aliases' must be a list of non-empty texts")
    return tuple(alias.strip() for alias in aliases)


def self_scored_columns(criterion: model.Criterion) -> tuple[model.Column, model.Column]:
    """The points (0 to the criterion's points) and evidence columns a self-scored criterion
    adds to the intake table, headed with its code."""
    points_key, evidence_key = model.self_scored_keys(criterion.id)
    code = f"{criterion.code} " if criterion.code else ""
    label_vi, label_en = criterion.label["vi"], criterion.label.get("en", criterion.label["vi"])
    points = model.Column(
        key=points_key,
        header_vi=f"{code}{label_vi}: điểm tự đánh giá (tối đa {_plain(criterion.points, 'vi')})",
        kind="number",
        required=True,
        header_en=f"{code}{label_en}: self-assessed points (at most {criterion.points})",
        levels=criterion.levels,
        must_fill=True,
        minimum=Decimal(0),
        maximum=criterion.points,
    )
    evidence = model.Column(
        key=evidence_key,
        header_vi=f"{code}Minh chứng (số văn bản hoặc đường link)",
        kind="text",
        required=True,
        header_en=f"{code}Evidence (document number or link)",
        levels=criterion.levels,
    )
    return points, evidence


# ---------------------------------------------------------------------------------------------
# Groups


def _parse_groups(where: _Where, tables: Any, section: str) -> tuple[model.Group, ...]:
    """The [[groups]] tables, ids unique."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise where.fail("'groups' must be a list of [[groups]] tables")
    groups: list[model.Group] = []
    for number, table in enumerate(tables, start=1):
        raw_id = table.get("id")
        if not isinstance(raw_id, str) or not _ID.fullmatch(raw_id):
            raise _Where(where.path, f"group number {number}").fail(
                "'id' must be lower-case letters, digits and '_', starting with a letter"
            )
        here = where.at("group", raw_id)
        _check_keys(here, table, _GROUP_KEYS, frozenset({"id", "label", "max_points"}), "group")
        if any(g.id == raw_id for g in groups):
            raise here.fail("the id is used by another group too")
        top = Decimal(1000)
        max_points = _number(here, "max_points", table["max_points"], Decimal(1), top)
        bands = _bands(here, table.get("bands", [50, 75]), max_points)
        caps = _flag(here, table, "mandatory_caps_level", True)
        label = _texts(here, "label", table["label"])
        groups.append(model.Group(raw_id, label, max_points, bands, caps, section))
    return tuple(groups)


def _bands(where: _Where, bands: Any, max_points: Decimal) -> tuple[Decimal, Decimal]:
    """[Mức 2 from, Mức 3 above], on the group's scale, increasing."""
    if not isinstance(bands, list) or len(bands) != 2:
        raise where.fail("'bands' must be two numbers: [Mức 2 from, Mức 3 above], e.g. [50, 75]")
    low = _number(where, "bands", bands[0], Decimal(0), max_points)
    high = _number(where, "bands", bands[1], Decimal(0), max_points)
    if not low < high:
        raise where.fail("'bands' must increase: [Mức 2 from, Mức 3 above]")
    return low, high


# ---------------------------------------------------------------------------------------------
# Criteria


def _parse_criteria(
    where: _Where, tables: Any, groups: Sequence[model.Group], section: str
) -> tuple[model.Criterion, ...]:
    """Every [[criteria]] table, checked; ids must be unique."""
    if not isinstance(tables, list) or not tables:
        raise where.fail("'criteria' must be a non-empty list of [[criteria]] tables")
    criteria: list[model.Criterion] = []
    for number, table in enumerate(tables, start=1):
        criterion = parse_criterion(where, number, table, groups, section)
        if any(c.id == criterion.id for c in criteria):
            raise where.at("criterion", criterion.id).fail(
                "the id is used by another criterion too"
            )
        criteria.append(criterion)
    return tuple(criteria)


def parse_criterion(
    where: _Where,
    number: int,
    table: Any,
    groups: Sequence[model.Group] = (),
    section: str = "",
) -> model.Criterion:
    """One [[criteria]] table as a Criterion (conditions checked later, against the fields)."""
    if not isinstance(table, dict):
        raise where.fail(f"criterion number {number} is not a table")
    raw_id = table.get("id")
    if not isinstance(raw_id, str) or not _ID.fullmatch(raw_id):
        raise _Where(where.path, f"criterion 'number {number}'").fail(
            "'id' must be lower-case letters, digits and '_' (at most 40), starting with a letter"
        )
    here = where.at("criterion", raw_id)
    _check_keys(here, table, _CRITERION_KEYS, _CRITERION_REQUIRED, "criterion")
    self_scored = _flag(here, table, "self_scored", False)
    if self_scored == ("conditions" in table):
        raise here.fail(
            "give either 'conditions' (a rule) or 'self_scored = true' (points the school enters)"
        )
    group = _group_of(here, table, groups)
    points = _points(here, table, group)
    if self_scored and not points:
        raise here.fail("a self-scored criterion needs its maximum 'points'")
    texts = {key: _texts(here, key, table[key]) for key in _TEXT_KEYS}
    return model.Criterion(
        id=raw_id,
        label=texts["label"],
        levels=_levels(here, table["levels"]),
        conditions=_raw_conditions(here, table.get("conditions", [])),
        target=_target(here, table.get("target", 100)),
        legal_basis=texts["legal_basis"],
        remediation=texts["remediation"],
        code=_code(here, table.get("code", "")),
        group=group.id if group else "",
        points=points,
        mandatory=_flag(here, table, "mandatory", False),
        self_scored=self_scored,
        verify=_flag(here, table, "verify", False),
        by_level=_by_level(here, table.get("by_level", {})),
        section=section,
    )


def _group_of(
    where: _Where, table: Mapping[str, Any], groups: Sequence[model.Group]
) -> model.Group | None:
    """The criterion's group: required when the rulebook has groups, refused when not."""
    name = table.get("group")
    if not groups:
        if name is not None or "points" in table or "mandatory" in table:
            raise where.fail("'group', 'points' and 'mandatory' need [[groups]] in the rulebook")
        return None
    found = next((g for g in groups if g.id == name), None)
    if found is None:
        raise where.fail(f"'group' must be one of {', '.join(g.id for g in groups)}, not {name!r}")
    return found


def _points(where: _Where, table: Mapping[str, Any], group: model.Group | None) -> Decimal:
    """The points a criterion is worth (0 for a mandatory condition without points)."""
    if group is None:
        return Decimal(0)
    return _number(where, "points", table.get("points", 0), Decimal(0), group.max_points)


def _code(where: _Where, code: Any) -> str:
    """The index's item number, e.g. '2.4.3' (optional)."""
    if code == "":
        return ""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise where.fail(f"'code' must be digits, letters and dots like \"2.4.3\", not {code!r}")
    return code


def _by_level(where: _Where, table: Any) -> dict[str, dict[str, dict[str, str]]]:
    """Per-level texts: { thcs = { legal_basis = { vi = "...", en = "..." } } }."""
    if not isinstance(table, dict):
        raise where.fail("'by_level' must be a table of levels")
    found: dict[str, dict[str, dict[str, str]]] = {}
    for level, texts in table.items():
        if level not in model.LEVELS:
            raise where.fail(f"'by_level' names unknown level {level!r}")
        if not isinstance(texts, dict) or not texts or set(texts) - set(_TEXT_KEYS):
            raise where.fail(f"'by_level.{level}' may give only {', '.join(_TEXT_KEYS)}")
        found[level] = {key: _texts(where, key, value) for key, value in texts.items()}
    return found


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


def _raw_conditions(where: _Where, conditions: Any) -> tuple[model.Condition, ...]:
    """The {field, op, value} tables as given; checked against the fields by _check_conditions."""
    if not isinstance(conditions, list):
        raise where.fail('\'conditions\' must be a list like [{ field = "...", op = "..." }]')
    found: list[model.Condition] = []
    for table in conditions:
        if not isinstance(table, dict):
            raise where.fail(f"a condition must be a table, not {table!r}")
        _check_keys(where, table, _CONDITION_KEYS, frozenset({"field", "op"}), "condition")
        found.append(model.Condition(table["field"], table["op"], table.get("value")))
    return tuple(found)


def _check_conditions(
    where: _Where, criterion: model.Criterion, fields: Sequence[model.Column]
) -> model.Criterion:
    """The criterion with its conditions checked against the fields (known field, an op fit for
    its kind, a value where the op needs one) and its texts' {value} placeholders filled."""
    here = where.at("criterion", criterion.id)
    if not criterion.self_scored and not criterion.conditions:
        raise here.fail("'conditions' must be a non-empty list like [{ field = \"...\", ... }]")
    by_key = {column.key: column for column in fields}
    conditions = tuple(_condition(here, c, by_key) for c in criterion.conditions)
    numbers = {c.field: c.value for c in conditions if c.value is not None}
    fill = _Filler(here, numbers, criterion.points if criterion.group else None)
    by_level = {
        level: {key: fill(texts) for key, texts in own.items()}
        for level, own in criterion.by_level.items()
    }
    return replace(
        criterion,
        conditions=conditions,
        label=fill(criterion.label),
        legal_basis=fill(criterion.legal_basis),
        remediation=fill(criterion.remediation),
        by_level=by_level,
    )


def _condition(
    where: _Where, condition: model.Condition, fields: Mapping[str, model.Column]
) -> model.Condition:
    """One condition: a known field, a known op fit for the field's kind, a value if needed."""
    name, op_name = condition.field, condition.op
    column = fields.get(name) if isinstance(name, str) else None
    if column is None:
        raise where.fail(f"unknown field {name!r}; fields are the column keys: {', '.join(fields)}")
    op = OPS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        raise where.fail(f"unknown op {op_name!r}; ops: {', '.join(OPS)}")
    if column.kind not in op.kinds:
        raise where.fail(f"op '{op.name}' cannot test field '{name}' (a {column.kind} column)")
    value = _condition_value(where, op, condition.value, column)
    return model.Condition(name, op.name, value, column)


def _condition_value(where: _Where, op: Op, value: Any, column: model.Column) -> float | None:
    """The condition's number: required by ops that compare, refused by the others; a finite
    number within the range the field accepts."""
    if not op.needs_value:
        if value is not None:
            raise where.fail(f"op '{op.name}' takes no 'value'")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.fail(f"op '{op.name}' needs a number as 'value', not {value!r}")
    low, high = column.minimum, column.maximum
    exact = Decimal(str(value))
    if low is None or high is None or not exact.is_finite() or not low <= exact <= high:
        shown = repr(value) if isinstance(value, float) or abs(value) < 10**12 else "a huge number"
        raise where.fail(
            f"'value' must be a number from {low:,} to {high:,} for field "
            f"'{column.key}' (a {column.kind} column), not {shown}"
        )
    return float(value)


class _Filler:
    """Fills a criterion's texts' placeholders with its numbers, so that a changed threshold
    cannot leave a stale number in print: `{value}` is the first condition's number,
    `{<field>}` the number the condition on that field compares with, `{points}` the points
    the criterion is worth."""

    def __init__(
        self, where: _Where, thresholds: Mapping[str, float], points: Decimal | None
    ) -> None:
        self.where = where
        self.thresholds: dict[str, float | Decimal] = dict(thresholds)
        if thresholds:
            self.thresholds["value"] = next(iter(thresholds.values()))
        if points is not None:
            self.thresholds["points"] = points

    def __call__(self, texts: Mapping[str, str]) -> dict[str, str]:
        """The texts with every placeholder filled (numbers written as in each language)."""
        return {lang: self._fill(text, lang) for lang, text in texts.items()}

    def _fill(self, text: str, lang: str) -> str:
        names = [name for _, name, _, _ in _parse_format(self.where, text) if name is not None]
        unknown = [name for name in names if name not in self.thresholds]
        if unknown:
            known = ", ".join("{" + name + "}" for name in self.thresholds) or "none"
            raise self.where.fail(
                f"the text names {{{unknown[0]}}}, which is no threshold of its conditions "
                f"(known: {known}); write {{{{ and }}}} for literal braces"
            )
        values = {name: _plain(Decimal(str(self.thresholds[name])), lang) for name in names}
        return text.format(**values) if names or "{" in text or "}" in text else text


def _parse_format(where: _Where, text: str) -> list[tuple[str, str | None, str | None, Any]]:
    """The parts of a text with {placeholders}; RulebookError for unbalanced braces."""
    try:
        return list(string.Formatter().parse(text))
    except ValueError as error:
        raise where.fail(f"a text has unbalanced braces ({error}); write {{{{ and }}}}") from None


def _plain(number: Decimal, lang: str) -> str:
    """90 -> '90', 92.5 -> '92,5' in Vietnamese, '92.5' in English."""
    text = format(number.normalize(), "f")
    return text.replace(".", ",") if lang == "vi" else text


# ---------------------------------------------------------------------------------------------
# Several rulebooks in one run


def merge(books: Sequence[model.Rulebook], paths_: Sequence[Path]) -> model.Rulebook:
    """One rulebook from several: criteria and groups concatenated (ids unique across all),
    fields merged (a field two rulebooks read must be the same kind; its levels are joined)."""
    criteria: list[model.Criterion] = []
    fields: dict[str, model.Column] = {}
    for book, path in zip(books, paths_, strict=True):
        where = _Where(path)
        for criterion in book.criteria:
            if any(c.id == criterion.id for c in criteria):
                raise where.at("criterion", criterion.id).fail(
                    "another rulebook of this run has a criterion with this id"
                )
            criteria.append(criterion)
        for column in book.fields:
            fields[column.key] = _merged_field(where, fields.get(column.key), column)
    groups = tuple(group for book in books for group in book.groups)
    if len({g.id for g in groups}) != len(groups):
        raise _Where(paths_[-1]).fail("two rulebooks of this run have a group with the same id")
    sections = tuple(section for book in books for section in book.sections)
    if len({s.id for s in sections}) != len(sections):
        raise _Where(paths_[-1]).fail("two rulebooks of this run have the same 'id'")
    version = " + ".join(book.version for book in books)
    sha = hashlib.sha256("".join(book.sha256 for book in books).encode()).hexdigest()
    return model.Rulebook(version, sha, tuple(criteria), tuple(fields.values()), groups, sections)


def _merged_field(where: _Where, first: model.Column | None, other: model.Column) -> model.Column:
    """A field declared by two rulebooks: the first declaration, filled by both's schools."""
    if first is None:
        return other
    if (first.kind, first.minimum, first.maximum) != (other.kind, other.minimum, other.maximum):
        raise where.at("field", other.key).fail(
            "another rulebook of this run declares this field with another kind or range"
        )
    both = set(first.levels or model.LEVELS) | set(other.levels or model.LEVELS)
    levels = tuple(level for level in model.LEVELS if level in both)
    return replace(
        first,
        levels=() if len(levels) == len(model.LEVELS) else levels,
        must_fill=first.must_fill or other.must_fill,
        required=first.required or other.required,
        aliases=first.aliases + tuple(a for a in other.aliases if a not in first.aliases),
    )
