"""`checker run` and its output folder, end to end (issue 15): refusals are one sentence with
exit 2 and nothing written; two runs into one folder never break each other."""

from __future__ import annotations

import hashlib
import json
import resource
import signal
import time
from pathlib import Path

from conftest import (
    Finished,
    check_table,
    run_checker,
    sample_part,
    school,
    start_checker,
    write_csv,
)


def refused(result: Finished, says: str) -> None:
    """Exit 2 with one plain sentence saying `says`."""
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_an_input_lying_in_the_output_folder_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = write_csv(out / "results.csv", [school()])  # the office saved its table there
    before = source.read_bytes()
    result = check_table(source, tmp_path, "--lang", "en")
    refused(result, "holds files checker did not write (results.csv)")
    assert source.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["results.csv"]
    assert not (tmp_path / "h.db").exists()  # nothing written, the history included


def test_a_symlinked_scorecards_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".08304007.pdf.1.part").write_bytes(b"someone else's")
    out = tmp_path / "out"
    out.mkdir()
    (out / "scorecards").symlink_to(elsewhere, target_is_directory=True)
    result = check_table(write_csv(tmp_path / "in.csv", [school()]), tmp_path, "--lang", "en")
    refused(result, "holds a symbolic link (scorecards)")
    assert [p.name for p in elsewhere.iterdir()] == [".08304007.pdf.1.part"]


def test_a_history_database_inside_the_output_folder_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [school()])
    result = run_checker(
        "run", source, "--semester", "2026-2027/HK1", "--out", tmp_path / "out",
        "--db", tmp_path / "out" / "results.csv", "--lang", "en", cwd=tmp_path,
    )  # fmt: skip
    refused(result, "is inside the output folder")
    assert not (tmp_path / "out").exists()


def test_two_runs_into_one_folder_both_finish_or_the_second_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = sample_part("giong_trom_2026-2027_HK1.csv", tmp_path)
    arguments = [
        "run", str(source), "--semester", "2026-2027/HK1", "--out", str(out),
        "--db", str(tmp_path / "h.db"), "--date", "2026-11-29", "--quiet", "--lang", "en",
    ]  # fmt: skip
    first = start_checker(*arguments, cwd=tmp_path)
    try:
        staging = out / f".checker-run-{first.pid}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None and not staging.exists():
            time.sleep(0.05)
        second = run_checker(*arguments, cwd=tmp_path)  # here, while the first one runs
    finally:  # even if the second run fails the test: the first ends, its output folder goes
        first_done = first.wait()
    assert first_done.returncode == 0, first_done.stderr
    if second.returncode != 0:  # it came while the first was running: refused, nothing broken
        refused(second, f"is in use by another checker run (process {first.pid})")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    schools = len(source.read_text(encoding="utf-8").splitlines()) - 1
    assert len([name for name in manifest["outputs"] if name.startswith("scorecards/")]) == schools
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert not list(out.glob(".checker*"))


def test_a_template_path_that_cannot_be_written_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    for target in (tmp_path / "a-file" / "form.xlsx", tmp_path / ("y" * 300 + ".xlsx")):
        refused(run_checker("template", target, "--lang", "en", cwd=tmp_path), str(target))
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]


def small_file_limit() -> None:
    """In the child: files cannot grow past 20 kB (a "full disk" for a 30 kB PDF), and going
    past the limit is an error (EFBIG) rather than a signal."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(
        resource.RLIMIT_FSIZE, (20_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1])
    )


def test_a_disk_failing_mid_run_is_one_sentence_and_keeps_the_previous_outputs(
    tmp_path: Path,
) -> None:
    source = write_csv(tmp_path / "in.csv", [school()])
    first = check_table(source, tmp_path, "--quiet")
    assert first.returncode == 0, first.stderr
    out = tmp_path / "out"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = start_checker(
        "run", source, "--semester", "2026-2027/HK1", "--out", out, "--db", tmp_path / "h.db",
        "--workers", "1", "--quiet", "--lang", "en", "--date", "2026-11-30",
        cwd=tmp_path, prepare=small_file_limit,
    ).wait()  # fmt: skip
    assert second.returncode == 1, second.stderr
    # Whichever write fails first: an output (File too large) or a worker's own start-up
    # (WeasyPrint writes the fonts it loads to temporary files).
    said = ("failed: File too large.", "stopped unexpectedly (out of memory or disk space?)")
    assert any(sentence in second.stderr for sentence in said), second.stderr
    assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert not list(out.glob(".checker*"))
