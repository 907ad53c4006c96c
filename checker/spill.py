"""The run's results on disk: evaluated once, read back school by school as often as needed.

A province's results (20,000 schools: about 40 MB as objects, each verdict holding the values
it read, each school its cells) would otherwise stay in memory from the evaluation to the last
output. They are written, in batches, to an unnamed temporary file as they are evaluated, and
each stage that goes through every school (the scorecards, the tables, the history) reads them
back a batch at a time: the run's memory does not grow with the schools. The file is gone when
closed, and with the process if it dies.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator
from types import TracebackType

from checker.model import SchoolResult


class ResultFile:
    """Results appended in batches and read back in their order, as many times as needed; each
    reading has its own position in the file, so two may run side by side."""

    def __init__(self) -> None:
        # Closed by close() (the run's `with`), or with the process.
        self._file = tempfile.TemporaryFile(prefix="checker-results-")  # noqa: SIM115
        self._batches: list[tuple[int, int]] = []  # (offset, length) of each pickled batch
        self._end = 0
        self._count = 0

    def add(self, results: Iterable[SchoolResult]) -> None:
        """Append a batch of results (in input order)."""
        batch = tuple(results)
        if not batch:
            return
        data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._end)
        self._file.write(data)
        self._file.flush()
        self._batches.append((self._end, len(data)))
        self._end += len(data)
        self._count += len(batch)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[SchoolResult]:
        descriptor = self._file.fileno()
        for offset, length in list(self._batches):
            yield from pickle.loads(os.pread(descriptor, length, offset))

    def close(self) -> None:
        """Delete the file."""
        self._file.close()

    def __enter__(self) -> ResultFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
