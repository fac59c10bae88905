# The two commands of the quick start: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and pinned exactly: anything looser pulls several GB of CUDA wheels.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/relgraph demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy graph api search importers ml relgraph bench

test: setup lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/graph_core.py --scale 0.1

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
