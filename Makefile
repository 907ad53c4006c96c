# checker: `make run` sets everything up and runs the sample semester; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT := out
DB := $(OUT)/checker.db
SAMPLE := sample_data/giong_trom
# The package's own bytecode is cached as Python's default does: with PYTHONDONTWRITEBYTECODE
# set (some images set it), every run and every test's subprocess would compile checker anew.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install run test lint format bench clean

help: ## Show this help
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: $(STAMP) ## System libraries (apt-get), virtualenv and packages

$(STAMP): pyproject.toml tools/system-deps.sh
	./tools/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv
	$(PY) -m uv pip install --quiet --compile-bytecode --python $(PY) -e '.[dev,dask,postgres]'
	touch $(STAMP)

run: install ## Check the sample district: three semesters into one history, scorecards in out/
	$(PY) -m checker run $(SAMPLE)_2025-2026_HK1.csv --semester 2025-2026/HK1 --out $(OUT)/2025-2026_HK1 --db $(DB) --quiet
	$(PY) -m checker run $(SAMPLE)_2025-2026_HK2.csv --semester 2025-2026/HK2 --out $(OUT)/2025-2026_HK2 --db $(DB) --quiet
	$(PY) -m checker run $(SAMPLE)_2026-2027_HK1.xlsx --semester 2026-2027/HK1 --out $(OUT)/2026-2027_HK1 --db $(DB)
	$(PY) -m checker history --db $(DB)

test: install ## Lint, type-check and run the tests (in parallel, one worker per core; the lint is a test)
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

lint: install ## ruff (lint + format check) and mypy (package, tests and bench)
	$(VENV)/bin/ruff check checker tests bench
	$(VENV)/bin/ruff format --check checker tests bench
	$(VENV)/bin/mypy checker tests bench

format: install ## Apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff format checker tests bench
	$(VENV)/bin/ruff check --fix checker tests bench

bench: install ## Benchmark 45 / 1,000 / 5,000 schools against a naive renderer (SIZES=5000,20000 to choose)
	$(PY) bench/bench.py $(if $(SIZES),--sizes $(SIZES))

clean: ## Remove outputs and caches (keeps the virtualenv)
	rm -rf $(OUT) .pytest_cache .mypy_cache .ruff_cache
