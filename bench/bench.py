"""Benchmark: `checker run` on synthetic districts, side by side with a naive renderer.

    .venv/bin/python bench/bench.py [--quick] [--sizes 45,500] [--workers N]

For each district size it writes a synthetic table (bench/synthetic.py) as CSV, runs the full
`checker run` as a subprocess (imports included, a fresh history database each time), and
measures wall time and the peak memory of the process tree. The naive baseline renders the same
scorecard contexts with one plain `HTML(...).write_pdf()` per school in one process
(`checker.render.naive_pdfs`), in a subprocess of its own, interleaved with the 45-school runs.
Two 45-school runs are compared file by file (sha256) for reproducibility.

Figures go to the terminal, bench/results.md and bench/results.json; bench/README.md explains
them. Only the standard library is imported at the top, so the harness itself stays light;
`--naive CSV N` is the internal mode the baseline subprocess runs in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent

SEMESTER = "2026-2027/HK1"
DAY = "2026-11-29"
SEED = 1  # the sample data's seed: the 45-school district is the sample district
LANG = "vi"
NAIVE_CARDS = 45  # scorecards rendered by each naive measurement

# Repetitions per size (medians are taken over them).
FULL_RUNS: Mapping[int, int] = {45: 5, 500: 3, 1000: 3, 5000: 1}
QUICK_RUNS: Mapping[int, int] = {45: 3, 500: 1}

# The targets of issue 5.
SMALL_SIZE = 45
SMALL_WALL_LIMIT_S = 8.0
MARGINAL_RATIO_LIMIT = 0.25
MEMORY_LIMIT_MB = 600.0
MEMORY_GROWTH_LIMIT = 1.25  # "flat": the largest size's peak at most 25% above the smallest's
# Issue 13: a province's 20,000 schools within 10% of the peak at 5,000 (`make bench
# SIZES=5000,20000`).
SCALE_SIZES = (5000, 20000)
SCALE_GROWTH_LIMIT = 1.10

SHORTCUT_ROUNDS = 3  # each set of render shortcuts timed this many times, taking turns
ERROR_PATH_RUNS = 5  # `checker run` on a missing file, timed this many times
ERROR_PATH_CPU_LIMIT_S = 1.0  # an unusable input is refused within a second of its own work

SAMPLE_INTERVAL_S = 0.05
# The machine's own parallel speed: a pure-Python loop (about a second) alone, then one on every
# core at once, this many times in turn. A VM's cores may share the host's: 2 cores are then
# worth less than twice one, and no renderer can reach the "perfectly spread" floor.
SPIN_LOOPS = 10_000_000
SPIN_ROUNDS = 3
MB = 1024 * 1024


# --- Pure helpers (tested in tests/test_bench.py) ----------------------------------------------


def median(values: Iterable[float]) -> float:
    """The median of some numbers; a ValueError when there are none."""
    items = list(values)
    if not items:
        raise ValueError("median of no values")
    return float(statistics.median(items))


def parse_sizes(text: str) -> list[int]:
    """'45,500' -> [45, 500] (sorted, without repeats); a ValueError for anything else."""
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise ValueError(f"sizes must be positive school counts, not {text!r}")
    return sizes


def runs_for(size: int, quick: bool) -> int:
    """How many times a size is run: the tables above, else 3 up to 1,000 schools, then 1."""
    table = QUICK_RUNS if quick else FULL_RUNS
    if size in table:
        return table[size]
    if quick:
        return 3 if size <= SMALL_SIZE else 1
    return 3 if size <= 1000 else 1


def marginal_ms(n_a: int, wall_a_s: float, n_b: int, wall_b_s: float) -> float:
    """Milliseconds per extra scorecard between two sizes: (T(b) - T(a)) / (b - a)."""
    if n_b == n_a:
        raise ValueError("marginal cost needs two different sizes")
    return (wall_b_s - wall_a_s) * 1000.0 / (n_b - n_a)


def marginal_costs(medians_s: Mapping[int, float]) -> list[dict[str, float]]:
    """The marginal cost between each pair of consecutive sizes, from their median wall times."""
    sizes = sorted(medians_s)
    return [
        {"from": a, "to": b, "ms_per_scorecard": marginal_ms(a, medians_s[a], b, medians_s[b])}
        for a, b in itertools.pairwise(sizes)
    ]


def status(value: float | None, limit: float, below: bool = True) -> str:
    """'PASS' when value is within the limit (<= when `below`, else >=), 'n/a' without one."""
    if value is None:
        return "n/a"
    return "PASS" if (value <= limit if below else value >= limit) else "FAIL"


def evaluate_targets(
    sizes: Sequence[Mapping[str, Any]],
    marginals: Sequence[Mapping[str, float]],
    naive_ms: float,
) -> list[dict[str, Any]]:
    """The issue's targets, each with its measured value, limit and PASS / FAIL / n/a.

    `sizes` are the per-size summaries of `summarise_size`. Issue 5's memory targets are judged
    on the peak of the process tree's summed RSS (a conservative figure: forked workers' shared
    pages count once per process); issue 13's 20,000 / 5,000 ratio on its PSS (scale_targets).
    """
    by_size = {s["schools"]: s for s in sizes}
    small = by_size.get(SMALL_SIZE)
    targets = [
        {
            "target": f"{SMALL_SIZE}-school run, median wall time",
            "value": small["median_wall_s"] if small else None,
            "limit": f"<= {SMALL_WALL_LIMIT_S:g} s",
            "status": status(small["median_wall_s"] if small else None, SMALL_WALL_LIMIT_S),
        }
    ]
    for pair in marginals:
        ratio = pair["ms_per_scorecard"] / naive_ms
        targets.append(
            {
                "target": f"marginal cost {pair['from']:,}->{pair['to']:,} / naive",
                "value": ratio,
                "limit": f"<= {MARGINAL_RATIO_LIMIT:g}",
                "status": status(ratio, MARGINAL_RATIO_LIMIT),
            }
        )
    targets.extend(memory_targets(sizes))
    return targets


def memory_targets(sizes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Peak memory under the limit at the largest size measured, and flat with size."""
    if not sizes:
        return []
    ordered = sorted(sizes, key=lambda s: s["schools"])
    smallest, largest = ordered[0], ordered[-1]
    peak = largest["peak_tree_rss_mb"]
    growth = peak / smallest["peak_tree_rss_mb"] if len(ordered) > 1 else None
    return [
        {
            "target": f"peak memory (tree RSS) at {largest['schools']:,} schools",
            "value": peak,
            "limit": f"< {MEMORY_LIMIT_MB:g} MB",
            "status": status(peak, MEMORY_LIMIT_MB),
        },
        {
            "target": (
                f"memory growth {smallest['schools']:,}->{largest['schools']:,} schools (ratio)"
                if growth is not None
                else "memory growth with size (needs two sizes)"
            ),
            "value": growth,
            "limit": f"<= {MEMORY_GROWTH_LIMIT:g}",
            "status": status(growth, MEMORY_GROWTH_LIMIT),
        },
        *scale_targets(sizes),
    ]


