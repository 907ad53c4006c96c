"""The office's working folder: its own editable copies of the settings the checker ships.

`checker init [DIR]` copies the office settings example and the rulebook and intake checks
into DIR, laid out as in the source repository (`office.toml`, `expectations/rulebook.toml`,
`expectations/intake_suite.json`); `checker run` then uses the copies found in the folder it
runs in, and the package's own files for the rest. An explicit `--rules` or `--office` wins.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from checker import paths

# Where each editable setting goes in a working folder, and which shipped file it copies.
OFFICE_FILE = Path("office.toml")
RULEBOOK_FILE = Path("expectations") / "rulebook.toml"
INTAKE_SUITE_FILE = Path("expectations") / "intake_suite.json"
SHIPPED = {
    OFFICE_FILE: paths.DEFAULT_OFFICE,
    RULEBOOK_FILE: paths.DEFAULT_RULEBOOK,
    INTAKE_SUITE_FILE: paths.INTAKE_SUITE,
}
SAMPLE_FOLDER = Path("sample_data")


@dataclass(frozen=True)
class Settings:
    """The settings files one run uses, and which of them came from the working folder."""

    rules_path: Path
    office_path: Path
    suite_path: Path
    from_folder: tuple[Path, ...]  # relative to the working folder, in SHIPPED's order


def run_settings(folder: Path, rules_path: Path | None, office_path: Path | None) -> Settings:
    """The rulebook, office settings and intake suite for a run in `folder`: an explicit path
    first, else the folder's own copy when there is one, else the file the package ships."""
    explicit = {RULEBOOK_FILE: rules_path, OFFICE_FILE: office_path, INTAKE_SUITE_FILE: None}
    chosen: dict[Path, Path] = {}
    local: list[Path] = []
    for relative, shipped in SHIPPED.items():
        given = explicit[relative]
        if given is not None:
            chosen[relative] = given
        elif (folder / relative).is_file():
            chosen[relative] = folder / relative
            local.append(relative)
        else:
            chosen[relative] = shipped
    return Settings(
        rules_path=chosen[RULEBOOK_FILE],
        office_path=chosen[OFFICE_FILE],
        suite_path=chosen[INTAKE_SUITE_FILE],
        from_folder=tuple(local),
    )


def sample_files() -> list[Path]:
    """The bundled sample district's files (tables and their README)."""
    return sorted(p for p in paths.SAMPLE_DATA_DIR.iterdir() if p.is_file() and p.suffix != ".py")


def init_folder(folder: Path, with_sample: bool) -> tuple[list[Path], list[Path]]:
    """Copy the shipped settings (and, if asked, the sample district) into `folder`.

    A file already there is the office's own and is never overwritten. Returns the files
    written and the files kept, relative to `folder`. OSError if the folder cannot be written.
    """
    wanted = dict(SHIPPED)
    if with_sample:
        wanted.update({SAMPLE_FOLDER / p.name: p for p in sample_files()})
    written: list[Path] = []
    kept: list[Path] = []
    for relative, source in wanted.items():
        target = folder / relative
        if target.exists():
            kept.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(relative)
    return written, kept
