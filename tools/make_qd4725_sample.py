"""Write the sample district's table for the national index (QĐ 4725) beside the local plan's.

    .venv/bin/python tools/make_qd4725_sample.py

Reads sample_data/giong_trom_2026-2027_HK1.csv (the local plan's table) and writes
sample_data/giong_trom_2026-2027_HK1_qd4725.csv: the same schools and columns, then every
column expectations/qd4725.toml adds (its mandatory conditions and the points and evidence of
its self-scored items), filled with made-up but plausible answers, the same on every run (a
random generator seeded with each school's id). Preschools leave them blank: the index does
not cover them. A few answers are wrong on purpose (points above an item's maximum, points
without evidence), for the data-quality report.
"""

from __future__ import annotations

import csv
import random
from decimal import Decimal
from pathlib import Path

from checker import paths
from checker.rulebook import load_rulebook

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "sample_data" / "giong_trom_2026-2027_HK1.csv"
TARGET = ROOT / "sample_data" / "giong_trom_2026-2027_HK1_qd4725.csv"


def main() -> None:
    """Write TARGET from SOURCE and the shipped national index."""
    index = load_rulebook(paths.QD4725_RULEBOOK)
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header, schools = rows[0], rows[1:]
    known = set(header)
    added = [c for c in index.fields if c.header_vi not in known]
    with TARGET.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header + [c.header_vi for c in added])
        for school in schools:
            writer.writerow(school + answers(school[0], school[2], added))


def answers(school_id: str, level: str, columns: list) -> list[str]:
    """One school's answers to the added columns ('' for a preschool)."""
    if level in ("Mầm non", "Mẫu giáo"):
        return ["" for _ in columns]
    rng = random.Random(school_id)
    strength = rng.uniform(0.35, 0.95)  # how far along the school is
    cells: dict[str, str] = {}
    for column in columns:
        if column.kind == "yes_no":
            cells[column.key] = "Có" if rng.random() < strength + 0.1 else "Không"
        elif column.key.endswith("_points"):
            top = column.maximum or Decimal(0)
            earned = min(top, Decimal(round(float(top) * rng.uniform(strength - 0.3, 1.1))))
            cells[column.key] = str(max(earned, Decimal(0)))
        elif column.key.endswith("_evidence"):
            item = column.key.removesuffix("_evidence")
            given = cells.get(item + "_points", cells.get(item, ""))
            has = given not in ("", "0", "Không") and rng.random() < 0.99
            number = rng.randint(1, 99)
            cells[column.key] = f"{number}/KH-{school_id[-3:]}" if has else ""
    if school_id == "08304020":
        cells["qd_1_4_points"] = "12"  # above the item's 10 points
    if school_id == "08304031":
        cells["qd_2_3_5_evidence"] = ""  # points without evidence
    return [cells[c.key] for c in columns]


if __name__ == "__main__":
    main()
