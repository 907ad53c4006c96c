"""Rulebooks as data: fields, points groups and levels (Mức), self-scored items, per-level texts,
the national index (QĐ 4725) and two rulebooks in one run."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import SAMPLE, check_table, run_checker, run_tables, sample_part
from shipped import RULEBOOK

from checker import model, paths
from checker.evaluate import evaluate, level_of
from checker.rulebook import RulebookError, load_rulebook, load_rulebooks
from checker.validate import validate_table

# A small index: one group of 100 points, a mandatory yes/no condition, an item decided by a
# rule on a count, and a self-scored item.
INDEX = """\
version = "t-1"
id = "index"

[[groups]]
id = "g"
label = { vi = "Nhóm thử" }
max_points = 100
bands = [50, 75]
mandatory_caps_level = CAPS

[[fields]]
key = "plan"
header = { vi = "Có kế hoạch" }
kind = "yes_no"

[[fields]]
key = "rooms"
header = { vi = "Số phòng" }
kind = "count"

[[criteria]]
id = "must"
code = "1.1"
group = "g"
mandatory = true
label = { vi = "Kế hoạch" }
levels = ["tieu_hoc", "thcs"]
conditions = [{ field = "plan", op = "is_yes" }]
legal_basis = { vi = "QĐ thử" }
remediation = { vi = "Ban hành kế hoạch." }

[[criteria]]
id = "rule"
code = "1.2"
group = "g"
points = 40
label = { vi = "Phòng học" }
levels = ["tieu_hoc", "thcs"]
conditions = [{ field = "rooms", op = "gte", value = 2 }]
legal_basis = { vi = "QĐ thử" }
remediation = { vi = "Cần ít nhất {value} phòng để được {points} điểm." }

[[criteria]]
id = "own"
code = "1.3"
group = "g"
points = 60
self_scored = true
label = { vi = "Tự đánh giá" }
levels = ["tieu_hoc", "thcs"]
legal_basis = { vi = "QĐ thử" }
remediation = { vi = "Hoàn thiện để được {points} điểm." }
"""


def index_rulebook(tmp_path: Path, caps: bool = True) -> model.Rulebook:
    """The small index above as a loaded rulebook."""
    path = tmp_path / "index.toml"
    path.write_text(INDEX.replace("CAPS", "true" if caps else "false"), encoding="utf-8")
    return load_rulebook(path)


def row(number: int, level: str = "THCS", **cells: str) -> model.RawRow:
    """A school row of the small index's table."""
    base = {"school_id": f"S{number}", "school_name": f"Trường {number}", "level": level}
    return model.RawRow(number, base | cells)


def judged(rulebook: model.Rulebook, *rows: model.RawRow) -> list[model.SchoolResult]:
    """The rows validated (real GX suite) and evaluated."""
    table = model.RawTable(Path("t.csv"), "", 1, tuple(rows))
    return list(evaluate(validate_table(table, rulebook).schools, rulebook))


def test_points_add_up_in_their_group_and_texts_name_the_numbers(tmp_path: Path) -> None:
    rulebook = index_rulebook(tmp_path)
    [result] = judged(
        rulebook, row(2, plan="Có", rooms="3", own_points="25", own_evidence="12/KH-THCS")
    )
    points = {v.criterion_id: v.points for v in result.verdicts}
    assert points == {"must": Decimal(0), "rule": Decimal(40), "own": Decimal(25)}
    [group] = result.groups
    assert (group.points, group.max_points, group.level, group.mandatory_met) == (
        Decimal(65),
        Decimal(100),
        2,
        True,
    )
    rule = next(c for c in rulebook.criteria if c.id == "rule")
    assert rule.remediation["vi"] == "Cần ít nhất 2 phòng để được 40 điểm."
    # Criteria of a points group are scored by points, not as met / applicable.
    assert result.applicable == 0 and result.score is None


@pytest.mark.parametrize(
    ("points", "level"),
    [(0, 1), (49, 1), (Decimal("49.5"), 1), (50, 2), (75, 2), (76, 3), (100, 3)],
)
def test_level_bands_of_qd_4725(points: int | Decimal, level: int) -> None:
    group = model.Group("g", {"vi": "g"}, Decimal(100))
    assert level_of(Decimal(points), group) == level


