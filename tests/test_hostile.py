"""Hostile and broken input files (issue 15): bounded cost, nothing lost silently, a sentence.

The files are made here, small on disk and huge once unpacked or declared. Loading them runs in
a child process under resource limits (address space and CPU seconds, `resource.setrlimit`):
a reader that expanded what the file declares would be killed there, and the test would fail.
No wall-clock time is asserted.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hostile_files import (
    HEADERS,
    SCHOOL,
    ods_row,
    repeated,
    write_ods,
    write_xlsx,
    xlsx_row,
)
from shipped import COLUMNS, RULEBOOK

from checker.files import MSG_NOT_REGULAR, FileError
from checker.limits import (
    MSG_OVER_COLUMNS,
    MSG_OVER_MEMBER,
    MSG_OVER_ROWS,
    MSG_OVER_SHARED_STRINGS,
    Limits,
)
from checker.load import MSG_NOT_SPREADSHEET, LoadError, load_table
from checker.office import load_office
from checker.rulebook import load_rulebook

# What loading a hostile file may use, whatever it declares: a real 5,000-school table loads
# in about 60 MB and 2 CPU seconds here.
MEMORY_LIMIT = 400 * 1024 * 1024
CPU_SECONDS = 30

PROBE = """
import json, sys
from pathlib import Path
from checker.limits import parse_limits
from checker.load import LoadError, load_table
from checker.paths import DEFAULT_RULEBOOK
from checker.rulebook import load_rulebook
COLUMNS = load_rulebook(DEFAULT_RULEBOOK).columns
try:
    table = load_table(Path(sys.argv[1]), COLUMNS, parse_limits(sys.argv[2:]))
except LoadError as err:
    print(json.dumps({"msgid": err.msgid, "params": err.params}))
else:
    rows = [
        {"row": r.row_number, "id": r.cells["school_id"], "name": r.cells["school_name"],
         "cut": sorted(r.cut)}
        for r in table.rows
    ]
    print(json.dumps({"rows": rows}))
"""


def _bounded() -> None:
    """In the child: cap its address space and CPU time."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def load_bounded(path: Path, *limits: str) -> dict[str, Any]:
    """Load `path` in a child process under MEMORY_LIMIT and CPU_SECONDS; its outcome."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), *limits],
        capture_output=True,
        text=True,
        preexec_fn=_bounded,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""
    return dict(json.loads(done.stdout))


GOOD_ROW = {"row": 2, "id": "08304007", "name": SCHOOL[1], "cut": []}


def test_xlsx_declaring_48_million_empty_rows_costs_what_its_one_school_costs(
    tmp_path: Path,
) -> None:
    # A million empty rows written out, then one declared at row 48,000,000 (2.4 MB file).
    empty = (f'<row r="{n}"/>' for n in range(3, 1_000_003))
    rows = [xlsx_row(1, HEADERS), xlsx_row(2, SCHOOL), *empty]
    rows.append('<row r="48000000"><c r="XFD48000000"/></row>')
    path = write_xlsx(tmp_path / "rows.xlsx", {"Trường": rows})
    assert path.stat().st_size < 10 * 1024 * 1024

    assert load_bounded(path) == {"rows": [GOOD_ROW]}


def test_xlsx_with_more_shared_strings_than_the_limit_is_refused(tmp_path: Path) -> None:
    shared = repeated("<si><t>x</t></si>", 1_000_001)
    path = write_xlsx(tmp_path / "sst.xlsx", {"S": [xlsx_row(1, HEADERS)]}, shared=shared)

    outcome = load_bounded(path)

    assert outcome["msgid"] == MSG_OVER_SHARED_STRINGS
    assert outcome["params"] == {"file": "sst.xlsx", "limit": "1,000,000"}


def huge_cell_xlsx(path: Path, megabytes: int) -> Path:
    """One school whose name is `megabytes` MB of one letter (a file of a few hundred KB)."""
    start = xlsx_row(2, SCHOOL[:1])[: -len("</row>")]
    name = '<c r="B2" t="inlineStr"><is><t>'
    letters = ["A" * 65536] * (megabytes * 16)
    return write_xlsx(
        path, {"S": [xlsx_row(1, HEADERS), start, name, *letters, "</t></is></c></row>"]}
    )


@pytest.fixture(scope="module")
def cell_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One school whose name is 280 MB (made once: two tests load it, with two limits)."""
    return huge_cell_xlsx(tmp_path_factory.mktemp("xlsx") / "cell.xlsx", 280)


