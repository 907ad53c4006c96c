"""The output folder (issue 15): a run touches only its own files, one run at a time."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from checker.outdir import (
    LOCK_NAME,
    OutputFailed,
    OutputRefused,
    claimed_output,
    safe_relative,
)


def run_into(out: Path, files: dict[str, bytes], db: Path | None = None) -> None:
    """A run's writing, as run.py does it: every file, then a manifest naming them."""
    with claimed_output(out, db) as staging:
        hashes = {name: staging.write(name, data) for name, data in files.items()}
        manifest = {"checker_version": "t", "run_id": "r", "outputs": hashes}
        staging.write("manifest.json", json.dumps(manifest).encode())
        staging.commit()


def listing(folder: Path) -> list[str]:
    """Every path under `folder`, hidden ones included."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


FIRST = {"scorecards/A1.pdf": b"%PDF-a1", "scorecards/A2.pdf": b"%PDF-a2", "results.csv": b"x"}


@pytest.fixture
def previous_run(tmp_path: Path) -> Iterator[Path]:
    out = tmp_path / "out"
    run_into(out, FIRST)
    yield out


def test_a_run_leaves_only_its_outputs(previous_run: Path) -> None:
    assert listing(previous_run) == [
        "manifest.json",
        "results.csv",
        "scorecards",
        "scorecards/A1.pdf",
        "scorecards/A2.pdf",
    ]  # no lock file, no staging folder, no temporary file


def test_a_rerun_replaces_the_previous_outputs_and_drops_those_gone(previous_run: Path) -> None:
    run_into(previous_run, {"scorecards/A1.pdf": b"%PDF-new", "results.csv": b"y"})
    assert (previous_run / "scorecards" / "A1.pdf").read_bytes() == b"%PDF-new"
    assert not (previous_run / "scorecards" / "A2.pdf").exists()  # the school left the table
    assert (
        "scorecards/A2.pdf"
        not in json.loads((previous_run / "manifest.json").read_text())["outputs"]
    )


def test_a_school_s_data_quality_file_goes_when_its_data_is_fixed(previous_run: Path) -> None:
    run_into(
        previous_run, {**FIRST, "data-quality/A1.xlsx": b"PK-a1", "data-quality/A2.xlsx": b"PK"}
    )
    assert (previous_run / "data-quality" / "A1.xlsx").read_bytes() == b"PK-a1"
    run_into(previous_run, {**FIRST, "data-quality/A2.xlsx": b"PK-a2"})  # A1 fixed its figures
    assert listing(previous_run / "data-quality") == ["A2.xlsx"]
    run_into(previous_run, FIRST)  # every school fixed: no folder left behind
    assert listing(previous_run) == listing_of_first_run()


def listing_of_first_run() -> list[str]:
    """What the first run of FIRST leaves in its output folder."""
    return ["manifest.json", "results.csv", "scorecards", "scorecards/A1.pdf", "scorecards/A2.pdf"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("data-quality/notes.txt", b"the office's own notes"),
        ("results.csv", b"an input the office saved here"),  # same name as an output, not ours
        ("bang_so_lieu.xlsx", b"PK"),
        ("scorecards/notes.txt", b"notes"),
        (".hidden.part", b"someone else's temporary file"),
    ],
)
def test_a_folder_with_files_checker_did_not_write_is_refused(
    previous_run: Path, name: str, content: bytes
) -> None:
    (previous_run / name).parent.mkdir(exist_ok=True)
    (previous_run / name).write_bytes(content)
    before = {p: p.read_bytes() for p in previous_run.rglob("*") if p.is_file()}
    with pytest.raises(OutputRefused) as caught:
        run_into(previous_run, {"results.csv": b"z"})
    assert name in str(caught.value) and "did not write" in str(caught.value)
    assert {p: p.read_bytes() for p in previous_run.rglob("*") if p.is_file()} == before


def test_a_folder_never_written_by_checker_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_bytes(b"PK")
    with pytest.raises(OutputRefused, match=r"thesis\.docx"):
        run_into(tmp_path, FIRST)
    assert listing(tmp_path) == ["thesis.docx"]


def test_a_forged_manifest_does_not_make_a_file_checker_s(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_bytes(b"mine")
    forged = {"checker_version": "t", "run_id": "r", "outputs": {"precious.txt": "0" * 64}}
    (tmp_path / "manifest.json").write_text(json.dumps(forged))
    with pytest.raises(OutputRefused, match=r"precious\.txt"):
        run_into(tmp_path, FIRST)
    assert (tmp_path / "precious.txt").read_bytes() == b"mine"


def test_a_symlinked_scorecards_folder_is_refused_and_never_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".A1.pdf.123.part").write_bytes(b"someone's file")
    (elsewhere / "A1.pdf").write_bytes(b"someone's file")
    out = tmp_path / "out"
    out.mkdir()
    (out / "scorecards").symlink_to(elsewhere)
    with pytest.raises(OutputRefused, match="symbolic link"):
        run_into(out, FIRST)
    assert listing(elsewhere) == [".A1.pdf.123.part", "A1.pdf"]
    assert (elsewhere / "A1.pdf").read_bytes() == b"someone's file"


def test_a_symlinked_output_file_is_refused(previous_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    target.write_bytes(b"keep")
    (previous_run / "results.csv").unlink()
    (previous_run / "results.csv").symlink_to(target)
    with pytest.raises(OutputRefused, match="symbolic link"):
        run_into(previous_run, FIRST)
    assert target.read_bytes() == b"keep"


@pytest.mark.parametrize("db", ["out/h.db", "out/results.csv", "out/scorecards/x.db", "out"])
def test_a_history_database_inside_the_output_folder_is_refused(tmp_path: Path, db: str) -> None:
    with pytest.raises(OutputRefused, match="is inside the output folder"):
        run_into(tmp_path / "out", FIRST, tmp_path / db)
    assert not (tmp_path / "out").exists()


def test_a_second_run_into_a_busy_folder_is_refused_naming_the_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with claimed_output(out) as staging:
        staging.write("results.csv", b"first")
        with pytest.raises(OutputRefused) as caught:
            run_into(out, {"results.csv": b"second"})
        assert f"process {os.getpid()}" in str(caught.value)
        staging.commit()
    assert (out / "results.csv").read_bytes() == b"first"


def test_a_dead_run_s_lock_and_staging_folder_are_taken_over(previous_run: Path) -> None:
    # What a kill -9 leaves: the lock file naming a dead pid and the staging folder, with the
    # dead run half way through moving its outputs (results.csv already moved).
    dead = previous_run / ".checker-run-999999"
    (dead / "scorecards").mkdir(parents=True)
    (dead / "scorecards" / "A1.pdf").write_bytes(b"%PDF-half")
    moved = b"moved"
    (previous_run / "results.csv").write_bytes(moved)
    staged = {"results.csv": hashlib.sha256(moved).hexdigest()}
    manifest = {"checker_version": "t", "run_id": "d", "outputs": staged}
    (dead / "manifest.json").write_text(json.dumps(manifest))
    (previous_run / LOCK_NAME).write_text("999999\n")
    run_into(previous_run, {"results.csv": b"z"})
    assert not dead.exists()
    assert not (previous_run / LOCK_NAME).exists()
    assert (previous_run / "results.csv").read_bytes() == b"z"


@pytest.mark.parametrize(
    "make_out",
    [
        lambda tmp: tmp / "a-file" / "out",  # below a file
        lambda tmp: tmp / "a-file",  # a file
        lambda tmp: tmp / ("x" * 300),  # a name too long
    ],
    ids=["below-a-file", "a-file", "too-long"],
)
def test_an_unusable_output_folder_is_refused(tmp_path: Path, make_out: object) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    out = make_out(tmp_path)  # type: ignore[operator]
    with pytest.raises(OutputRefused, match="cannot be used"):
        run_into(out, FIRST)
    assert listing(tmp_path) == ["a-file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(OutputRefused, match="cannot be used"):
            run_into(out, FIRST)
    finally:
        out.chmod(0o700)


def test_a_write_failing_mid_run_is_one_sentence_and_leaves_the_previous_outputs(
    previous_run: Path,
) -> None:
    before = {p: p.read_bytes() for p in previous_run.rglob("*") if p.is_file()}
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, limit[1]))  # a "full disk"
    try:
        with pytest.raises(OutputFailed, match="failed: File too large"):
            run_into(previous_run, {"scorecards/A1.pdf": b"%PDF" + b"x" * 10_000})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, handler)
    assert {p: p.read_bytes() for p in previous_run.rglob("*") if p.is_file()} == before
    assert not list(previous_run.glob(".checker*"))


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("scorecards/A1.pdf", True),
        ("summary.pdf", True),
        ("../x.pdf", False),
        ("scorecards/../../x", False),
        ("/etc/passwd", False),
        ("a\\b", False),
        ("", False),
        ("a//b", False),
    ],
)
def test_only_paths_inside_the_folder_are_output_paths(name: str, safe: bool) -> None:
    assert (safe_relative(name) is not None) == safe


@pytest.mark.parametrize(
    ("url", "expected"),
    [("://", None), ("postgresql://u@h/db", None), ("sqlite:////tmp/h.db", Path("/tmp/h.db"))],
)
def test_the_database_file_checked_against_the_output_folder(url: str, expected: object) -> None:
    from checker.run import database_file

    assert database_file(url) == expected
