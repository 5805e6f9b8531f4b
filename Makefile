# Two commands: `make run` (set up and serve with demo data on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
STAMP  := $(VENV)/.installed

.PHONY: run test install db seed lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

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
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check portfolio tests migrations

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