@pytest.mark.parametrize(("caps", "level"), [(True, 1), (False, 3)])
def test_a_mandatory_condition_not_met_caps_the_level_when_the_rulebook_says_so(
    tmp_path: Path, caps: bool, level: int
) -> None:
    rulebook = index_rulebook(tmp_path, caps=caps)
    cells = {"plan": "Không", "rooms": "5", "own_points": "60", "own_evidence": "x.edu.vn/a"}
    [result] = judged(rulebook, row(2, **cells))
    [group] = result.groups
    assert group.points == Decimal(100)
    assert group.mandatory_met is False
    assert group.level == level


def test_self_scored_points_above_the_maximum_are_invalid(tmp_path: Path) -> None:
    rulebook = index_rulebook(tmp_path)
    [result] = judged(rulebook, row(2, plan="Có", rooms="2", own_points="61", own_evidence="a"))
    own = next(v for v in result.verdicts if v.criterion_id == "own")
    assert (own.status, own.reason, own.points) == ("missing", "invalid", Decimal(0))
    codes = [(p.column, p.code) for p in result.school.problems]
    assert codes == [("own_points", "out_of_range")]
    assert result.groups[0].points == Decimal(40)


def test_self_scored_points_without_evidence_do_not_count(tmp_path: Path) -> None:
    rulebook = index_rulebook(tmp_path)
    [result] = judged(rulebook, row(2, plan="Có", rooms="2", own_points="30", own_evidence=""))
    own = next(v for v in result.verdicts if v.criterion_id == "own")
    assert (own.status, own.points) == ("missing", Decimal(0))
    assert [(p.column, p.code) for p in result.school.problems] == [("own_evidence", "no_evidence")]
    # Zero points need no evidence: nothing claimed, nothing to prove.
    [zero] = judged(rulebook, row(3, plan="Có", rooms="2", own_points="0", own_evidence=""))
    assert zero.school.problems == ()
    assert next(v for v in zero.verdicts if v.criterion_id == "own").status == "not_met"


def test_a_group_does_not_apply_to_a_level_it_does_not_cover(tmp_path: Path) -> None:
    rulebook = index_rulebook(tmp_path)
    [result] = judged(rulebook, row(2, level="Mầm non"))
    assert {v.status for v in result.verdicts} == {"not_applicable"}
    assert result.groups[0].level is None
    assert result.school.problems == ()  # a preschool leaves the index's columns blank


def test_per_level_texts_keep_the_thcs_clause_off_primary_cards() -> None:
    gradebook = next(c for c in RULEBOOK.criteria if c.id == "e_gradebook")
    primary = gradebook.text("legal_basis", ("tieu_hoc",))["vi"]
    secondary = gradebook.text("legal_basis", ("thcs",))["vi"]
    combined = gradebook.text("legal_basis", ("tieu_hoc", "thcs"))["vi"]
    assert "22/2021/TT-BGDĐT" not in primary
    assert "22/2021/TT-BGDĐT" in secondary
    assert combined == secondary  # a TH&THCS school teaches lower-secondary pupils too


