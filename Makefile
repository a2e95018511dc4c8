# Two commands for people: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test docs lint i18n i18n-extract bench install clean

run: install
	$(BIN)/python -m bot

# The documentation site, then the whole suite on SQLite, then again on a PostgreSQL server the
# tests start themselves.
test: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	bash scripts/ensure-chromium.sh
	bash scripts/ensure-postgres.sh
	$(BIN)/lint-imports
	$(BIN)/mypy bot handlers storage
	$(BIN)/python -m pytest -q
	TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -m "not browser"

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on a broken link.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy bot handlers storage

install: $(STAMP) i18n

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

i18n: $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D messages

# After adding message ids in code: refresh the template and merge it into both catalogues.
i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t -k N_ --no-default-keywords --no-location --omit-header --sort-output -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --omit-header

bench: install
	$(BIN)/python bench/filing_throughput.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