def test_one_280_mb_cell_is_refused_as_an_oversized_part(cell_xlsx: Path) -> None:
    assert cell_xlsx.stat().st_size < 1024 * 1024

    outcome = load_bounded(cell_xlsx)

    assert outcome["msgid"] == MSG_OVER_MEMBER
    assert outcome["params"] == {
        "file": "cell.xlsx",
        "limit": "100",
        "part": "xl/worksheets/sheet1.xml",
    }


def test_one_280_mb_cell_under_a_raised_part_limit_is_streamed_and_cut(cell_xlsx: Path) -> None:
    outcome = load_bounded(cell_xlsx, "member-mb=400")

    assert outcome == {
        "rows": [{"row": 2, "id": "08304007", "name": "A" * 60 + "…", "cut": ["school_name"]}]
    }


def huge_cell_ods(path: Path, megabytes: int) -> Path:
    """An ODS whose content.xml unpacks to `megabytes` MB: one cell of one letter."""
    second = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p>08304008'
        '</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>'
    )
    letters = ["B" * 65536] * (megabytes * 16)
    end = "</text:p></table:table-cell></table:table-row>"
    return write_ods(path, {"T": [ods_row(HEADERS), ods_row(SCHOOL), second, *letters, end]})


@pytest.fixture(scope="module")
def big_ods(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An ODS whose content.xml unpacks to 290 MB (made once: two tests load it)."""
    return huge_cell_ods(tmp_path_factory.mktemp("ods") / "big.ods", 290)


def test_ods_whose_content_unpacks_to_290_mb_is_refused(big_ods: Path) -> None:
    assert big_ods.stat().st_size < 1024 * 1024

    outcome = load_bounded(big_ods)

    assert outcome["msgid"] == MSG_OVER_MEMBER
    assert outcome["params"]["part"] == "content.xml"


def test_ods_290_mb_cell_under_a_raised_part_limit_is_streamed_and_cut(big_ods: Path) -> None:
    outcome = load_bounded(big_ods, "member-mb=400")

    assert outcome == {
        "rows": [
            GOOD_ROW,
            {"row": 3, "id": "08304008", "name": "B" * 60 + "…", "cut": ["school_name"]},
        ]
    }


def test_ods_row_of_data_repeated_past_the_row_limit_is_refused_before_expanding(
    tmp_path: Path,
) -> None:
    row = ods_row(SCHOOL).replace(
        "<table:table-row>", '<table:table-row table:number-rows-repeated="1000000000">'
    )
    path = write_ods(tmp_path / "repeat.ods", {"T": [ods_row(HEADERS), row]})

    outcome = load_bounded(path)

    assert outcome["msgid"] == MSG_OVER_ROWS
    assert outcome["params"] == {"file": "repeat.ods", "limit": "100,000"}


def test_data_beyond_the_column_limit_is_refused_with_its_row(tmp_path: Path) -> None:
    far = '<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>'
    path = write_xlsx(tmp_path / "wide.xlsx", {"S": [xlsx_row(1, HEADERS), far]})

    err = _load_error(path)

    assert err.msgid == MSG_OVER_COLUMNS
    assert err.params == {"file": "wide.xlsx", "limit": "1,024", "row": "2"}


def test_each_limit_is_configurable(tmp_path: Path) -> None:
    long_name = [*SCHOOL[:4], "N" * 36, *SCHOOL[5:]]  # a principal's name of 36 letters
    rows = [xlsx_row(1, HEADERS), xlsx_row(2, SCHOOL), xlsx_row(3, ["08304008", *long_name[1:]])]
    path = write_xlsx(tmp_path / "two.xlsx", {"S": rows})

    err = _load_error(path, Limits(rows=2))  # the header row and one school

    assert err.msgid == MSG_OVER_ROWS
    assert str(err) == (
        "The file two.xlsx has more than 2 rows with data in one sheet, the checker's limit "
        "(raise it with --limit rows=N if the table is real)."
    )
    table = load_table(path, COLUMNS, Limits(cell_chars=35))  # the longest header has 29 characters
    assert [sorted(r.cut) for r in table.rows] == [[], ["principal"]]
    assert table.rows[1].cells["principal"] == "N" * 35 + "…"
    assert load_table(path, COLUMNS).rows[1].cells["principal"] == "N" * 36


def _load_error(path: Path, limits: Limits | None = None) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load_table(path, COLUMNS, *(limits,) if limits else ())
    return caught.value


# --- Files that are not regular files ------------------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe nobody writes to: reading it would block for ever."""
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


def test_a_pipe_as_input_rulebook_or_office_settings_is_refused_without_blocking(
    fifo: Path,
) -> None:
    for load in (lambda p: load_table(p, COLUMNS), load_rulebook, lambda p: load_office(p, "vi")):
        with pytest.raises(FileError) as caught:
            load(fifo)
        assert caught.value.msgid == MSG_NOT_REGULAR
        assert str(caught.value).startswith("pipe.toml is not a regular file")


def test_dev_zero_as_input_rulebook_or_office_settings_is_refused() -> None:
    zero = Path("/dev/zero")
    for load in (lambda p: load_table(p, COLUMNS), load_rulebook, lambda p: load_office(p, "vi")):
        with pytest.raises(FileError) as caught:
            load(zero)
        assert caught.value.msgid == MSG_NOT_REGULAR
        assert caught.value.params == {"file": "zero"}


# --- Damaged and truncated workbooks ---------------------------------------------------------


def schools_ods(path: Path, count: int) -> Path:
    rows = [ods_row(HEADERS)] + [
        ods_row([f"S{n:03d}", f"Trường {n}", *SCHOOL[2:]]) for n in range(1, count + 1)
    ]
    return write_ods(path, {"T": rows})


def test_ods_cut_off_inside_school_11_of_45_is_refused(tmp_path: Path) -> None:
    whole = schools_ods(tmp_path / "whole.ods", 45)
    with zipfile.ZipFile(whole) as archive:
        content = archive.read("content.xml")
    cut_at = content.index(b"Tr\xc6\xb0\xe1\xbb\x9dng 11<")  # inside school 11
    cut = tmp_path / "cut.ods"
    with zipfile.ZipFile(cut, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content[:cut_at])

    assert len(load_table(whole, COLUMNS).rows) == 45
    err = _load_error(cut)
    assert err.msgid == MSG_NOT_SPREADSHEET
    assert err.params == {"file": "cut.ods"}


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_xlsx_and_ods_files_are_refused(tmp_path: Path, keep: float) -> None:
    ods = schools_ods(tmp_path / "full.ods", 45)
    xlsx = write_xlsx(tmp_path / "full.xlsx", {"S": [xlsx_row(1, HEADERS), xlsx_row(2, SCHOOL)]})
    for whole in (ods, xlsx):
        data = whole.read_bytes()
        short = tmp_path / f"short{whole.suffix}"
        short.write_bytes(data[: int(len(data) * keep)])
        assert _load_error(short).msgid == MSG_NOT_SPREADSHEET


def test_malformed_ods_xml_is_refused_and_nothing_is_printed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content><table:table-row>")

    assert _load_error(path).msgid == MSG_NOT_SPREADSHEET
    assert capfd.readouterr() == ("", "")


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    path = tmp_path / "laughs.xlsx"
    write_xlsx(path, {"S": [xlsx_row(1, HEADERS), xlsx_row(2, SCHOOL)]})
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = (
        laughs + sheet.replace("Hưng Nhượng<", "&lol2;<", 1)
    ).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)

    assert _load_error(path).msgid == MSG_NOT_SPREADSHEET


