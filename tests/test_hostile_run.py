"""A whole `checker run` on hostile school data (issue 15): it completes, and nothing it writes
or prints is live (formulas, control characters, terminal escapes, markup)."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import signal
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import (
    DATED_QUIET,
    SAMPLE,
    pdf_text,
    run_checker,
    run_semester,
    school,
    start_checker,
    write_csv,
)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")

HOSTILE_ROWS = [
    school(school_id="A1", school_name='=HYPERLINK("http://evil.example","x")'),
    school(school_id="A2", school_name="Trường\x07 [/] [link=http://evil.example]x[/link]"),
    school(school_id="A3", school_name="\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"),
    school(school_id="A4", school_name="+1+1", computers="=cmd|' /C calc'!A0"),
    school(school_id="A5", school_name="@SUM(1)", ioffice_share="-5\x07"),
]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    source = write_csv(folder / "in.csv", HOSTILE_ROWS)
    result = run_semester(
        source, "2026-2027/HK1", folder / "out", folder / "h.db", *DATED_QUIET, cwd=folder
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return folder


def test_a_hostile_table_gives_every_output(hostile_run: Path) -> None:
    out = hostile_run / "out"
    assert sorted(p.stem for p in (out / "scorecards").glob("*.pdf")) == [
        r["school_id"] for r in HOSTILE_ROWS
    ]
    for name in ("summary.pdf", "results.csv", "results.json", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    for name in ("data-quality.csv", "data-quality.xlsx"):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.parametrize("name", ["results.csv", "data-quality.csv"])
def test_no_csv_field_starts_a_formula_or_holds_a_control_character(
    hostile_run: Path, name: str
) -> None:
    text = (hostile_run / "out" / name).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    fields = [field for row in rows for field in row]
    assert len(rows) > 1
    assert not [f for f in fields if FORMULA_START.match(f)]
    assert not [f for f in fields if CONTROL.search(f)]
    assert any(f.startswith("'") for f in fields)  # the hostile names are there, prefixed


def test_no_live_formula_or_control_character_in_the_workbook(hostile_run: Path) -> None:
    with zipfile.ZipFile(hostile_run / "out" / "data-quality.xlsx") as archive:
        for member in archive.namelist():
            content = archive.read(member)
            assert not re.search(rb"<f[ >]", content), f"a formula in {member}"
            assert not CONTROL.search(content.decode("utf-8", "replace")), member


def test_no_control_character_or_escape_in_the_pdfs(hostile_run: Path) -> None:
    out = hostile_run / "out"
    for pdf in [*sorted((out / "scorecards").glob("*.pdf")), out / "summary.pdf"]:
        text = pdf_text(pdf)
        assert not CONTROL.search(text.replace("\x0c", "")), pdf.name  # form feed: page break
    assert "click" in pdf_text(out / "scorecards" / "A3.pdf")  # the name, without its escapes
    assert "[link=http://evil.example]x[/link]" in pdf_text(out / "scorecards" / "A2.pdf")


def test_results_json_keeps_the_values_for_machines(hostile_run: Path) -> None:
    import json

    payload = json.loads((hostile_run / "out" / "results.json").read_text(encoding="utf-8"))
    names = {s["school_id"]: s["school_name"] for s in payload["schools"]}
    assert names["A1"] == '=HYPERLINK("http://evil.example","x")'


def test_history_prints_a_markup_name_literally(hostile_run: Path) -> None:
    result = run_checker("history", "--db", hostile_run / "h.db", "--school", "A2", cwd=hostile_run)
    assert result.returncode == 0, result.stderr
    assert "[link=http://evil.example]x[/link]" in " ".join(result.stdout.split())
    assert not CONTROL.search(result.stdout)
    other = run_checker("history", "--db", hostile_run / "h.db", "--school", "A3", cwd=hostile_run)
    assert other.returncode == 0, other.stderr
    assert "\x1b" not in other.stdout and "click" in other.stdout


@pytest.mark.parametrize("day", ["2108-01-01", "9999-12-31", "1979-12-31"])
def test_a_date_out_of_range_is_refused_with_a_sentence(tmp_path: Path, day: str) -> None:
    source = write_csv(tmp_path / "in.csv", [school()])
    result = run_checker(
        "run", source, "--semester", "2026-2027/HK1", "--out", tmp_path / "out", "--date", day,
        "--lang", "en", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"{day} is out of range: choose a day from 1980-01-01 to 2107-12-31." in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def children_of(pid: int) -> set[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_do_not_outlive_a_killed_run(tmp_path: Path) -> None:
    process = start_checker(
        "run", SAMPLE / "giong_trom_2026-2027_HK1.xlsx", "--semester", "2026-2027/HK1",
        "--out", tmp_path / "out", "--db", tmp_path / "h.db", "--workers", "2", "--quiet",
        cwd=tmp_path, new_session=True,
    )  # fmt: skip
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 3:  # the validator + 2 renderers
            workers |= children_of(process.pid)
            time.sleep(0.1)
        assert len(workers) >= 3, "the run did not start its workers"
        time.sleep(1)  # let the workers settle into their start-up
        os.kill(process.pid, signal.SIGKILL)  # the main process only
        assert process.wait().returncode == -signal.SIGKILL
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(p) for p in workers):
            time.sleep(0.2)
        assert not [p for p in workers if alive(p)], "orphaned workers"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
