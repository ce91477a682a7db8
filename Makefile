# Two commands on a fresh machine (Python 3.10+ with venv):
#   make run    set up, then run the baseline scenario and print its summary
#   make test   set up, then lint and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: run test bench
run: $(VENV)/.installed
	$(BIN)/flywheel run

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_run.py
