# The two commands of the README: `make demo` and `make test`. Both set up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON := $(abspath $(BIN)/python)

.PHONY: setup demo test test-quick lint wheel clean reference

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Command 1: the whole lifecycle on the embedded default (local Spark, ./lakehouse, ./mlflow.db).
demo: setup
	$(BIN)/python -m jobs.run_all

# Command 2: lint, the layout's import contract and the test suite.
test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

# While working: lint, the import contract and the unit tests, without the slow ones (minutes).
test-quick: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -m "not slow"

# The README's "Results on the reference data" table (needs ../shared/data; several minutes).
reference: setup
	$(BIN)/python -m jobs.reference_results

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

wheel: setup
	$(BIN)/uv build --wheel --out-dir dist

clean:
	rm -rf lakehouse mlflow.db mlartifacts spark-warehouse dist build
