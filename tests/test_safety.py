"""Hostile text in what we write and print (issue 15): inert cells, no control characters, no
terminal escapes or markup; rulebook numbers, chart labels and dates that used to crash."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console
from shipped import COLUMNS
from shipped import problem as shipped_problem

from checker.chart import draw_trend
from checker.cli import capped_workers, default_workers
from checker.context import TrendPoint
from checker.history import CriterionRate, RunRecord, SchoolSemester, SemesterRates
from checker.history_cli import school_csv, school_table, trend_rows, trend_table
from checker.i18n import load_translator
from checker.intake_form import write_intake_template
from checker.model import Intake, RawTable
from checker.office import Contact
from checker.outfiles import pinned_zip, write_atomic
from checker.rulebook import RulebookError, load_rulebook
from checker.safe_text import looks_like_formula, plain_text, spreadsheet_field, terminal_text
from checker.semester import parse_semester
from checker.write import QualityFacts, csv_bytes, quality_xlsx, school_quality_files

HOSTILE = [
    '=HYPERLINK("http://evil.example/x","x")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "Trường\x07 Tân Hào",
    "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07",
    "\x1b[31mred\x1b[0m",
    "abc\u202edcba",
    "[/] [link=http://evil.example]x[/link]",
]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")


def test_plain_text_drops_escape_sequences_and_control_characters() -> None:
    assert plain_text("Trường\x07 Tân Hào") == "Trường Tân Hào"
    assert plain_text("\x1b]8;;http://evil.example\x07click\x1b]8;;\x07") == "click"
    assert plain_text("\x1b[31mred\x1b[0m") == "red"
    assert plain_text("a\nb\tc\rd") == "a b c d"
    assert plain_text("abc\u202edcba") == "abcdcba"
    assert plain_text("Trường THCS Hưng Nhượng") == "Trường THCS Hưng Nhượng"


@pytest.mark.parametrize("text", HOSTILE)
def test_every_csv_field_is_inert(text: str) -> None:
    field = spreadsheet_field(text)
    assert not CONTROL.search(field)
    assert not FORMULA_START.match(field), field
    if FORMULA_START.match(plain_text(text)):
        assert field == "'" + plain_text(text)  # OWASP's prefix, the text otherwise kept


def test_csv_fields_are_quoted_prefixed_and_read_back_whole() -> None:
    rows = [{"a": text, "b": 12} for text in HOSTILE]
    data = csv_bytes(["a", "b"], rows).decode("utf-8-sig")
    read = list(csv.DictReader(io.StringIO(data)))
    assert len(read) == len(HOSTILE)
    for row, text in zip(read, HOSTILE, strict=True):
        assert row["a"] == spreadsheet_field(text)
        assert row["b"] == "12"
    assert all(line.startswith('"') for line in data.splitlines())  # ';' cannot split a field


NO_CONTACT = Contact("", "", "")


def hostile_intake(tmp_path: Path) -> Intake:
    problems = tuple(
        shipped_problem(row, f"id{row}", text, "computers", text, "not_a_number")
        for row, text in enumerate(HOSTILE, start=2)
    )
    return Intake(RawTable(tmp_path / "x.csv", "0" * 64, 1, ()), (), (), problems)


def test_data_quality_workbook_has_no_formula_and_no_control_character(tmp_path: Path) -> None:
    facts = QualityFacts("2026-2027/HK1", "in.csv", dt.date(2026, 11, 29), (), None, NO_CONTACT)
    data = quality_xlsx(hostile_intake(tmp_path), load_translator("vi"), facts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert not re.search(rb"<f[ >]", archive.read(name)), f"a formula in {name}"
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=3))  # under the title and the header
    assert len(rows) == len(HOSTILE)
    for row, text in zip(rows, HOSTILE, strict=True):
        name_cell, value = row[1], row[4]
        assert name_cell.data_type == "s" and value.data_type == "s"
        assert value.value == plain_text(text)  # the text kept, only controls dropped
        assert isinstance(value.value, str) and not CONTROL.search(value.value)
        assert value.quotePrefix == bool(FORMULA_START.match(plain_text(text)))


def test_each_school_s_data_quality_workbook_has_no_formula_and_no_control_character(
    tmp_path: Path,
) -> None:
    facts = QualityFacts("2026-2027/HK1", "in.csv", dt.date(2026, 11, 29), (), None, NO_CONTACT)
    files = dict(school_quality_files(hostile_intake(tmp_path), load_translator("vi"), facts))
    assert len(files) == len(HOSTILE)  # one school per hostile text
    for (relative, data), text in zip(files.items(), HOSTILE, strict=True):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                content = archive.read(name)
                assert not re.search(rb"<f[ >]", content), f"a formula in {relative}: {name}"
                assert not CONTROL.search(content.decode("utf-8", "replace")), name
        sheet = load_workbook(io.BytesIO(data)).worksheets[0]
        cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value}
        value = cells[plain_text(text)]  # the value as typed, only controls dropped
        assert value.data_type == "s"
        assert value.quotePrefix == looks_like_formula(plain_text(text))
        assert any(plain_text(text) in str(v) for v in cells if v != plain_text(text))  # name


def test_history_prints_names_literally_without_markup_or_escapes() -> None:
    name = (
        "\x1b]8;;http://evil.example\x07Trường\x1b]8;;\x07 [/] [link=http://evil.example]x[/link]"
    )
    entries = [SchoolSemester(parse_semester("2026-2027/HK1"), name, "thcs", {"website": "met"})]
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=200, color_system="truecolor")
    console.print(school_table("A1", entries, load_translator("en"), [], {}))
    shown = buffer.getvalue()
    words = " ".join(shown.split())  # the title may wrap
    assert "Trường [/] [link=http://evil.example]x[/link] (A1)" in words  # not interpreted
    assert "\x1b]8" not in shown and "\x07" not in shown  # no hyperlink, no bell
    csv_text = school_csv("A1", entries)
    assert "\x1b" not in csv_text and "\x07" not in csv_text


def test_history_trend_prints_labels_and_file_names_literally() -> None:
    semester = parse_semester("2026-2027/HK1")
    trend = [SemesterRates(semester, (CriterionRate("website", 3, 4),))]
    run = RunRecord(
        "r",
        "u[/]\x1b[2J",
        semester,
        "2026-11-29",
        "0" * 64,
        "1",
        "t",
        4,
        4,
        0,
        0,
        "[/]x\x1b[2J.csv",
    )
    labels = {"website": "Phí $5 [link=http://evil.example]và[/link] $10"}
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=300, color_system="truecolor")
    rows = trend_rows({run.unit_id: trend}, {(run.unit_id, semester): run})
    console.print(trend_table(rows, load_translator("en"), labels, show_units=True))
    words = " ".join(buffer.getvalue().split())
    assert "Phí $5 [link=http://evil.example]và[/link] $10" in words
    assert "[/]x" in words and "u[/]" in words and "\x1b[2J" not in buffer.getvalue()


def test_terminal_text_takes_any_value() -> None:
    assert terminal_text(Path("/tmp/a\x1b[2Jb")) == "/tmp/ab"
    assert terminal_text(12) == "12"


RULEBOOK = """\
version = "t"

