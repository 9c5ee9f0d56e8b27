# The study's two commands: `make book` (execute every chapter, build the HTML book) and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lslib-installed
PROFILE ?= quick
ONLY ?=
PARAMS ?=

# Real data are read from a mirror directory when one sits beside the repository (CI and tests).
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(origin LSLIB_DATA_MIRROR), undefined)
  ifneq ($(wildcard $(SHARED_DATA)),)
    export LSLIB_DATA_MIRROR := $(SHARED_DATA)
  endif
endif
export PYTHONUNBUFFERED := 1

.PHONY: help env chromium book run test lint format clean distclean

help:
	@echo "make book     execute all chapters (PROFILE=$(PROFILE)) and build the HTML book into _build/html"
	@echo "make test     run the whole test suite (smoke run of every chapter, book build, browser check)"
	@echo "make lint     check formatting and lint with ruff (make format rewrites the code)"
	@echo "make env      create or reuse $(VENV) with the pinned environment"
	@echo "make run PROFILE=smoke|quick|full ONLY='01_data_acquisition ...' PARAMS='seed=1 ...'"
	@echo "make clean    remove _build;  make distclean  also removes $(VENV)"

env: $(STAMP)

# Reinstalls only when the pins change: a second `make book` installs nothing.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@touch $@
	@echo "environment ready: $(VENV)"

run: env
	$(PY) -m lslib run --profile $(PROFILE) $(if $(ONLY),--only $(ONLY)) $(foreach p,$(PARAMS),--param $(p))

book: env
	$(PY) -m lslib run --profile $(PROFILE)
	$(PY) -m lslib book --profile $(PROFILE)

# The browser checks need Debian's Chromium: found in seconds, installed with apt-get when allowed.
chromium:
	@bash tools/ensure-chromium

test: env chromium
	$(PY) -m lslib run --profile smoke
	$(PY) -m pytest --nbval-lax --nbval-current-env tests lslib _build/run/smoke/*.ipynb

# Lint and format with ruff, and check with deptry that every imported package is declared (both
# configured in pyproject.toml; the notebooks' cells are checked by the tests).
lint: env
	$(VENV)/bin/ruff format --check lslib tests benchmarks conftest.py
	$(VENV)/bin/ruff check lslib tests benchmarks conftest.py
	$(VENV)/bin/deptry lslib tests notebooks benchmarks

format: env
	$(VENV)/bin/ruff format lslib tests benchmarks conftest.py
	$(VENV)/bin/ruff check --fix lslib tests benchmarks conftest.py

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV)
