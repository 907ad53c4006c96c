"""`checker run` refusing unusable input files (issues 9 and 15): exit 2, one sentence naming
the file, nothing written; and the sheet read said on the terminal and in the manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import openpyxl
from conftest import GOOD_SCHOOL, HEADERS, SAMPLE, check_table, run_semester
from shipped import COLUMNS


def assert_refused(result: object, tmp_path: Path, *fragments: str) -> str:
    """Exit 2, one line on stderr holding `fragments`, nothing on stdout, nothing written."""
    assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""  # type: ignore[attr-defined]
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "h.db").exists()
    return str(lines[0])


def test_a_workbook_titled_for_another_semester_is_refused(tmp_path: Path) -> None:
    source = SAMPLE / "giong_trom_2026-2027_HK1.xlsx"
    out, db = tmp_path / "out", tmp_path / "h.db"

    result = run_semester(source, "2025-2026/HK2", out, db, "--quiet", "--lang", "en", cwd=tmp_path)

    line = assert_refused(result, tmp_path, "giong_trom_2026-2027_HK1.xlsx")
    assert "titled for 2026-2027/HK1" in line
    assert "--semester is 2025-2026/HK2" in line


def test_a_pipe_as_rulebook_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "rules.toml"
    os.mkfifo(fifo)
    source = tmp_path / "t.csv"
    source.write_text(",".join(HEADERS) + "\n" + ",".join(GOOD_SCHOOL.values()) + "\n")

    result = check_table(source, tmp_path, "--rules", str(fifo), "--quiet", "--lang", "en")

    assert_refused(result, tmp_path, "rules.toml is not a regular file")


def test_the_named_sheet_is_read_said_and_recorded_and_long_values_are_cut(
    tmp_path: Path,
) -> None:
    workbook = openpyxl.Workbook()
    old = workbook.active
    assert old is not None
    old.title = "HK2 năm trước"
    current = workbook.create_sheet("HK1")
    for sheet in (old, current):
        sheet.append(HEADERS)
    old.append(list(GOOD_SCHOOL.values()))
    current.append([GOOD_SCHOOL[c.key] if c.key != "principal" else "N" * 3000 for c in COLUMNS])
    source = tmp_path / "hai_bang.xlsx"
    workbook.save(source)

    refused = check_table(source, tmp_path, "--quiet", "--lang", "en")
    assert_refused(refused, tmp_path, "hai_bang.xlsx", '"HK2 năm trước", "HK1"', "--sheet")
    result = check_table(source, tmp_path, "--sheet", "HK1", "--lang", "en")

    assert result.returncode == 0, result.stderr
    assert "Sheet read: HK1" in result.stdout
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["input"]["sheet"] == "HK1"
    quality = (tmp_path / "out" / "data-quality.csv").read_text(encoding="utf-8-sig")
    assert "N" * 60 + "…" in quality
    assert "N" * 61 not in quality


def test_a_bad_limit_setting_is_a_usage_error(tmp_path: Path) -> None:
    source = tmp_path / "t.csv"
    source.write_text(",".join(HEADERS) + "\n")

    result = check_table(source, tmp_path, "--limit", "rows=many")

    assert result.returncode == 2
    assert "rows=many" in result.stderr
    assert not (tmp_path / "out").exists()
