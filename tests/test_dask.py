"""Rendering on a Dask cluster from the command line (`checker run --scheduler`), and the bound
on the chunks in flight that follows the executor's size."""

from __future__ import annotations

import logging
from pathlib import Path

import dask
from conftest import DATED_QUIET, SAMPLE, SAMPLE_SEMESTERS, run_checker, run_semester
from distributed import LocalCluster

from checker.render import MAX_CARDS_IN_FLIGHT, in_flight_for

SOURCE = SAMPLE / "giong_trom_2026-2027_HK1.xlsx"


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_chunks_in_flight_follow_the_executors_size_within_a_memory_bound() -> None:
    assert in_flight_for(2, 4) == 8
    assert in_flight_for(8, 4) > in_flight_for(2, 4)
    for slots in (1, 16, 64, 1000):
        for chunk in (4, 12, 24):
            in_flight = in_flight_for(slots, chunk)
            assert in_flight >= 2
            assert in_flight * chunk <= max(MAX_CARDS_IN_FLIGHT, 2 * chunk)
    assert in_flight_for(1000, 24) * 24 > MAX_CARDS_IN_FLIGHT - 24  # the bound, not a constant


def test_sample_on_a_local_cluster_gives_the_bytes_of_a_local_run(
    sample_run: Path, tmp_path: Path
) -> None:
    """The sample's first semester rendered on a two-process cluster, against the shared
    sample run of the same semester rendered here (two local workers)."""
    name, semester = SAMPLE_SEMESTERS[0]
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        on_cluster = run_semester(
            SAMPLE / name, semester, tmp_path / "dask", tmp_path / "dask.db", *DATED_QUIET,
            "--scheduler", cluster.scheduler_address, cwd=tmp_path,
        )  # fmt: skip
        # The workers did the rendering: each one built its render tools.
        built = cluster_render_tools(cluster)
    assert on_cluster.returncode == 0, on_cluster.stderr
    local_files, cluster_files = files_of(sample_run / "out-1"), files_of(tmp_path / "dask")
    assert len([name for name in local_files if name.startswith("scorecards/")]) == 45
    assert cluster_files.keys() == local_files.keys()
    different = [name for name in local_files if cluster_files[name] != local_files[name]]
    assert different == []
    assert built == [True, True]


def cluster_render_tools(cluster: LocalCluster) -> list[bool]:
    """Whether each worker of the cluster has built its render tools (rendered something)."""
    from distributed import Client

    with Client(cluster) as client:
        found = client.run(lambda: __import__("checker.render").render.render_tools.cache_info())
    return [info.currsize > 0 for _, info in sorted(found.items())]


def test_an_unreachable_scheduler_exits_2_with_one_sentence(tmp_path: Path) -> None:
    # Dask's own connect timeout (30 s by default) bounds the wait; 2 s here.
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = run_checker(
            "run", SOURCE, "--semester", "2026-2027/HK1", "--out", tmp_path / "out",
            "--db", tmp_path / "h.db", "--lang", "en",
            cwd=tmp_path, env={"DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9"},
        )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("Error: the Dask scheduler tcp://127.0.0.1:9 cannot be reached")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
