"""Regenerate the sample tables in sample_data/ from bench/synthetic.py.

    .venv/bin/python bench/make_sample_data.py [--out DIR]

Writes the same 45 fictitious Giồng Trôm schools for three semesters, oldest first:
2025-2026 HK1 and HK2 as CSV (for history demos) and 2026-2027 HK1, the current semester, as
the office's XLSX workbook and as CSV. Running it again gives byte-identical files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from synthetic import generate_district, write_district  # bench/synthetic.py

SAMPLE_DATA_DIR = Path(__file__).resolve().parent.parent / "sample_data"

N_SCHOOLS = 45
# The seed whose district tells a good story: every criterion has schools that meet it, schools
# that do not, and a missing value or two; the district improves from semester to semester.
SAMPLE_SEED = 1

# (semester, semester_index, file stem, extensions), oldest first.
SEMESTERS: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("2025-2026/HK1", 0, "giong_trom_2025-2026_HK1", (".csv",)),
    ("2025-2026/HK2", 1, "giong_trom_2025-2026_HK2", (".csv",)),
    ("2026-2027/HK1", 2, "giong_trom_2026-2027_HK1", (".xlsx", ".csv")),
)


def make_sample_data(out_dir: Path = SAMPLE_DATA_DIR) -> list[Path]:
    """Write every sample file into out_dir and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for semester, index, stem, extensions in SEMESTERS:
        frame = generate_district(N_SCHOOLS, seed=SAMPLE_SEED, semester_index=index)
        for extension in extensions:
            path = out_dir / f"{stem}{extension}"
            write_district(frame, path, semester=semester)
            written.append(path)
    return written


def main() -> None:
    """Command line: regenerate the files and list them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DATA_DIR, help="folder to write to")
    args = parser.parse_args()
    for path in make_sample_data(args.out):
        print(path)


if __name__ == "__main__":
    main()
