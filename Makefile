# Two commands: `make run` (the product, sandbox providers unless credentials are set) and
# `make test` (the whole suite). Both are idempotent and quiet once set up.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	@echo "Installing dependencies into $(VENV)…"
	@$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

.env:
	@$(BIN)/python -m backend.envfile .env

run: $(STAMP) .env
	@$(BIN)/python manage.py migrate --no-input -v 0
	@exec $(BIN)/python -m backend.run_local

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/lint-imports --no-cache

test: $(STAMP) lint
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles tests/screenshots
