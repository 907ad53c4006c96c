"""The code passes the project's linters, as `make lint` runs them: ruff (lint and format check)
and mypy on the package, the tests and the bench.

A test rather than a step before the tests, so that `make test` runs it on one core while the
other runs other tests: mypy without its cache takes about half a minute of one core.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import PROJECT


def test_make_lint_passes() -> None:
    # The Makefile's own lint target (its commands are declared there once), with this
    # interpreter's environment; `-o install` leaves the environment as it is.
    lint = subprocess.run(
        ["make", "--no-print-directory", "-o", "install", "lint", f"VENV={sys.prefix}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert lint.returncode == 0, lint.stdout[-3000:] + lint.stderr[-3000:]
