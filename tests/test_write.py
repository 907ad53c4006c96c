"""The write stage: outputs stay inside --out, are written whole, and are reproducible."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import freezegun
import pytest
from openpyxl import load_workbook

from checker.i18n import load_translator
from checker.model import Intake, Problem, RawTable, Verdict
from checker.outfiles import write_atomic
from checker.write import quality_xlsx, verdict_value


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.pdf"
    target.write_bytes(b"old")
    digest = write_atomic(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert digest == hashlib.sha256(b"%PDF-new").hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ioffice_share": 92.5}, "92.5"),
        ({"ioffice_share": 90.0}, "90"),
        ({"cashless_fees": True}, "yes"),
        ({"cashless_fees": None}, ""),
        ({"computer_rooms": 1, "computers": 19}, "computer_rooms=1;computers=19"),
    ],
)
def test_result_values_are_plain_text(values: dict[str, object], expected: str) -> None:
    assert verdict_value(Verdict("c", "met", values)) == expected  # type: ignore[arg-type]


def test_data_quality_workbook_is_byte_identical_for_the_same_day(tmp_path: Path) -> None:
    problem = Problem(
        12, "08304029", "Trường Tiểu học Tân Hào", "computers", "hai mươi", "not_a_number"
    )
    intake = Intake(RawTable(tmp_path / "x.csv", "0" * 64, 1, ()), (), (), (problem,))
    t = load_translator("vi")
    # Written at two different moments (openpyxl and zipfile read the clock): the same bytes.
    with freezegun.freeze_time("2027-01-05 08:00:00"):
        first = quality_xlsx(intake, t, dt.date(2026, 11, 29))
    with freezegun.freeze_time("2031-07-15 23:59:58"):
        second = quality_xlsx(intake, t, dt.date(2026, 11, 29))
    assert first == second
    times = {info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()}
    assert times == {(2026, 11, 29, 0, 0, 0)}
    # Pinned, not merely written within the same second: openpyxl stamps the time of saving.
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert core.count("2026-11-29T00:00:00Z") == 2  # created and modified
    sheet = load_workbook(io.BytesIO(first)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Mã trường"
    assert rows[1][:5] == (
        "08304029",
        "Trường Tiểu học Tân Hào",
        12,
        "Số máy tính cho học sinh",
        "hai mươi",
    )
    assert rows[1][5] == "Giá trị không phải là số"