def scale_targets(sizes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Peak memory at 20,000 schools against 5,000, when both were measured.

    Judged on the process tree's PSS: the memory the machine actually gives the run. A page
    that the forked workers share with the main process (the imported libraries, the table
    read before they were forked) is one page of RAM, which PSS counts once (split among its
    sharers) and the summed RSS once per process. The summed RSS ratio is listed beside it,
    not judged.
    """
    by_size = {s["schools"]: s for s in sizes}
    base, scaled = SCALE_SIZES
    if base not in by_size or scaled not in by_size:
        return []
    pss = [by_size[n]["peak_tree_pss_mb"] for n in (base, scaled)]
    pss_ratio = pss[1] / pss[0] if None not in pss and pss[0] else None
    rss_ratio = by_size[scaled]["peak_tree_rss_mb"] / by_size[base]["peak_tree_rss_mb"]
    return [
        {
            "target": f"peak memory (tree PSS) {scaled:,} / {base:,} schools (ratio)",
            "value": pss_ratio,
            "limit": f"<= {SCALE_GROWTH_LIMIT:g}",
            "status": status(pss_ratio, SCALE_GROWTH_LIMIT),
        },
        {
            "target": f"summed RSS {scaled:,} / {base:,} schools (ratio), shared pages counted "
            "per process",
            "value": rss_ratio,
            "limit": "not judged",
            "status": "-",
        },
    ]


def differing_files(first: Mapping[str, str], second: Mapping[str, str]) -> list[str]:
    """Relative paths whose sha256 differs between two runs, or that only one run wrote."""
    return sorted(p for p in set(first) | set(second) if first.get(p) != second.get(p))


def reproducibility(first: Mapping[str, str], second: Mapping[str, str]) -> dict[str, Any]:
    """The byte-for-byte comparison of two runs' outputs."""
    differ = differing_files(first, second)
    return {"identical": not differ and bool(first), "files": len(first), "differing": differ}


def parse_stat(text: str) -> tuple[int, int]:
    """(parent pid, resident pages) from the text of /proc/PID/stat.

    The command name (field 2) may hold spaces or parentheses, so fields are counted from the
    last ')'.
    """
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[21])  # ppid is field 4, rss field 24 (1-based)


def descendants(parents: Mapping[int, int], root: int) -> set[int]:
    """`root` and every process below it, given each pid's parent pid."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def summarise_size(schools: int, runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One size's figures from its runs: medians of wall time, maxima of the memory peaks."""
    walls = [r["wall_s"] for r in runs]
    cards = runs[0]["scorecards"]
    wall = median(walls)
    pss = [r["peak_tree_pss_mb"] for r in runs if r["peak_tree_pss_mb"] is not None]
    return {
        "schools": schools,
        "scorecards": cards,
        "runs": len(runs),
        "wall_s": walls,
        "median_wall_s": wall,
        "ms_per_scorecard": wall * 1000.0 / max(1, cards),
        "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for r in runs),
        "peak_largest_rss_mb": max(r["peak_largest_rss_mb"] for r in runs),
        "peak_tree_pss_mb": max(pss) if pss else None,
    }