[[criteria]]
id = "ioffice"
label = {{ vi = "{label}" }}
levels = ["thcs"]
target = {target}
conditions = [{{ field = "{field}", op = "gte", value = {value} }}]
legal_basis = {{ vi = "Kế hoạch 4291/KH-UBND" }}
remediation = {{ vi = "Dùng iOffice" }}
"""


def rulebook_file(tmp_path: Path, **values: str) -> Path:
    fields = {"label": "iOffice", "target": "100", "field": "ioffice_share", "value": "90"}
    path = tmp_path / "rules.toml"
    path.write_text(RULEBOOK.format(**{**fields, **values}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ioffice_share", "nan"),
        ("ioffice_share", "inf"),
        ("ioffice_share", "-inf"),
        ("ioffice_share", "1e28"),
        ("ioffice_share", "100.5"),
        ("ioffice_share", "-1"),
        ("computers", "1e28"),
        ("computers", "1" + "0" * 400),  # float() of it would overflow
    ],
)
def test_rulebook_values_must_be_finite_and_sane(tmp_path: Path, field: str, value: str) -> None:
    path = rulebook_file(tmp_path, field=field, value=value)
    with pytest.raises(RulebookError) as caught:
        load_rulebook(path)
    message = str(caught.value)
    assert str(path) in message and "criterion 'ioffice'" in message
    assert "'value' must be a number from 0 to" in message


@pytest.mark.parametrize("target", ["nan", "inf", "-inf", "1e28"])
def test_rulebook_targets_must_be_finite(tmp_path: Path, target: str) -> None:
    with pytest.raises(RulebookError, match="'target' must be a number from 0 to 100"):
        load_rulebook(rulebook_file(tmp_path, target=target))


def test_rulebook_values_at_the_edges_load(tmp_path: Path) -> None:
    assert (
        load_rulebook(rulebook_file(tmp_path, value="100")).criteria[0].conditions[0].value == 100
    )
    rules = load_rulebook(rulebook_file(tmp_path, field="computers", value="1000000"))
    assert rules.criteria[0].conditions[0].value == 1_000_000


def test_chart_prints_dollar_signs_literally(tmp_path: Path) -> None:
    rulebook = load_rulebook(rulebook_file(tmp_path, label="Phí $5 và $10"))
    trend = [TrendPoint("2026-2027/HK1", "ioffice", 3, 4)]
    svg = draw_trend(trend, rulebook, load_translator("vi"), ("svg",))["svg"]
    assert ">Phí $5 và $10</text>" in svg.decode()  # the label's text, not only its comment


def test_one_zip_pinner_dates_entries_and_properties(tmp_path: Path) -> None:
    day = dt.date(2026, 11, 29)
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_intake_template(first, load_translator("vi"), day, columns=COLUMNS)
    write_intake_template(second, load_translator("vi"), day, columns=COLUMNS)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 11, 29, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2026-11-29T00:00:00Z") == 2  # created and modified
    other = pinned_zip(first.read_bytes(), dt.datetime(2027, 1, 2))
    with zipfile.ZipFile(io.BytesIO(other)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2027, 1, 2, 0, 0, 0)}
        assert "2027-01-02T00:00:00Z" in archive.read("docProps/core.xml").decode()


def test_atomic_write_cleans_its_temporary_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "folder"
    target.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        write_atomic(target, b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]
    assert list(target.iterdir()) == []


def test_workers_beyond_the_cores_are_capped_with_a_sentence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    cores = default_workers()
    assert capped_workers(None, False, "en") == cores
    assert capped_workers(cores + 60, False, "en") == cores
    said = capsys.readouterr().err
    assert f"Using {cores} render processes, not {cores + 60}: this machine has" in said
    assert "--force-workers" in said
    assert capped_workers(cores + 60, True, "en") == cores + 60  # forced
    assert capped_workers(1, False, "en") == 1
    assert capsys.readouterr().err == ""


def test_atomic_writes_get_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    target = tmp_path / "a.pdf"
    write_atomic(target, b"%PDF")
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any user's file
