# Ondas: `make run` serves the demo on http://127.0.0.1:8000; `make test` runs everything CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
HOST ?= 127.0.0.1
PORT ?= 8000
export ONDAS_DATA_DIR ?= $(CURDIR)/var

.PHONY: run install dev test test-cluster lint bench bench-deps system-deps messages clean

# The demo runs background tasks (emails) inline, so no `ondas worker` is needed
# to see the sign-up link on the console.
run: install
	$(BIN)/ondas manage migrate --noinput
	$(BIN)/ondas demo
	ONDAS_TASKS_BACKEND=$${ONDAS_TASKS_BACKEND:-immediate} $(BIN)/ondas serve --host $(HOST) --port $(PORT)

install: $(VENV)/.installed-base

dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements/base.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed-base
	$(PIP) install -r requirements/dev.txt
	touch $@

# Debian packages the tests drive for real: chromium, PostgreSQL, strace.
system-deps:
	scripts/system-deps.sh test

test: dev system-deps
	scripts/test.sh

# Only the several-node tests (two nodes, a worker, nginx; PostgreSQL), which
# `make test` runs in its PostgreSQL pass too.
test-cluster: dev system-deps
	scripts/throwaway-postgres.sh $(BIN)/pytest -q -p no:cacheprovider tests/ops/test_cluster_nodes.py

lint: dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/python scripts/check_architecture.py

# Benchmarks against nginx (Debian's) and wrk; see bench/README.md.
bench-deps:
	scripts/system-deps.sh bench

bench: install bench-deps
	$(BIN)/python bench/audio_ranges.py

# Recompile the committed translations after editing a .po file.
messages: dev
	$(BIN)/python scripts/compile_messages.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
