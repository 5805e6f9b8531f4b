# Two commands: `make run` (set up and serve with demo data on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
UV     := $(BIN)/uv pip install --quiet --python $(BIN)/python
# `make run` installs what the app needs; `make test` adds the test tools (pytest, Playwright, ruff…).
STAMP      := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# Install into the venv with uv (taken from PyPI into the venv itself: seconds where pip takes a minute);
# where uv cannot be had or fails, pip installs the same requirements.
define install
	@echo "Instalando $(1) en $(VENV)…"
	@if [ -x $(BIN)/uv ] || $(PIP) uv >/dev/null 2>&1; then $(UV) $(1) || $(PIP) $(1); else $(PIP) $(1); fi
endef

.PHONY: run test install db seed lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(call install,-e .)
	touch $(STAMP)

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(call install,-e '.[test]')
	touch $(TEST_STAMP)

install: $(STAMP)

db: $(STAMP)
	mkdir -p instance
	$(BIN)/flask --app portfolio db upgrade

seed: db
	$(BIN)/flask --app portfolio seed

run: seed
	@echo "Sirviendo en http://127.0.0.1:$(PORT) — cuentas demo en README.md"
	$(BIN)/flask --app portfolio run --host 127.0.0.1 --port $(PORT)

# SQLite and PostgreSQL (127.0.0.1:5432) variants of every test, plus the browser tests.
test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check portfolio tests migrations

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
