# Two commands on a fresh machine (Python 3.10+ with venv):
#   make run    set up, then start the dashboard on http://127.0.0.1:8050/
#   make test   set up, then lint, check import contracts, run the whole test suite (browser tests need
#               Debian's chromium and chromium-driver: make browser installs them)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,load]'
	touch $@

.PHONY: run test bench browser load
run: $(VENV)/.installed
	$(BIN)/flywheel run
	$(BIN)/flywheel serve

# Chromium, its driver, and a font with Chinese characters (the interface's 简体中文)
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
	  fc-list :lang=zh | grep -q . || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium chromium-driver fonts-noto-cjk)

test: $(VENV)/.installed browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

bench: $(VENV)/.installed browser
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_loops.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_batch.py
	$(BIN)/python benchmarks/bench_drag.py

# 50 simulated workshop participants against `flywheel serve --production` (not in make test)
load: $(VENV)/.installed
	$(BIN)/python benchmarks/load_workshop.py --bands on
	$(BIN)/python benchmarks/load_workshop.py --bands off