def test_a_cut_value_is_a_row_problem_and_the_school_keeps_its_card(tmp_path: Path) -> None:
    from checker.validate import validate_table

    long_name = [*SCHOOL[:1], "A" * 5000, *SCHOOL[2:]]
    rows = [xlsx_row(1, HEADERS), xlsx_row(2, long_name), xlsx_row(3, ["S2", *SCHOOL[1:]])]
    path = write_xlsx(tmp_path / "long.xlsx", {"S": rows})

    intake = validate_table(load_table(path, COLUMNS), RULEBOOK)

    assert [s.school_id for s in intake.schools] == ["08304007", "S2"]
    assert [(p.row_number, p.column, p.value, p.code) for p in intake.problems] == [
        (2, "school_name", "A" * 60 + "…", "too_long")
    ]


def test_phonetic_guides_are_not_part_of_a_cell_text(tmp_path: Path) -> None:
    name = (
        '<c r="B2" t="inlineStr"><is><r><t>Trường </t></r><rPh sb="0" eb="1"><t>ruby</t></rPh>'
        "<r><t>An Hóa</t></r></is></c>"
    )
    plain = f'<c r="B2" t="inlineStr"><is><t>{SCHOOL[1]}</t></is></c>'
    row = xlsx_row(2, SCHOOL).replace(plain, name)
    assert name in row
    path = write_xlsx(tmp_path / "ruby.xlsx", {"S": [xlsx_row(1, HEADERS), row]})

    assert load_table(path, COLUMNS).rows[0].cells["school_name"] == "Trường An Hóa"
