"""The shipped rulebook's integrity, its agreement with the intake suite, and bad rulebooks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from shipped import COLUMN_BY_KEY, COLUMNS

from checker import model, paths
from checker.files import FileError
from checker.intake_checks import LEVEL_FLAG_PREFIX
from checker.rulebook import RulebookError, load_rulebook
from checker.validate import intake_suite

# The default criteria of issue 2: id -> (levels, conditions).
ISSUE_2 = {
    "website": ({"mam_non", "tieu_hoc", "thcs", "thpt"}, [("website_url", "is_web_address", None)]),
    "ioffice": ({"mam_non", "tieu_hoc", "thcs", "thpt"}, [("ioffice_share", "gte", 90.0)]),
    "cashless_fees": ({"mam_non", "thcs"}, [("cashless_fees", "is_yes", None)]),
    "computer_lab": (
        {"tieu_hoc", "thcs"},
        [("computer_rooms", "gte", 1.0), ("computers", "gte", 20.0)],
    ),
    "e_gradebook": (
        {"tieu_hoc", "thcs"},
        [("e_gradebook", "is_yes", None), ("e_contact_book", "is_yes", None)],
    ),
    "online_enrolment": ({"tieu_hoc", "thcs"}, [("online_enrolment", "is_yes", None)]),
}


@pytest.fixture(scope="module")
def shipped() -> model.Rulebook:
    """The rulebook in expectations/."""
    return load_rulebook(paths.DEFAULT_RULEBOOK)


def test_shipped_rulebook_has_the_six_criteria_of_issue_2(shipped: model.Rulebook) -> None:
    assert [c.id for c in shipped.criteria] == list(ISSUE_2)
    for criterion in shipped.criteria:
        levels, conditions = ISSUE_2[criterion.id]
        assert set(criterion.levels) == levels, criterion.id
        assert [(c.field, c.op, c.value) for c in criterion.conditions] == conditions, criterion.id


def test_shipped_rulebook_integrity(shipped: model.Rulebook) -> None:
    ids = [c.id for c in shipped.criteria]
    assert len(ids) == len(set(ids))
    assert shipped.version
    assert shipped.sha256 == hashlib.sha256(paths.DEFAULT_RULEBOOK.read_bytes()).hexdigest()
    for criterion in shipped.criteria:
        assert all(c.field in COLUMN_BY_KEY for c in criterion.conditions)
        assert 0 <= criterion.target <= 100
        for texts in (criterion.label, criterion.legal_basis, criterion.remediation):
            assert set(texts) == {"vi", "en"}, criterion.id
            assert all(text.strip() for text in texts.values())


def test_shipped_texts_are_vietnamese_and_cite_the_plan(shipped: model.Rulebook) -> None:
    for criterion in shipped.criteria:
        assert "4291/KH-UBND" in criterion.legal_basis["vi"]
        assert any(
            ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
            for ch in criterion.remediation["vi"]
        )


def blank_check_levels(rulebook: model.Rulebook, column: str) -> set[str]:
    """The levels for which the generated suite reports a blank in this column."""
    suite = intake_suite(rulebook)
    checks = [
        e["kwargs"]
        for e in suite["expectations"]
        if e["kwargs"]["column"] == column and e["meta"]["problem"] == "blank"
    ]
    assert len(checks) <= 1, column
    if not checks:
        return set()
    condition = checks[0].get("row_condition")
    # One school of each level, with the per-level flags the validator puts in its frame.
    levels = pd.DataFrame(
        {"level": list(model.LEVELS)}
        | {LEVEL_FLAG_PREFIX + lv: [lv == other for other in model.LEVELS] for lv in model.LEVELS}
    )
    return set(model.LEVELS) if condition is None else set(levels.query(condition)["level"])


def test_suite_reports_blanks_exactly_where_the_rulebook_reads(shipped: model.Rulebook) -> None:
    read_by: dict[str, set[str]] = {}
    for criterion in shipped.criteria:
        for condition in criterion.conditions:
            read_by.setdefault(condition.field, set()).update(criterion.levels)
    for field, levels in read_by.items():
        assert blank_check_levels(shipped, field) == levels, field


# ---------------------------------------------------------------------------------------------
# Bad rulebooks fail loudly, naming the file and the criterion

VALID = """\
version = "test-1"

[[criteria]]
id = "ioffice"
label = { vi = "Văn bản qua iOffice", en = "Documents via iOffice" }
levels = ["mam_non", "thcs"]
target = 100
conditions = [{ field = "ioffice_share", op = "gte", value = 90 }]
legal_basis = { vi = "Kế hoạch 4291/KH-UBND", en = "Plan 4291/KH-UBND" }
remediation = { vi = "Dùng iOffice", en = "Use iOffice" }

