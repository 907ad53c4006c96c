"""The benchmark harness's pure helpers: medians, marginal costs, targets, results formatting.

No timing is asserted here: the figures themselves come from `make bench`.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH_FILE = Path(__file__).resolve().parent.parent / "bench" / "bench.py"


def load_bench() -> ModuleType:
    """bench/bench.py as a module (bench/ is a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_harness", BENCH_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def run(wall: float, cards: int, rss: float = 400.0, pss: float | None = 300.0) -> dict[str, Any]:
    """One checker run's figures as `checker_run` returns them."""
    return {
        "wall_s": wall,
        "scorecards": cards,
        "peak_tree_rss_mb": rss,
        "peak_largest_rss_mb": rss / 2,
        "peak_tree_pss_mb": pss,
        "processes": 3,
    }


def sample_report(small_wall: float = 6.0, big_rss: float = 450.0) -> dict[str, Any]:
    """A report over 45, 500 and 1,000 schools with a 160 ms naive baseline."""
    sizes = [
        bench.summarise_size(45, [run(small_wall, 45), run(small_wall + 2, 45)]),
        bench.summarise_size(500, [run(20.0, 500)]),
        bench.summarise_size(1000, [run(35.0, 1000, rss=big_rss)]),
    ]
    naive = bench.summarise_naive(
        [
            {"cards": 45, "mean_ms": 150.0, "median_ms": 140.0},
            {"cards": 45, "mean_ms": 160.0, "median_ms": 150.0},
        ]
    )
    repro = bench.reproducibility({"a.pdf": "1", "b.pdf": "2"}, {"a.pdf": "1", "b.pdf": "2"})
    machine = {
        "cores": 2,
        "cpu": "Test CPU",
        "python": "3.11.7",
        "weasyprint": "70.0",
        "harfbuzz_subset": True,
        "load_before": 0.1,
        "load_after": 1.5,
        "date": "2026-11-29T10:00:00+07:00",
        "checker_commit": "abc1234",
    }
    options = {"sizes": [45, 500, 1000], "workers": None, "mode": "full"}
    return bench.build_report(sizes, naive, repro, machine, options)


def test_median_of_odd_and_even_counts() -> None:
    assert bench.median([3.0, 1.0, 2.0]) == 2.0
    assert bench.median([4.0, 1.0, 2.0, 3.0]) == 2.5


def test_median_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        bench.median([])


def test_marginal_cost_is_the_slope_in_milliseconds() -> None:
    assert bench.marginal_ms(500, 20.0, 1000, 35.0) == pytest.approx(30.0)
    with pytest.raises(ValueError):
        bench.marginal_ms(500, 20.0, 500, 21.0)


def test_marginal_costs_pair_consecutive_sizes_in_order() -> None:
    pairs = bench.marginal_costs({1000: 35.0, 45: 6.0, 500: 20.0})
    assert [(p["from"], p["to"]) for p in pairs] == [(45, 500), (500, 1000)]
    assert pairs[0]["ms_per_scorecard"] == pytest.approx(14000.0 / 455)


def test_sizes_and_repetitions() -> None:
    assert bench.parse_sizes("500, 45,500") == [45, 500]
    with pytest.raises(ValueError):
        bench.parse_sizes("0,45")
    assert [bench.runs_for(n, quick=False) for n in (45, 500, 1000, 5000)] == [5, 3, 3, 1]
    assert [bench.runs_for(n, quick=True) for n in (45, 500)] == [3, 1]


def test_size_summary_takes_median_wall_and_largest_peaks() -> None:
    summary = bench.summarise_size(
        45, [run(9.0, 45, rss=300.0), run(5.0, 45, rss=350.0), run(6.0, 45, pss=None)]
    )
    assert summary["median_wall_s"] == 6.0
    assert summary["ms_per_scorecard"] == pytest.approx(6000.0 / 45)
    assert summary["peak_tree_rss_mb"] == 400.0
    assert summary["peak_tree_pss_mb"] == 300.0


def test_targets_pass_and_fail() -> None:
    report = sample_report(small_wall=6.0, big_rss=450.0)
    statuses = {t["target"]: t["status"] for t in report["targets"]}
    assert statuses["45-school run, median wall time"] == "PASS"  # median of 6 and 8 s
    # naive 155 ms: 45->500 costs 28.6 ms (ratio 0.184), 500->1,000 costs 30 ms (0.194)
    assert statuses["marginal cost 45->500 / naive"] == "PASS"
    assert statuses["marginal cost 500->1,000 / naive"] == "PASS"
    assert statuses["peak memory (tree RSS) at 1,000 schools"] == "PASS"
    assert statuses["memory growth 45->1,000 schools (ratio)"] == "PASS"  # 450 / 400
    slow = {t["target"]: t["status"] for t in sample_report(small_wall=9.0)["targets"]}
    assert slow["45-school run, median wall time"] == "FAIL"


def test_memory_that_grows_or_exceeds_the_limit_fails() -> None:
    report = sample_report(big_rss=520.0)  # 520 / 400 = 1.3
    statuses = {t["target"]: t["status"] for t in report["targets"]}
    assert statuses["memory growth 45->1,000 schools (ratio)"] == "FAIL"
    assert statuses["peak memory (tree RSS) at 1,000 schools"] == "PASS"
    heavy = {t["target"]: t["status"] for t in sample_report(big_rss=700.0)["targets"]}
    assert heavy["peak memory (tree RSS) at 1,000 schools"] == "FAIL"


@pytest.mark.parametrize(("pss_20k", "expected"), [(540.0, "PASS"), (560.0, "FAIL")])
def test_a_province_s_peak_is_judged_against_5000_schools(pss_20k: float, expected: str) -> None:
    sizes = [
        bench.summarise_size(5000, [run(90.0, 5000, rss=600.0, pss=500.0)]),
        bench.summarise_size(20000, [run(360.0, 20000, rss=900.0, pss=pss_20k)]),
    ]
    targets = {t["target"]: t for t in bench.memory_targets(sizes)}
    scale = targets["peak memory (tree PSS) 20,000 / 5,000 schools (ratio)"]
    assert scale["value"] == pytest.approx(pss_20k / 500.0)
    assert scale["status"] == expected
    # The summed RSS ratio is reported beside it, whatever it is, and not judged.
    rss = [t for t in targets.values() if t["target"].startswith("summed RSS 20,000 / 5,000")]
    assert rss[0]["value"] == pytest.approx(1.5)
    assert rss[0]["status"] == "-"
    assert not [t for t in bench.memory_targets(sizes[:1]) if "20,000" in t["target"]]


def test_a_province_s_peak_without_pss_is_not_judged() -> None:
    sizes = [
        bench.summarise_size(5000, [run(90.0, 5000, pss=None)]),
        bench.summarise_size(20000, [run(360.0, 20000, pss=None)]),
    ]
    targets = {t["target"]: t for t in bench.memory_targets(sizes)}
    assert targets["peak memory (tree PSS) 20,000 / 5,000 schools (ratio)"]["status"] == "n/a"


def test_one_size_has_no_marginal_cost_and_no_growth() -> None:
    sizes = [bench.summarise_size(45, [run(7.0, 45)])]
    naive = bench.summarise_naive([{"cards": 45, "mean_ms": 150.0, "median_ms": 140.0}])
    repro = bench.reproducibility({"a": "1"}, {"a": "1"})
    report = bench.build_report(sizes, naive, repro, sample_report()["machine"], {"workers": 2})
    report["options"]["mode"] = "quick"
    statuses = {t["target"]: t["status"] for t in report["targets"]}
    assert statuses["memory growth with size (needs two sizes)"] == "n/a"
    assert "only one size was measured" in bench.format_markdown(report)


def test_status_without_a_value_is_not_applicable() -> None:
    assert bench.status(None, 8.0) == "n/a"
    assert bench.status(8.0, 8.0) == "PASS"
    assert bench.status(8.01, 8.0) == "FAIL"


def test_reproducibility_names_the_files_that_differ() -> None:
    first = {"a.pdf": "1", "b.xlsx": "2", "only-first": "3"}
    second = {"a.pdf": "1", "b.xlsx": "9", "only-second": "4"}
    result = bench.reproducibility(first, second)
    assert not result["identical"]
    assert result["differing"] == ["b.xlsx", "only-first", "only-second"]
    assert bench.reproducibility(first, dict(first))["identical"]
    assert not bench.reproducibility({}, {})["identical"]  # nothing written proves nothing


def test_parse_stat_reads_parent_and_rss_past_odd_names() -> None:
    fields = ["S", "42"] + ["0"] * 19 + ["1234"] + ["0"] * 10
    text = "77 (we ird) name)) " + " ".join(fields)
    assert bench.parse_stat(text) == (42, 1234)


def test_descendants_follow_the_tree_only() -> None:
    parents = {10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
    assert bench.descendants(parents, 10) == {10, 11, 12, 13}
    assert bench.descendants(parents, 13) == {13}


def test_markdown_and_json_carry_the_same_figures(tmp_path: Path) -> None:
    report = sample_report()
    markdown = bench.write_results(report, tmp_path)
    assert (tmp_path / "results.md").read_text(encoding="utf-8") == markdown
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert saved["naive"]["median_ms_per_scorecard"] == 155.0
    assert "| 1,000 | 1 | 35.00 | 35.00-35.00 | 35.0 | 450 / 225 | 300 |" in markdown
    assert "| 500 -> 1,000 | 30.0 | 155.0 | 0.194 |" in markdown
    assert "**155.0 ms per scorecard**" in markdown
    assert "the median single scorecard took 145.0 ms" in markdown
    assert "byte-identical: **yes** (2 files)" in markdown
    assert "HarfBuzz subsetting: yes" in markdown
    assert "| 45-school run, median wall time | 7.00 | <= 8 s | PASS |" in markdown


def test_one_core_cost_sets_the_best_possible_ratio() -> None:
    # 60 ms per card on one core, spread over 2 cores: 30 ms at best, against 150 ms naive.
    naive = bench.summarise_naive(
        [
            {"cards": 45, "mean_ms": 150.0, "median_ms": 140.0, "batched_ms": 58.0},
            {"cards": 45, "mean_ms": 150.0, "median_ms": 140.0, "batched_ms": 60.0},
            {"cards": 45, "mean_ms": 150.0, "median_ms": 140.0, "batched_ms": 70.0},
        ]
    )
    assert naive["batched_ms_per_scorecard"] == 60.0
    assert bench.best_possible_ratio(naive, cores=2) == 0.2
    assert bench.best_possible_ratio(naive, cores=1) == 0.4
    lines = "\n".join(bench.one_core_lines(naive, cores=2))
    assert "**60.0 ms per scorecard**, 2.50 times faster than naive" in lines
    assert "could not cost less than 30.0 ms: a ratio of **0.200** at best" in lines
    assert "On this machine" not in lines  # its parallel speed not measured


def test_the_machines_parallel_speed_sets_the_floor_on_this_machine() -> None:
    # 60 ms per card on one core against 150 ms naive, on 2 cores each at 0.8 of its speed
    # alone when both are busy: 60 / 2 / 0.8 = 37.5 ms, a ratio of 0.25 at best.
    naive = bench.summarise_naive(
        [{"cards": 45, "mean_ms": 150.0, "median_ms": 140.0, "batched_ms": 60.0}]
    )
    lines = "\n".join(bench.one_core_lines(naive, cores=2, parallel_speed=0.8))
    assert "a ratio of **0.200** at best." in lines
    assert "runs at 0.80 of its speed alone while all 2 cores are busy: 37.5 ms" in lines
    assert "a ratio of **0.250** at best here." in lines
    report = sample_report()
    report["machine"]["parallel_speed"] = 0.8
    assert "- parallel speed: a process runs at 0.80 of its speed alone" in (
        bench.format_markdown(report)
    )
    assert "parallel speed" not in bench.format_markdown(sample_report())


def test_the_parallel_speed_probe_times_each_process_it_starts() -> None:
    timed = bench.spin_seconds(2, loops=100_000)
    assert len(timed) == 2 and all(0 < seconds < 30 for seconds in timed)
    speed = bench.parallel_speed(2, rounds=1, loops=100_000)
    assert 0 < speed < 3  # a share of a process's speed alone (noisy for so short a loop)


def test_results_without_a_one_core_figure_leave_it_out() -> None:
    naive = bench.summarise_naive([{"cards": 45, "mean_ms": 150.0, "median_ms": 140.0}])
    assert naive["batched_ms_per_scorecard"] is None
    assert bench.best_possible_ratio(naive, cores=2) is None
    assert bench.one_core_lines(naive, cores=2) == []
    assert "on one core" not in bench.format_markdown(sample_report())


def test_markdown_reports_differences_and_noise() -> None:
    report = sample_report()
    report["reproducible"] = bench.reproducibility({"x.xlsx": "1"}, {"x.xlsx": "2"})
    report["machine"]["load_before"] = 3.0
    report["notes"] = bench.noise_notes(report["sizes"], report["machine"])
    markdown = bench.format_markdown(report)
    assert "byte-identical: **no** (differ: x.xlsx)" in markdown
    assert "The machine was busy" in markdown
    assert "45 schools: runs spread from 6.00 to 8.00 s" in markdown
    assert "changed while the bench ran" not in markdown


def test_code_changing_during_the_bench_is_flagged(tmp_path: Path) -> None:
    (tmp_path / "checker").mkdir()
    (tmp_path / "checker" / "run.py").write_text("A = 1\n", encoding="utf-8")
    before = bench.source_digest(tmp_path)
    assert bench.source_digest(tmp_path) == before
    (tmp_path / "checker" / "run.py").write_text("A = 2\n", encoding="utf-8")
    assert bench.source_digest(tmp_path) != before
    machine = {"cores": 2, "load_before": 0.0, "source_changed": True}
    assert "changed while the bench ran" in bench.noise_notes([], machine)[0]


def test_error_path_figures_and_their_verdict() -> None:
    figures = bench.summarise_error_path([0.9, 0.7, 0.8], [0.30, 0.20, 0.25])
    assert figures["median_wall_s"] == 0.8
    assert figures["median_cpu_s"] == 0.25
    line = bench.error_path_lines(figures)[0]
    assert "missing file, 3 runs" in line
    assert "**0.25 s of its own CPU time**" in line and "PASS" in line
    assert "FAIL" in bench.error_path_lines(bench.summarise_error_path([7.0], [6.1]))[0]
    report = sample_report()
    assert "missing file" not in bench.format_markdown(report)  # not measured: left out
    report["error_path"] = figures
    assert line in bench.format_markdown(report)


def test_shortcut_figures_are_medians_and_savings_against_none() -> None:
    runs = [
        {"none": 70.0, "lean_ua": 68.0, "all": 64.0},
        {"none": 72.0, "lean_ua": 69.0, "all": 66.0},
        {"none": 90.0, "lean_ua": 80.0, "all": 75.0},
    ]
    naive = bench.summarise_naive(
        [{"cards": 45, "mean_ms": 150.0, "median_ms": 140.0, "shortcut_ms": r} for r in runs]
    )
    assert naive["shortcut_ms_per_scorecard"] == {"none": 72.0, "lean_ua": 69.0, "all": 66.0}
    lines = bench.shortcut_lines(naive)
    assert "| lean_ua | 69.0 | 3.0 |" in lines
    assert "| all | 66.0 | 6.0 |" in lines
    without = bench.summarise_naive([{"cards": 1, "mean_ms": 1.0, "median_ms": 1.0}])
    assert bench.shortcut_lines(without) == []