def summarise_error_path(walls: Sequence[float], cpus: Sequence[float]) -> dict[str, Any]:
    """The error-path runs' figures: wall and CPU seconds of each, and their medians."""
    return {
        "runs": len(walls),
        "wall_s": list(walls),
        "cpu_s": list(cpus),
        "median_wall_s": median(walls),
        "median_cpu_s": median(cpus),
    }


def build_report(
    sizes: Sequence[Mapping[str, Any]],
    naive: Mapping[str, Any],
    repro: Mapping[str, Any],
    machine: Mapping[str, Any],
    options: Mapping[str, Any],
    error_path: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the bench found, as one JSON-ready dict (results.json; results.md from it)."""
    naive_ms = naive["median_ms_per_scorecard"]
    marginals = marginal_costs({s["schools"]: s["median_wall_s"] for s in sizes})
    for pair in marginals:
        pair["ratio_to_naive"] = pair["ms_per_scorecard"] / naive_ms
    return {
        "machine": dict(machine),
        "options": dict(options),
        "sizes": [dict(s) for s in sizes],
        "naive": dict(naive),
        "marginal": marginals,
        "targets": evaluate_targets(sizes, marginals, naive_ms),
        "reproducible": dict(repro),
        "error_path": dict(error_path) if error_path else None,
        "notes": noise_notes(sizes, machine),
    }


def noise_notes(sizes: Sequence[Mapping[str, Any]], machine: Mapping[str, Any]) -> list[str]:
    """Warnings that the figures may be noisy: other load on the machine, spread between runs."""
    notes = []
    if machine.get("source_changed"):
        notes.append(
            "The checker's code, templates or rulebook changed while the bench ran: the "
            "figures mix versions. Run the bench again on a tree nobody is editing."
        )
    cores = machine.get("cores") or 1
    load = machine.get("load_before")
    if load is not None and load > 0.5 * cores:
        notes.append(
            f"The machine was busy before the bench started (1-min load {load:.2f} on "
            f"{cores} cores): other work shared the CPU, so times are likely inflated and noisy."
        )
    for size in sizes:
        walls = size["wall_s"]
        if len(walls) > 1 and max(walls) > 1.2 * min(walls):
            notes.append(
                f"{size['schools']:,} schools: runs spread from {min(walls):.2f} to "
                f"{max(walls):.2f} s (more than 20%): noisy machine."
            )
    return notes


def number(value: float | None, digits: int = 1) -> str:
    """A figure for the tables: fixed decimals with thousands separators, '-' for none."""
    return "-" if value is None else f"{value:,.{digits}f}"


def format_markdown(report: Mapping[str, Any]) -> str:
    """results.md: the tables and targets of a report from `build_report`."""
    lines = ["# Benchmark results", "", *size_table(report["sizes"]), ""]
    naive = report["naive"]
    lines += [
        f"Naive baseline: **{number(naive['median_ms_per_scorecard'])} ms per scorecard** "
        f"(median of {naive['runs']} measurements, each the time of {naive['cards']} one-page "
        "scorecards over their number, one `HTML(...).write_pdf()` each, in one process, after "
        f"a warm-up render; the median single scorecard took "
        f"{number(naive.get('median_single_card_ms'))} ms).",
        "",
        *one_core_lines(
            naive, report["machine"].get("cores") or 1, report["machine"].get("parallel_speed")
        ),
        *shortcut_lines(naive),
        *marginal_table(report["marginal"], naive["median_ms_per_scorecard"]),
        "",
        *target_table(report["targets"]),
        "",
        reproducibility_line(report["reproducible"]),
        "",
        *error_path_lines(report.get("error_path")),
        *machine_lines(report["machine"], report["options"]),
    ]
    if report["notes"]:
        lines += ["", "Notes:", *(f"- {note}" for note in report["notes"])]
    return "\n".join(lines) + "\n"


def one_core_lines(
    naive: Mapping[str, Any], cores: int, parallel_speed: float | None = None
) -> list[str]:
    """The checker's renderer against the baseline on one core, and the floor that sets;
    with the machine's `parallel_speed` (see `parallel_speed`), the floor on this machine."""
    batched = naive.get("batched_ms_per_scorecard")
    if batched is None:
        return []
    naive_ms = naive["median_ms_per_scorecard"]
    floor = best_possible_ratio(naive, cores)
    text = (
        f"Checker's renderer on one core, same cards, same process (`render_chunk`, chunks of "
        f"24): **{number(batched)} ms per scorecard**, {number(naive_ms / batched, 2)} times "
        f"faster than naive. Spread perfectly over {cores} cores with nothing else running, a "
        f"further scorecard could not cost less than {number(batched / cores)} ms: a ratio of "
        f"**{number(floor, 3)}** at best."
    )
    if parallel_speed and floor is not None:
        text += (
            f" On this machine a process runs at {number(parallel_speed, 2)} of its speed alone "
            f"while all {cores} cores are busy: {number(batched / cores / parallel_speed)} ms, a "
            f"ratio of **{number(floor / parallel_speed, 3)}** at best here."
        )
    return [text, ""]


def shortcut_lines(naive: Mapping[str, Any]) -> list[str]:
    """The renderer's cost per scorecard on one core with the render shortcuts off, each alone
    and all on, and what each saves against none."""
    timed = naive.get("shortcut_ms_per_scorecard")
    if not timed:
        return []
    plain = timed["none"]
    lines = [
        "Render shortcuts (same cards, same process; CPU time of that process, medians):",
        "",
        "| shortcuts | CPU ms / scorecard | saved vs none (ms) |",
        "|---|---:|---:|",
    ]
    for label, ms in timed.items():
        lines.append(f"| {label} | {number(ms)} | {number(plain - ms)} |")
    return [*lines, ""]


def size_table(sizes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The per-size table: runs, median wall time, time per scorecard, memory peaks."""
    lines = [
        "| schools | runs | median wall (s) | min-max (s) | ms / scorecard "
        "| peak RSS MB (tree sum / largest) | peak PSS MB (tree) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in sizes:
        lines.append(
            f"| {s['schools']:,} | {s['runs']} | {number(s['median_wall_s'], 2)} "
            f"| {number(min(s['wall_s']), 2)}-{number(max(s['wall_s']), 2)} "
            f"| {number(s['ms_per_scorecard'])} "
            f"| {number(s['peak_tree_rss_mb'], 0)} / {number(s['peak_largest_rss_mb'], 0)} "
            f"| {number(s['peak_tree_pss_mb'], 0)} |"
        )
    return lines


def marginal_table(marginals: Sequence[Mapping[str, float]], naive_ms: float) -> list[str]:
    """The marginal cost per extra scorecard between sizes, against the naive baseline."""
    if not marginals:
        return ["No marginal cost: only one size was measured."]
    lines = [
        "| sizes | marginal ms / extra scorecard | naive ms / scorecard | ratio |",
        "|---|---:|---:|---:|",
    ]
    for m in marginals:
        lines.append(
            f"| {int(m['from']):,} -> {int(m['to']):,} | {number(m['ms_per_scorecard'])} "
            f"| {number(naive_ms)} | {number(m['ms_per_scorecard'] / naive_ms, 3)} |"
        )
    return lines


def target_table(targets: Sequence[Mapping[str, Any]]) -> list[str]:
    """The issue's targets with PASS / FAIL."""
    lines = ["| target | measured | limit | status |", "|---|---:|---|---|"]
    for t in targets:
        lines.append(f"| {t['target']} | {number(t['value'], 2)} | {t['limit']} | {t['status']} |")
    return lines


def reproducibility_line(repro: Mapping[str, Any]) -> str:
    """'byte-identical: yes/no' with the files that differ."""
    if repro["identical"]:
        return f"Two {SMALL_SIZE}-school runs, byte-identical: **yes** ({repro['files']} files)."
    differ = ", ".join(repro["differing"]) or "no files written"
    return f"Two {SMALL_SIZE}-school runs, byte-identical: **no** (differ: {differ})."


def error_path_lines(error_path: Mapping[str, Any] | None) -> list[str]:
    """How quickly `checker run` refuses a file that does not exist (with PASS / FAIL)."""
    if not error_path:
        return []
    cpu = error_path["median_cpu_s"]
    verdict = status(cpu, ERROR_PATH_CPU_LIMIT_S)
    return [
        f"Unusable input (`checker run` on a missing file, {error_path['runs']} runs): refused "
        f"after **{number(cpu, 2)} s of its own CPU time** (user + system, median; limit "
        f"{ERROR_PATH_CPU_LIMIT_S:g} s: {verdict}), {number(error_path['median_wall_s'], 2)} s "
        "wall (median).",
        "",
    ]


def machine_lines(machine: Mapping[str, Any], options: Mapping[str, Any]) -> list[str]:
    """Where and how the figures were measured."""
    harfbuzz = {True: "yes", False: "no (fontTools fallback)"}.get(machine["harfbuzz_subset"], "?")
    speed = machine.get("parallel_speed")
    return [
        "Machine:",
        f"- {machine['cores']} cores, {machine['cpu']}; Python {machine['python']}; "
        f"WeasyPrint {machine['weasyprint']}; HarfBuzz subsetting: {harfbuzz}",
        *(
            [
                f"- parallel speed: a process runs at {number(speed, 2)} of its speed alone "
                f"while all {machine['cores']} cores run one (a pure-Python loop, median of "
                f"{SPIN_ROUNDS} turns, measured before the runs)"
            ]
            if speed
            else []
        ),
        f"- 1-min load average before / after: {number(machine['load_before'], 2)} / "
        f"{number(machine['load_after'], 2)}",
        f"- measured {machine['date']}, checker {machine['checker_commit']}; "
        f"workers: {options['workers'] or 'default (cores)'}; mode: {options['mode']}",
    ]


# --- Measuring a process tree ------------------------------------------------------------------


def read_process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident pages) for every process /proc shows."""
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="utf-8") as handle:
                    table[int(entry.name)] = parse_stat(handle.read())
            except (OSError, ValueError, IndexError):
                continue  # the process ended while we looked
    return table


def pss_kb(pid: int) -> int | None:
    """The process's proportional set size (shared pages split among sharers), in kB."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


@dataclass
class TreeMemory:
    """Peaks seen while sampling a process tree (bytes)."""

    tree_rss: int = 0
    largest_rss: int = 0
    tree_pss: int | None = None
    samples: int = 0
    pids: set[int] = field(default_factory=set)


def sample_tree(root: int, peaks: TreeMemory, page_size: int) -> None:
    """Take one sample of the tree below `root` and raise the peaks it beats."""
    table = read_process_table()
    tree = descendants({pid: ppid for pid, (ppid, _) in table.items()}, root) & set(table)
    rss = [table[pid][1] * page_size for pid in tree]
    peaks.samples += 1
    peaks.pids |= tree
    if rss:
        peaks.tree_rss = max(peaks.tree_rss, sum(rss))
        peaks.largest_rss = max(peaks.largest_rss, max(rss))
    pss = [pss_kb(pid) for pid in tree]
    if pss and all(p is not None for p in pss):
        total = sum(p for p in pss if p is not None) * 1024
        peaks.tree_pss = max(peaks.tree_pss or 0, total)


def watch_tree(root: int, stop: threading.Event, peaks: TreeMemory) -> None:
    """Sample the tree every SAMPLE_INTERVAL_S until `stop` is set (runs in a thread)."""
    page_size = os.sysconf("SC_PAGE_SIZE")
    sample_tree(root, peaks, page_size)
    while not stop.wait(SAMPLE_INTERVAL_S):
        sample_tree(root, peaks, page_size)


def measure_command(command: Sequence[str]) -> tuple[float, TreeMemory]:
    """Run a command; (wall seconds from start to exit, memory peaks of its process tree).

    Raises RuntimeError with the command's stderr when it fails.
    """
    peaks, stop = TreeMemory(), threading.Event()
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        watcher = threading.Thread(target=watch_tree, args=(process.pid, stop, peaks))
        watcher.start()
        code = process.wait()
        wall = time.perf_counter() - start
        stop.set()
        watcher.join()
        if code != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{command[:4]} exited {code}:\n{message}")
    return wall, peaks


# --- The checker runs --------------------------------------------------------------------------


def write_table(size: int, folder: Path) -> Path:
    """The synthetic district of `size` schools as CSV in `folder`."""
    from synthetic import generate_district, write_district  # bench/synthetic.py

    path = folder / f"district_{size}.csv"
    write_district(generate_district(size, seed=SEED), path, semester=SEMESTER)
    return path


def checker_command(table: Path, out: Path, db: Path, workers: int | None) -> list[str]:
    """The `checker run` command line the bench times."""
    command = [sys.executable, "-m", "checker", "run", str(table), "--semester", SEMESTER]
    command += ["--out", str(out), "--db", str(db), "--quiet", "--date", DAY]
    return command + (["--workers", str(workers)] if workers else [])


def output_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def scorecards_written(out: Path) -> int:
    """The number of scorecards the run's manifest reports."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return int(manifest["counts"]["scorecards"])


def checker_run(table: Path, work: Path, workers: int | None) -> tuple[dict[str, Any], Path]:
    """One measured `checker run` into a fresh folder and database; (figures, output folder)."""
    out = Path(tempfile.mkdtemp(prefix="out-", dir=work))
    wall, peaks = measure_command(checker_command(table, out, out.with_suffix(".db"), workers))
    figures = {
        "wall_s": wall,
        "scorecards": scorecards_written(out),
        "peak_tree_rss_mb": peaks.tree_rss / MB,
        "peak_largest_rss_mb": peaks.largest_rss / MB,
        "peak_tree_pss_mb": peaks.tree_pss / MB if peaks.tree_pss is not None else None,
        "processes": len(peaks.pids),
    }
    return figures, out


def measure_error_path(work: Path, runs: int = ERROR_PATH_RUNS) -> dict[str, Any]:
    """`checker run` on a file that does not exist, `runs` times: wall time and the command's
    own CPU time (user + system, from the kernel's accounting of reaped children) until it
    exits 2. Raises RuntimeError when it does not exit 2 with one line on stderr."""
    missing = work / "does-not-exist.csv"
    command = checker_command(missing, work / "out-missing", work / "missing.db", None)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if result.returncode != 2 or len(result.stderr.strip().splitlines()) != 1:
            raise RuntimeError(f"missing input: exit {result.returncode}\n{result.stderr[-2000:]}")
    return summarise_error_path(walls, cpus)


def naive_measurement(table: Path) -> dict[str, Any]:
    """Run the naive baseline in its own process over the table's first NAIVE_CARDS cards."""
    command = [sys.executable, str(Path(__file__).resolve()), "--naive", str(table)]
    result = subprocess.run(
        [*command, str(NAIVE_CARDS)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"naive baseline failed:\n{result.stderr[-2000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def naive_line(measured: Mapping[str, Any]) -> str:
    """One naive measurement, for the progress log."""
    return (
        f"  naive: {measured['mean_ms']:.1f} ms per scorecard; checker's renderer on one core: "
        f"{measured['batched_ms']:.1f} ms; shortcuts off: {measured['shortcut_ms']['none']:.1f} ms"
    )


def log(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr, flush=True)


def measure_size(
    size: int, runs: int, table: Path, work: Path, workers: int | None, naive_table: Path | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]]]:
    """`runs` checker runs of one size, each followed by a naive measurement when `naive_table`
    is given (ABAB, so slow spells on a shared machine hit both alike).

    Returns (run figures, naive figures, output hashes of the first two runs).
    """
    figures: list[dict[str, Any]] = []
    naive: list[dict[str, Any]] = []
    hashes: list[dict[str, str]] = []
    for index in range(runs):
        run, out = checker_run(table, work, workers)
        figures.append(run)
        if len(hashes) < 2:
            hashes.append(output_hashes(out))
        shutil.rmtree(out)
        log(
            f"  {size:,} schools, run {index + 1}/{runs}: {run['wall_s']:.2f} s, "
            f"peak {run['peak_tree_rss_mb']:.0f} MB (tree), {run['processes']} processes seen"
        )
        if naive_table is not None:
            naive.append(naive_measurement(naive_table))
            log(naive_line(naive[-1]))
    return figures, naive, hashes


# --- The naive baseline (runs in its own process: `bench.py --naive CSV N`) --------------------


def build_cards(table_path: Path) -> list[dict[str, Any]]:
    """The scorecard contexts `checker run` builds for this table on a fresh history database
    (the bench's runs each use a fresh one), for the bench's semester and day."""
    from checker.run import first_semester_cards

    day = dt.date.fromisoformat(DAY)
    return [dict(card) for card in first_semester_cards(table_path, SEMESTER, day, LANG)]


def harfbuzz_subsetting() -> bool:
    """True when WeasyPrint subsets fonts with HarfBuzz (else it falls back to fontTools).

    WeasyPrint 70 uses HarfBuzz when libharfbuzz-subset loaded and HarfBuzz is 4.1 or later
    (weasyprint/pdf/fonts.py).
    """
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None and bool(ffi.harfbuzz.hb_version_atleast(4, 1, 0))


def time_naive(cards: Sequence[dict[str, Any]]) -> list[float]:
    """Milliseconds of each naive render, after one untimed warm-up render."""
    from checker import __version__
    from checker.render import naive_pdfs

    for pdf in naive_pdfs(cards[:1], LANG, __version__):  # imports, fonts, templates
        assert pdf.startswith(b"%PDF")
    timings = []
    start = time.perf_counter()
    for pdf in naive_pdfs(cards, LANG, __version__):
        now = time.perf_counter()
        if not pdf.startswith(b"%PDF"):
            raise RuntimeError("the naive renderer did not return a PDF")
        timings.append((now - start) * 1000.0)
        start = time.perf_counter()
    return timings


def time_batched(
    cards: Sequence[dict[str, Any]],
    shortcuts: frozenset[str] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Milliseconds per scorecard of the checker's own renderer on one core: `render_chunk`
    over the same cards, in chunks of the size a province-sized run uses, after the warm-up a
    render worker does (which also takes the objects alive so far out of the GC's scans).

    `shortcuts` chooses the render shortcuts (default: those verified on the installed
    WeasyPrint, as `checker run` uses them); a set's first card is rendered untimed. `clock`
    is wall time by default (time.process_time gives this process's CPU time)."""
    from checker import __version__
    from checker.render import chunk_size_for, chunked, render_cards, render_tools, warm_up

    warm_up(LANG)
    tools = render_tools(LANG, shortcuts)
    render_cards(cards[:1], tools, LANG, __version__)
    size = chunk_size_for(5000)
    start = clock()
    for chunk in chunked(cards, size):
        if len(render_cards(chunk, tools, LANG, __version__)) != len(chunk):
            raise RuntimeError("the checker's renderer lost a scorecard")
    return (clock() - start) * 1000.0 / len(cards)


def time_shortcuts(
    cards: Sequence[dict[str, Any]], rounds: int = SHORTCUT_ROUNDS
) -> dict[str, float]:
    """CPU milliseconds per scorecard of the checker's renderer with every render shortcut off
    ("none"), each one alone, and all of them ("all"), on the same cards in this process.

    CPU time of this process, not wall time, so that other work on a shared machine counts
    little; the sets take turns `rounds` times and each figure is the median of its rounds."""
    from checker.render import SHORTCUTS

    sets = {"none": frozenset(), **{name: frozenset({name}) for name in sorted(SHORTCUTS)}}
    sets["all"] = SHORTCUTS
    timed: dict[str, list[float]] = {label: [] for label in sets}
    for _ in range(rounds):
        for label, chosen in sets.items():
            timed[label].append(time_batched(cards, chosen, clock=time.process_time))
    return {label: median(values) for label, values in timed.items()}


def naive_main(table: Path, count: int) -> dict[str, Any]:
    """The baseline's measurement: per-card render times and the renderer's set-up, then the
    checker's own renderer on the same cards in the same process (one core, side by side)."""
    import weasyprint

    cards = build_cards(table)[:count]
    timings = time_naive(cards)
    return {
        "cards": len(cards),
        "median_ms": median(timings),
        "mean_ms": statistics.fmean(timings),
        "batched_ms": time_batched(cards),
        "shortcut_ms": time_shortcuts(cards),
        "weasyprint": weasyprint.__version__,
        "harfbuzz_subset": harfbuzz_subsetting(),
    }


# --- Putting it together -----------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit() -> str:
    """The project's current commit (short), '+changes' when the tree has edits."""
    try:
        head = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def source_digest(root: Path = PROJECT_ROOT) -> str:
    """sha256 over the code and data a run uses (package, templates, rulebook, office settings),
    to notice when they change while the bench runs (other people may be editing them)."""
    digest = hashlib.sha256()
    folders = [root / "checker", root / "templates", root / "expectations"]
    files = [p for folder in folders for p in folder.rglob("*") if p.is_file()]
    files.append(root / "office.toml")
    for path in sorted(f for f in files if "__pycache__" not in f.parts and f.exists()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def start_snapshot() -> dict[str, Any]:
    """What is recorded before the first run: load, commit, sources' digest, and the machine's
    parallel speed (after the load is read: the probe loads the machine itself)."""
    load = os.getloadavg()[0]
    return {
        "load": load,
        "commit": git_commit(),
        "source": source_digest(),
        "parallel_speed": parallel_speed(len(os.sched_getaffinity(0))),
    }


def spin_seconds(copies: int, loops: int = SPIN_LOOPS) -> list[float]:
    """The wall seconds of a CPU-bound pure-Python loop in each of `copies` processes started
    together (the timing is inside each process, so its start-up does not count)."""
    code = (
        "import time\nstart = time.perf_counter()\ntotal = 0\n"
        f"for i in range({loops}):\n    total += i * i\nprint(time.perf_counter() - start)"
    )
    started = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(copies)
    ]
    return [float(process.communicate()[0]) for process in started]


def parallel_speed(cores: int, rounds: int = SPIN_ROUNDS, loops: int = SPIN_LOOPS) -> float:
    """How fast a process runs while every core runs one, as a share of its speed alone: the
    median over `rounds` turns of (the loop alone) / (the mean of `cores` loops run together).
    1.0 where each core is the machine's own; less where they share a host's (a VM), a
    physical core (SMT) or a power budget."""
    ratios = []
    for _ in range(rounds):
        (alone,) = spin_seconds(1, loops)
        ratios.append(alone / statistics.mean(spin_seconds(cores, loops)))
    return median(ratios)


def machine_info(naive: Sequence[Mapping[str, Any]], start: Mapping[str, Any]) -> dict[str, Any]:
    """Where the figures were measured (the renderer's facts come from a naive subprocess)."""
    return {
        "cores": len(os.sched_getaffinity(0)),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "weasyprint": naive[0]["weasyprint"] if naive else "?",
        "harfbuzz_subset": naive[0]["harfbuzz_subset"] if naive else None,
        "load_before": start["load"],
        "parallel_speed": start.get("parallel_speed"),
        "load_after": os.getloadavg()[0],
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "checker_commit": start["commit"],
        "source_changed": source_digest() != start["source"],
    }


def summarise_naive(measurements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The baseline's figure: the median over measurements of each one's cost per scorecard
    (its total time over its cards, like the marginal cost it is compared with)."""
    per_run = [m["mean_ms"] for m in measurements]
    batched = [m["batched_ms"] for m in measurements if "batched_ms" in m]
    shortcut_runs = [m["shortcut_ms"] for m in measurements if "shortcut_ms" in m]
    return {
        "cards": measurements[0]["cards"],
        "runs": len(measurements),
        "median_ms_per_scorecard": median(per_run),
        "per_run_ms": per_run,
        "median_single_card_ms": median([m["median_ms"] for m in measurements]),
        "batched_ms_per_scorecard": median(batched) if batched else None,
        "shortcut_ms_per_scorecard": {
            label: median([run[label] for run in shortcut_runs]) for label in shortcut_runs[0]
        }
        if shortcut_runs
        else None,
    }


def best_possible_ratio(naive: Mapping[str, Any], cores: int) -> float | None:
    """The lowest marginal ratio the renderer allows on `cores` cores: its one-core cost per
    scorecard spread perfectly over every core, with nothing else running, against naive."""
    batched = naive.get("batched_ms_per_scorecard")
    if batched is None:
        return None
    return float(batched) / max(1, cores) / float(naive["median_ms_per_scorecard"])


@dataclass
class Measured:
    """What the bench has measured so far (kept so that a failed run still leaves results)."""

    sizes: list[dict[str, Any]] = field(default_factory=list)
    naive: list[dict[str, Any]] = field(default_factory=list)
    hashes: list[dict[str, str]] = field(default_factory=list)
    error_path: dict[str, Any] | None = None
    failure: str | None = None


def run_bench(
    sizes: Sequence[int], quick: bool, workers: int | None, results: Path
) -> dict[str, Any]:
    """Measure every size (the 45-school runs interleaved with the naive baseline), writing the
    results after each size so an interrupted bench keeps what it measured."""
    start = start_snapshot()
    options = {"sizes": list(sizes), "workers": workers, "mode": "quick" if quick else "full"}
    got = Measured()
    with tempfile.TemporaryDirectory(prefix="checker-bench-") as folder:
        work = Path(folder)
        got.error_path = measure_error_path(work)
        log(error_path_lines(got.error_path)[0])
        small_table = write_table(SMALL_SIZE, work)
        if SMALL_SIZE not in sizes:
            top_up(got, small_table, work, quick, workers)
        for size in sizes:
            try:
                measure_into(got, size, small_table, work, quick, workers)
            except RuntimeError as error:
                got.failure = f"the {size:,}-school run failed: {error}".strip()
                log(got.failure)
                break
            report = report_from(got, start, options)
            if report is not None and size != sizes[-1]:
                write_results(report, results)  # partial: refreshed after every size
    final = report_from(got, start, options)
    if final is None:
        raise RuntimeError(got.failure or "nothing was measured")
    return final


def measure_into(
    got: Measured, size: int, small_table: Path, work: Path, quick: bool, workers: int | None
) -> None:
    """Measure one size and add its figures to `got`."""
    table = small_table if size == SMALL_SIZE else write_table(size, work)
    runs = runs_for(size, quick)
    log(f"{size:,} schools x {runs} runs")
    interleave = small_table if size == SMALL_SIZE else None
    figures, naive, hashes = measure_size(size, runs, table, work, workers, interleave)
    got.sizes.append(summarise_size(size, figures))
    got.naive += naive
    if size == SMALL_SIZE:
        got.hashes = hashes
        top_up(got, small_table, work, quick, workers)


def top_up(got: Measured, small_table: Path, work: Path, quick: bool, workers: int | None) -> None:
    """Enough naive measurements and 45-school outputs for the baseline and the comparison."""
    got.naive += extra_naive(small_table, len(got.naive), runs_for(SMALL_SIZE, quick))
    got.hashes += extra_hashes(small_table, work, workers, 2 - len(got.hashes))


def report_from(
    got: Measured, start: Mapping[str, Any], options: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The report of what is measured so far; None before the baseline is known."""
    if not got.naive or len(got.hashes) < 2:
        return None
    done = [s["schools"] for s in got.sizes]
    state = {**options, "complete": got.failure is None and done == list(options["sizes"])}
    repro = reproducibility(got.hashes[0], got.hashes[1])
    machine = machine_info(got.naive, start)
    naive = summarise_naive(got.naive)
    report = build_report(got.sizes, naive, repro, machine, state, got.error_path)
    if got.failure:
        report["notes"].append(f"Incomplete: {got.failure}")
    elif not state["complete"]:
        report["notes"].append(f"Incomplete: sizes measured so far {done}; the bench goes on.")
    return report


def extra_naive(table: Path, have: int, want: int) -> list[dict[str, Any]]:
    """More naive measurements when the 45-school size was not run (or ran too few times)."""
    extra = []
    for _ in range(max(0, want - have)):
        extra.append(naive_measurement(table))
        log(naive_line(extra[-1]))
    return extra


def extra_hashes(
    table: Path, work: Path, workers: int | None, missing: int
) -> list[dict[str, str]]:
    """Output hashes of unmeasured 45-school runs, so two runs can always be compared."""
    hashes: list[dict[str, str]] = []
    for _ in range(max(0, missing)):
        _, out = checker_run(table, work, workers)
        hashes.append(output_hashes(out))
        shutil.rmtree(out)
    return hashes


def write_results(report: Mapping[str, Any], folder: Path) -> str:
    """Write results.md and results.json into `folder`; returns the markdown."""
    markdown = format_markdown(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.md").write_text(markdown, encoding="utf-8")
    text = json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True)
    (folder / "results.json").write_text(text + "\n", encoding="utf-8")
    return markdown


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="45 x 3 and 500 x 1 runs only")
    parser.add_argument("--sizes", help="comma-separated school counts, e.g. 45,500")
    parser.add_argument("--workers", type=int, help="passed to `checker run --workers`")
    parser.add_argument("--results", type=Path, default=BENCH_DIR, help="folder for results.*")
    parser.add_argument(
        "--error-path", action="store_true", help="only time `checker run` on a missing file"
    )
    parser.add_argument("--naive", nargs=2, metavar=("CSV", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be 1 or more")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    """Run the bench (or, with --naive, one baseline measurement printed as JSON)."""
    args = arguments(argv)
    if args.naive:
        print(json.dumps(naive_main(Path(args.naive[0]), int(args.naive[1]))))
        return
    if args.error_path:
        with tempfile.TemporaryDirectory(prefix="checker-bench-") as folder:
            print("\n".join(error_path_lines(measure_error_path(Path(folder)))).strip())
        return
    default = sorted(QUICK_RUNS if args.quick else FULL_RUNS)
    sizes = parse_sizes(args.sizes) if args.sizes else default
    report = run_bench(sizes, args.quick, args.workers, args.results)
    print(write_results(report, args.results))
    if not report["options"]["complete"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