def test_remediation_takes_its_thresholds_from_the_conditions(tmp_path: Path) -> None:
    text = paths.DEFAULT_RULEBOOK.read_text(encoding="utf-8")
    changed = text.replace('op = "gte", value = 90', 'op = "gte", value = 95', 1)
    assert changed != text
    path = tmp_path / "rulebook.toml"
    path.write_text(changed, encoding="utf-8")
    ioffice = next(c for c in load_rulebook(path).criteria if c.id == "ioffice")
    assert "95%" in ioffice.remediation["vi"] and "90%" not in ioffice.remediation["vi"]
    assert "95%" in ioffice.remediation["en"]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('group = "g"\npoints = 40', 'group = "h"\npoints = 40', "'group' must be one of g"),
        ("points = 60\nself_scored", "self_scored", "needs its maximum 'points'"),
        ("{value} phòng", "{rooms_max} phòng", "{rooms_max}"),
        ('kind = "count"', 'kind = "integer"', "unknown kind 'integer'"),
        ("bands = [50, 75]", "bands = [75, 50]", "'bands' must increase"),
        ('id = "own"', 'id = "rule"', "used by another criterion"),
    ],
)
def test_bad_index_rulebooks_fail_naming_the_place(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    assert old in INDEX
    path = tmp_path / "bad.toml"
    path.write_text(INDEX.replace(old, new, 1).replace("CAPS", "true"), encoding="utf-8")
    with pytest.raises(RulebookError, match=says.replace("{", r"\{").replace("}", r"\}")):
        load_rulebook(path)


def test_two_rulebooks_declaring_one_field_differently_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    text = INDEX.replace("CAPS", "true").replace('key = "rooms"', 'key = "computers"', 1)
    other.write_text(text.replace('field = "rooms"', 'field = "computers"'), encoding="utf-8")
    # computers is a count in both: merged, read by both rulebooks' schools.
    merged = load_rulebooks((paths.DEFAULT_RULEBOOK, other))
    assert merged.column("computers").levels == ("tieu_hoc", "thcs")
    other.write_text(text.replace('kind = "count"', 'kind = "share"'), encoding="utf-8")
    other.write_text(
        other.read_text(encoding="utf-8").replace('field = "rooms"', 'field = "computers"'),
        encoding="utf-8",
    )
    with pytest.raises(RulebookError, match="another kind or range"):
        load_rulebooks((paths.DEFAULT_RULEBOOK, other))


# ---------------------------------------------------------------------------------------------
# The shipped national index


def test_the_shipped_index_is_flagged_for_verification_and_sums_as_documented() -> None:
    index = load_rulebook(paths.QD4725_RULEBOOK)
    assert [g.id for g in index.groups] == ["teaching", "management"]
    assert all(g.max_points == 100 for g in index.groups)
    listed = {g.id: sum(c.points for c in index.criteria if c.group == g.id) for g in index.groups}
    assert listed == {"teaching": Decimal(100), "management": Decimal(90)}
    assert all(c.verify for c in index.criteria)
    mandatory = sorted(c.code for c in index.criteria if c.mandatory)
    assert mandatory == ["1.1", "1.2", "2.1", "2.2"]
    assert not any("mam_non" in c.levels for c in index.criteria)
    # The items the local plan's facts decide read the local plan's columns.
    rules = {c.code: c.conditions[0].field for c in index.criteria if not c.self_scored}
    assert {rules[k] for k in ("2.3.3", "2.4.1", "2.4.2", "2.4.3")} == {
        "e_gradebook",
        "e_contact_book",
        "online_enrolment",
        "cashless_fees",
    }


# The index's items as the issue lists them: code -> maximum points, by group; and the items the
# local plan's yes/no columns decide (group 2).
TEACHING = {"1.3.1": 6, "1.3.2": 6, "1.3.3": 6, "1.3.4": 6, "1.3.5": 6, "1.4": 10, "1.5.1": 15}
TEACHING |= {"1.5.2": 5, "1.6.1": 7, "1.6.2": 7, "1.6.3": 6, "1.7.1": 8, "1.7.2": 7, "1.7.3": 5}
MANAGING = {"2.3.1": 6, "2.3.2": 6, "2.3.4": 6, "2.3.5": 10, "2.3.6": 10, "2.3.7": 6, "2.3.8": 6}
FACTS = {"Sổ điểm điện tử": 10, "Sổ liên lạc điện tử": 8, "Tuyển sinh trực tuyến": 12}
FACTS |= {"Thu phí không dùng tiền mặt": 10}


def by_code(school: dict[str, str], wanted: str) -> dict[str, str]:
    """The school's cells whose header starts with an item code and contains `wanted`, by code."""
    return {h.split(" ")[0]: v for h, v in school.items() if h[:1].isdigit() and wanted in h}


def hand_points(school: dict[str, str], items: dict[str, int]) -> Decimal:
    """The self-scored items' points: counted when within the maximum and, if above zero, with
    evidence."""
    typed, evidence = by_code(school, "điểm tự đánh giá"), by_code(school, "Minh chứng")
    total = Decimal(0)
    for code, most in items.items():
        points = Decimal(typed[code]) if typed[code] else Decimal(0)
        if points <= most and (points == 0 or evidence[code]):
            total += points
    return total


def hand_level(points: Decimal, mandatory_met: bool) -> int:
    """Mức 1 below 50, 2 from 50 to 75, 3 above; 1 when a mandatory condition is not met."""
    level = 1 if points < 50 else 2 if points <= 75 else 3
    return level if mandatory_met else 1


def independent_points(path: Path) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """Each sample school's points and Mức per group, computed from the table by hand, apart
    from the checker's code."""
    found: dict[tuple[str, str], tuple[Decimal, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for school in csv.DictReader(handle):
            if school["Cấp học"] in ("Mầm non", "Mẫu giáo"):
                continue
            answers, evidence = by_code(school, " Có "), by_code(school, "Minh chứng")
            met = {code: answers[code] == "Có" and bool(evidence[code]) for code in answers}
            teaching = hand_points(school, TEACHING)
            managing = hand_points(school, MANAGING)
            managing += sum((Decimal(p) for h, p in FACTS.items() if school[h] == "Có"), Decimal(0))
            key = school["Mã trường"]
            found[(key, "teaching")] = (teaching, hand_level(teaching, met["1.1"] and met["1.2"]))
            found[(key, "management")] = (managing, hand_level(managing, met["2.1"] and met["2.2"]))
    return found


INDEX_SAMPLE = SAMPLE / "giong_trom_2026-2027_HK1_qd4725.csv"
BOTH_RULES = (paths.DEFAULT_RULEBOOK, paths.QD4725_RULEBOOK)


@pytest.fixture(scope="module")
def index_tables() -> dict[str, str]:
    """results.csv and groups.csv of the whole sample district run with both rulebooks (made
    by the run's stages, without its pages: see both_rulebooks for the run itself)."""
    return run_tables(INDEX_SAMPLE, BOTH_RULES)


@pytest.fixture(scope="module")
def both_rulebooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`checker run` with both rulebooks on every fourth school of the sample district (12, of
    every level); returns the out folder."""
    folder = tmp_path_factory.mktemp("both")
    source = sample_part(INDEX_SAMPLE.name, folder)
    rules = [arg for path in BOTH_RULES for arg in ("--rules", str(path))]
    result = check_table(source, folder, *rules)
    assert result.returncode == 0, result.stderr
    return folder / "out"


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_index_on_the_sample_agrees_with_an_independent_computation(
    index_tables: dict[str, str],
) -> None:
    expected = independent_points(INDEX_SAMPLE)
    rows = [r for r in csv_rows(index_tables["groups.csv"]) if r["level_reached"]]
    got = {
        (r["school_id"], r["group"]): (Decimal(r["points"]), int(r["level_reached"])) for r in rows
    }
    assert got == expected
    assert len(got) == 2 * 30  # 30 primary and lower-secondary schools, two groups each


def test_a_run_with_both_rulebooks_writes_what_its_stages_give(
    both_rulebooks: Path, index_tables: dict[str, str]
) -> None:
    """The run's tables are the whole district's, school for school, for the schools it had."""
    for name in ("results.csv", "groups.csv"):
        written = csv_rows((both_rulebooks / name).read_text(encoding="utf-8-sig"))
        ran = {r["school_id"] for r in written}
        assert len(ran) == 12
        assert written == [r for r in csv_rows(index_tables[name]) if r["school_id"] in ran]


def test_one_run_with_both_rulebooks_keeps_the_local_plan_as_it_was(
    both_rulebooks: Path, sample_run: Path
) -> None:
    """The local plan's results with both rulebooks are those of the shared sample run of
    the same semester with the plan alone."""

    def plan_rows(folder: Path, schools: set[str] | None = None) -> list[tuple[str, ...]]:
        with (folder / "results.csv").open(encoding="utf-8-sig", newline="") as handle:
            return [
                (r["school_id"], r["criterion"], r["status"], r["value"], r["reason"])
                for r in csv.DictReader(handle)
                if not r["criterion"].startswith("qd_")
                and (schools is None or r["school_id"] in schools)
            ]

    with_index = plan_rows(both_rulebooks)
    assert len(with_index) == 12 * 6  # the 12 schools, each with the plan's six criteria
    assert with_index == plan_rows(sample_run / "out-3", {row[0] for row in with_index})
    payload = json.loads((both_rulebooks / "results.json").read_text(encoding="utf-8"))
    by_id = {s["school_id"]: s for s in payload["schools"]}
    assert by_id["08304001"]["groups"]["teaching"]["level"] is None  # a preschool
    assert set(by_id["08304029"]["groups"]) == {"teaching", "management"}  # a primary school


# ---------------------------------------------------------------------------------------------
# Adding a criterion on a new column is an edit of one data file


EXTRA = """
[[fields]]
key = "wifi_all_rooms"
header = { vi = "Wifi phủ tất cả phòng học", en = "Wi-Fi in every classroom" }
kind = "yes_no"
hint = { vi = "Có nếu mọi phòng học có wifi, ngược lại Không.", en = "Có if every classroom has Wi-Fi." }

[[criteria]]
id = "wifi"
label = { vi = "Wifi trong phòng học", en = "Wi-Fi in classrooms" }
levels = ["tieu_hoc", "thcs"]
target = 80
conditions = [{ field = "wifi_all_rooms", op = "is_yes" }]
legal_basis = { vi = "Kế hoạch 4291/KH-UBND.", en = "Plan 4291/KH-UBND." }
remediation = { vi = "Lắp wifi cho mọi phòng học.", en = "Put Wi-Fi in every classroom." }
"""


def test_a_criterion_on_a_new_column_round_trips_through_the_form(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(paths.DEFAULT_RULEBOOK.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    form = tmp_path / "form.xlsx"
    made = run_checker("template", form, "--rules", rules, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[-1] == "Wifi phủ tất cả phòng học"
    sample = openpyxl.load_workbook(SAMPLE / "giong_trom_2026-2027_HK1.xlsx").worksheets[0]
    sample_rows = [[c.value for c in r] for r in sample.iter_rows()]
    start = next(i for i, r in enumerate(sample_rows) if r[0] == "Mã trường") + 1
    for offset, values in enumerate(sample_rows[start : start + 3]):
        answers = [*values[: len(headers) - 1], "Có" if offset != 1 else "Không"]
        for column, value in enumerate(answers, start=1):
            sheet.cell(row=2 + offset, column=column, value=value)
    workbook.save(form)
    result = check_table(form, tmp_path, "--rules", str(rules))
    assert result.returncode == 0, result.stderr
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8-sig", newline="") as handle:
        wifi = {
            r["school_id"]: r["status"] for r in csv.DictReader(handle) if r["criterion"] == "wifi"
        }
    levels = [values[2] for values in sample_rows[start : start + 3]]
    expected = {
        str(values[0]): ("not_applicable" if level in ("Mầm non", "Mẫu giáo") else status)
        for values, level, status in zip(
            sample_rows[start : start + 3], levels, ["met", "not_met", "met"], strict=True
        )
    }
    assert wifi == expected


def test_groups_csv_is_written_only_with_points_groups(
    both_rulebooks: Path, sample_run: Path
) -> None:
    assert (both_rulebooks / "groups.csv").is_file()
    plain = sample_run / "out-3"  # the local plan alone
    assert not (plain / "groups.csv").exists()
    seen: dict[str, set[str]] = defaultdict(set)
    with (plain / "results.csv").open(encoding="utf-8-sig", newline="") as handle:
        for r in csv.DictReader(handle):
            seen["points"].add(r["points"])
    assert seen["points"] == {""}


# ---------------------------------------------------------------------------------------------
# What the card and the summary say of points groups


def test_a_card_gives_each_group_its_points_level_and_items(tmp_path: Path) -> None:
    from checker.context_groups import card_sections, summary_sections
    from checker.i18n import load_translator

    rulebook = index_rulebook(tmp_path)
    t = load_translator("vi")
    results = judged(
        rulebook,
        row(2, plan="Không", rooms="3", own_points="50", own_evidence="15/KH-THCS"),
        row(3, level="Mầm non"),
    )
    [section] = card_sections(results[0], rulebook, t)
    [group] = section["groups"]
    assert group["headline"] == "90/100 điểm · Mức 1"  # the mandatory condition caps it
    assert "1.1" in group["mandatory"]
    items = {item["code"]: item for item in group["entries"]}
    assert items["1.2"]["points"] == "40/40"
    assert items["1.3"]["points"] == "50/60" and items["1.3"]["evidence"] == "15/KH-THCS"
    assert items["1.1"]["todo"] == "Ban hành kế hoạch."
    [preschool] = card_sections(results[1], rulebook, t)
    assert preschool["groups"] == [] and "không áp dụng" in preschool["not_applicable"]
    [summary] = summary_sections(results, rulebook, t, lambda level: level or "?")
    [unit] = summary["groups"]
    assert unit["totals"] == [1, 0, 0] and unit["schools"] == 1 and unit["median"] == "90"
    assert [w["code"] for w in unit["weakest"]] == ["1.1", "1.3"]