[[criteria]]
id = "website"
label = { vi = "Website", en = "Website" }
levels = ["tieu_hoc"]
target = 90
conditions = [{ field = "website_url", op = "is_web_address" }]
legal_basis = { vi = "Kế hoạch 4291/KH-UBND", en = "Plan 4291/KH-UBND" }
remediation = { vi = "Làm website", en = "Make a website" }
"""


def write(tmp_path: Path, text: str) -> Path:
    """The rulebook text as a file."""
    path = tmp_path / "quy_tac.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_column_levels_are_those_of_the_criteria_reading_them(shipped: model.Rulebook) -> None:
    """A column's `levels` (who must fill it: forms grey the rest) agree with the rulebook."""
    for column in COLUMNS:
        readers = [c for c in shipped.criteria if any(k.field == column.key for k in c.conditions)]
        if not readers:
            continue
        levels = {level for criterion in readers for level in criterion.levels}
        expected = set() if levels == set(model.LEVELS) else levels
        assert set(column.levels) == expected, column.key


def test_the_valid_example_loads(tmp_path: Path) -> None:
    rulebook = load_rulebook(write(tmp_path, VALID))
    assert rulebook.version == "test-1"
    assert [c.id for c in rulebook.criteria] == ["ioffice", "website"]
    assert rulebook.criteria[1].target == 90.0
    [condition] = rulebook.criteria[0].conditions
    assert (condition.field, condition.op, condition.value) == ("ioffice_share", "gte", 90.0)
    # A rulebook without [[fields]] reads the shipped columns; who fills one follows its criteria.
    assert condition.column is not None
    shipped = COLUMN_BY_KEY["ioffice_share"]
    assert (condition.column.header_vi, condition.column.kind) == (shipped.header_vi, shipped.kind)
    assert condition.column.levels == ("mam_non", "thcs")


BAD = [
    ("unknown top key", 'version = "test-1"', 'version = "test-1"\nauthor = "x"', "author", ""),
    ("unknown criterion key", "target = 90", "target = 90\nthreshold = 5", "threshold", "website"),
    ("unknown field", 'field = "website_url"', 'field = "web"', "'web'", "website"),
    ("unknown op", 'op = "gte"', 'op = ">="', "'>='", "ioffice"),
    ("unknown level", '["tieu_hoc"]', '["dai_hoc"]', "'dai_hoc'", "website"),
    ("level twice", '["tieu_hoc"]', '["tieu_hoc", "tieu_hoc"]', "twice", "website"),
    ("duplicate id", 'id = "website"', 'id = "ioffice"', "another criterion", "ioffice"),
    ("target over 100", "target = 90", "target = 130", "130", "website"),
    ("target below 0", "target = 100", "target = -1", "-1", "ioffice"),
    ("target not a number", "target = 90", 'target = "90%"', "90%", "website"),
    (
        "missing vi label",
        'label = { vi = "Website", en = "Website" }',
        'label = { en = "Website" }',
        "'vi'",
        "website",
    ),
    ("empty vi remedy", 'vi = "Làm website"', 'vi = "  "', "remediation.vi", "website"),
    ("unknown language", 'en = "Make a website"', 'fr = "Faire"', "'fr'", "website"),
    (
        "missing key",
        'remediation = { vi = "Làm website", en = "Make a website" }\n',
        "",
        "remediation",
        "website",
    ),
    ("gte without value", ", value = 90 }", " }", "needs a number", "ioffice"),
    (
        "value on is_yes-like op",
        'op = "is_web_address" }',
        'op = "is_web_address", value = 1 }',
        "takes no",
        "website",
    ),
    (
        "op unfit for field",
        'field = "website_url", op = "is_web_address"',
        'field = "website_url", op = "gte", value = 1',
        "cannot test",
        "website",
    ),
    ("unknown condition key", "value = 90 }", 'value = 90, when = "x" }', "when", "ioffice"),
    (
        "no conditions",
        '[{ field = "website_url", op = "is_web_address" }]',
        "[]",
        "conditions",
        "website",
    ),
    ("bad id", 'id = "website"', 'id = "Web site"', "'id'", "number 2"),
    ("no version", 'version = "test-1"\n', "", "version", ""),
    ("not TOML", 'version = "test-1"', "version = ", "TOML", ""),
]


@pytest.mark.parametrize(("case", "old", "new", "says", "criterion"), BAD, ids=[b[0] for b in BAD])
def test_bad_rulebook_fails_naming_file_and_criterion(
    tmp_path: Path, case: str, old: str, new: str, says: str, criterion: str
) -> None:
    assert old in VALID, case
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(RulebookError) as caught:
        load_rulebook(path)
    message = str(caught.value)
    assert str(path) in message
    assert says in message.replace(str(path), "")  # the temporary path holds "-1" and such
    if criterion:
        assert f"criterion '{criterion}'" in message
    assert isinstance(caught.value, model.InputError)


def test_missing_rulebook_file(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"^The file none\.toml does not exist\.$"):
        load_rulebook(tmp_path / "none.toml")


def test_rulebook_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.toml"
    path.write_bytes(VALID.encode("utf-16"))
    with pytest.raises(RulebookError, match="UTF-8"):
        load_rulebook(path)
