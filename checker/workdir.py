"""The office's working folder: its own editable copies of the settings the checker ships.

`checker init [DIR]` copies the office settings example and the rulebooks into DIR, laid out as
in the source repository (`office.toml`, `expectations/rulebook.toml` — the local plan, and
`expectations/qd4725.toml` — the national index); `checker run` then uses the copies found in
the folder it runs in, and the package's own files for the rest. An explicit `--rules` or
`--office` wins. The intake checks are generated from the rulebook's fields: no file of their
own.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from checker import paths

# Where each editable setting goes in a working folder, and which shipped file it copies.
OFFICE_FILE = Path("office.toml")
RULEBOOK_FILE = Path("expectations") / "rulebook.toml"
INDEX_FILE = Path("expectations") / "qd4725.toml"
SHIPPED = {
    OFFICE_FILE: paths.DEFAULT_OFFICE,
    RULEBOOK_FILE: paths.DEFAULT_RULEBOOK,
    INDEX_FILE: paths.QD4725_RULEBOOK,
}
SAMPLE_FOLDER = Path("sample_data")


@dataclass(frozen=True)
class Settings:
    """The settings files one run uses, and which of them came from the working folder."""

    rules_paths: tuple[Path, ...]
    office_path: Path
    from_folder: tuple[Path, ...]  # relative to the working folder, in SHIPPED's order


def run_settings(folder: Path, rules_paths: tuple[Path, ...], office_path: Path | None) -> Settings:
    """The rulebook(s) and office settings for a run in `folder`: the paths given first, else
    the folder's own copy when there is one, else the file the package ships (the local
    plan's rulebook)."""
    local: list[Path] = []

    def chosen(relative: Path, given: Path | None) -> Path:
        if given is not None:
            return given
        if (folder / relative).is_file():
            local.append(relative)
            return folder / relative
        return SHIPPED[relative]

    office = chosen(OFFICE_FILE, office_path)
    rules = rules_paths or (chosen(RULEBOOK_FILE, None),)
    return Settings(rules_paths=tuple(rules), office_path=office, from_folder=tuple(local))


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
