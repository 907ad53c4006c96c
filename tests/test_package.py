"""The checker as a package: its own files found as package data, `checker init`, a working
folder's settings, and the wheel installed for real into a fresh virtualenv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import (
    PROJECT,
    SAMPLE,
    pdf_text,
    run_checker,
    run_semester,
    sample_part,
)

from checker import paths
from checker.workdir import (
    INDEX_FILE,
    OFFICE_FILE,
    RULEBOOK_FILE,
    init_folder,
    run_settings,
)

SAMPLE_TABLE = "giong_trom_2026-2027_HK1.xlsx"


def test_package_data_is_the_repository_top_level_folders() -> None:
    # The editable install maps the sub-packages onto the repository's folders: one copy.
    assert paths.TEMPLATES_DIR.resolve() == PROJECT / "templates"
    assert paths.DEFAULT_RULEBOOK.resolve() == PROJECT / "expectations" / "rulebook.toml"
    assert paths.DEFAULT_OFFICE.resolve() == PROJECT / "office.toml"
    assert paths.SAMPLE_DATA_DIR.resolve() == SAMPLE
    assert (paths.LOCALE_DIR / "vi" / "LC_MESSAGES" / "checker.po").is_file()
    assert (paths.TEMPLATES_DIR / "fonts" / "DejaVuSans.ttf").is_file()


def test_init_writes_the_shipped_settings_and_keeps_existing_files(tmp_path: Path) -> None:
    folder = tmp_path / "office"
    written, kept = init_folder(folder, with_sample=False)
    assert written == [OFFICE_FILE, RULEBOOK_FILE, INDEX_FILE]
    assert kept == []
    assert (folder / RULEBOOK_FILE).read_bytes() == paths.DEFAULT_RULEBOOK.read_bytes()
    assert (folder / OFFICE_FILE).read_bytes() == paths.DEFAULT_OFFICE.read_bytes()
    assert not (folder / "sample_data").exists()

    (folder / OFFICE_FILE).write_text("# ours\n", encoding="utf-8")
    written, kept = init_folder(folder, with_sample=True)
    assert kept == [OFFICE_FILE, RULEBOOK_FILE, INDEX_FILE]
    assert (folder / OFFICE_FILE).read_text(encoding="utf-8") == "# ours\n"
    assert folder / "sample_data" / SAMPLE_TABLE in [folder / p for p in written]
    assert not (folder / "sample_data" / "__init__.py").exists()


def test_run_settings_prefer_explicit_then_folder_then_package(tmp_path: Path) -> None:
    shipped = run_settings(tmp_path, (), None)
    assert shipped.rules_paths == (paths.DEFAULT_RULEBOOK,)
    assert shipped.office_path == paths.DEFAULT_OFFICE
    assert shipped.from_folder == ()

    init_folder(tmp_path, with_sample=False)
    local = run_settings(tmp_path, (), None)
    assert local.rules_paths == (tmp_path / RULEBOOK_FILE,)
    assert local.office_path == tmp_path / OFFICE_FILE
    assert local.from_folder == (OFFICE_FILE, RULEBOOK_FILE)

    explicit = run_settings(tmp_path, (tmp_path / "other.toml", tmp_path / INDEX_FILE), None)
    assert explicit.rules_paths == (tmp_path / "other.toml", tmp_path / INDEX_FILE)
    assert explicit.from_folder == (OFFICE_FILE,)


def test_run_uses_the_working_folders_rulebook_and_says_so(tmp_path: Path) -> None:
    assert run_checker("init", tmp_path, "--lang", "en", cwd=tmp_path).returncode == 0
    rulebook = tmp_path / RULEBOOK_FILE
    version = tomllib.loads(rulebook.read_text(encoding="utf-8"))["version"]
    text = rulebook.read_text(encoding="utf-8")
    rulebook.write_text(text.replace(f'"{version}"', '"office-edit-1"', 1), encoding="utf-8")
    office = tmp_path / OFFICE_FILE
    office.write_text(
        office.read_text(encoding="utf-8").replace("Giồng Trôm", "Mỏ Cày Nam", 1),
        encoding="utf-8",
    )

    source = sample_part("giong_trom_2025-2026_HK1.csv", tmp_path, every=12)
    result = run_semester(
        source, "2025-2026/HK1", tmp_path / "out", tmp_path / "h.db", "--lang", "en", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    notice = "Using this folder's own settings: office.toml, expectations/rulebook.toml."
    assert result.stdout.count(notice) == 1
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rulebook"]["version"] == "office-edit-1"
    assert "Mỏ Cày Nam" in pdf_text(tmp_path / "out" / "summary.pdf")


def test_the_note_of_the_folders_settings_is_left_out_with_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from checker.cli import run_settings as settings_for_run

    init_folder(tmp_path, with_sample=False)
    monkeypatch.chdir(tmp_path)
    quiet = settings_for_run((), None, "en", quiet=True)
    assert capsys.readouterr().out == ""
    said = settings_for_run((), None, "en")
    assert capsys.readouterr().out.startswith("Using this folder's own settings: office.toml")
    assert quiet == said  # the same files either way


def test_init_refuses_a_folder_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_checker("init", blocker / "office", "--lang", "en", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr


def clean_environment() -> dict[str, str]:
    """The environment without anything pointing back into the checkout or the dev venv."""
    # PYTHONDONTWRITEBYTECODE too: an office's Python writes the bytecode of what it imports
    # once, and without it every run of the installed checker compiles Great Expectations anew.
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "CHECKER_DB", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"}
    return {key: value for key, value in os.environ.items() if key not in drop}


@pytest.mark.package
def test_wheel_installs_into_a_fresh_virtualenv_and_runs_the_sample(tmp_path: Path) -> None:
    env = clean_environment()
    dist = tmp_path / "dist"
    # The wheel only (not the sdist, then a wheel built from it), with this virtualenv's
    # setuptools (no throwaway build environment): what is checked is the wheel's content.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(PROJECT),
        ],
        check=True,
        capture_output=True,
        env=env,
        timeout=600,
    )
    (wheel,) = dist.glob("checker-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "checker/templates/scorecards.html",
        "checker/templates/fonts/DejaVuSans.ttf",
        "checker/expectations/rulebook.toml",
        "checker/expectations/qd4725.toml",
        "checker/examples/office.toml",
        "checker/locale/vi/LC_MESSAGES/checker.po",
        f"checker/sample_data/{SAMPLE_TABLE}",
    ):
        assert name in shipped, name

    # A real install with every dependency, nothing borrowed from the development virtualenv
    # or the checkout, by uv: the same resolution as pip's from the wheel's own metadata, with
    # the packages linked from uv's cache instead of unpacked one by one (seconds, not a
    # minute). Nothing is byte-compiled ahead; Python compiles what it imports.
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--python",
            str(target / "bin" / "python"),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=1800,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    checker = target / "bin" / "checker"

    def checker_in(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(checker), *map(str, args)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    where = subprocess.run(
        [
            str(target / "bin" / "python"),
            "-c",
            "import checker.paths as p; print(p.TEMPLATES_DIR, p.DEFAULT_RULEBOOK, p.LOCALE_DIR)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(path).is_relative_to(target) for path in where), where

    # `checker init --sample` writes the wheel's own copies of the settings and the sample.
    office = tmp_path / "office"
    assert checker_in(tmp_path, "init", office, "--sample").returncode == 0
    wheel_files = zipfile.ZipFile(wheel)
    for written, packaged in (
        (OFFICE_FILE, "checker/examples/office.toml"),
        (RULEBOOK_FILE, "checker/expectations/rulebook.toml"),
        (INDEX_FILE, "checker/expectations/qd4725.toml"),
        (Path("sample_data") / SAMPLE_TABLE, f"checker/sample_data/{SAMPLE_TABLE}"),
    ):
        assert (office / written).read_bytes() == wheel_files.read(packaged), written

    # A run in a bare folder: the package's defaults for everything (rulebook, office,
    # templates, fonts, translations), on a part of the sample with every level (the whole
    # district runs in-process in other tests; a run in an office's folder with its own
    # settings too: test_run_uses_the_working_folders_rulebook_and_says_so).
    bare = tmp_path / "elsewhere"
    bare.mkdir()
    part = sample_part("giong_trom_2026-2027_HK1.csv", bare)
    schools = len(part.read_text(encoding="utf-8").splitlines()) - 1
    # One render worker: each worker of a new install compiles and imports WeasyPrint itself
    # (2.5 s of CPU); several workers are the in-process runs' business.
    ran = checker_in(
        bare, "run", part, "--semester", "2026-2027/HK1", "--out", "out", "--lang", "en",
        "--workers", "1",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "own settings" not in ran.stdout
    assert f"Read {schools} rows: {schools} scorecards written + 0 rows rejected." in ran.stdout
    out = bare / "out"
    for name in (
        "summary.pdf",
        "results.csv",
        "results.json",
        "data-quality.xlsx",
        "manifest.json",
    ):
        assert (out / name).is_file(), name
    assert len(list((out / "scorecards").glob("*.pdf"))) == schools
    assert (bare / "checker.db").is_file()
    card = pdf_text(out / "scorecards" / "08304001.pdf")
    assert "Trường Mầm non Hoa Sen" in card
    assert "DIVISION OF EDUCATION" in card
