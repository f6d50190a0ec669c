# Everything a fresh machine needs: `make demo` to try the bot, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test lint bench locales

$(INSTALLED): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "coordbot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: install
	$(BIN)/coordbot demo load
	$(BIN)/coordbot chat --as delegate --at "2017-12-02 08:10"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot handlers tests benchmarks

test: lint
	$(BIN)/pytest

bench: install
	$(BIN)/python -m benchmarks.commands
	$(BIN)/python -m benchmarks.delivery
	$(BIN)/python -m benchmarks.processes
	$(BIN)/python -m benchmarks.live_commands
	$(BIN)/python -m benchmarks.floor_votes
	$(BIN)/python -m benchmarks.mail_parse
	$(BIN)/python -m benchmarks.mail_intake
	$(BIN)/python -m benchmarks.translation
	$(BIN)/python -m benchmarks.feedback
	$(BIN)/python -m benchmarks.whatsapp
	$(BIN)/python -m benchmarks.pocket

# Gather the texts to translate, then merge them into the three catalogs.
locales: install
	$(BIN)/pybabel extract -F locales/babel.cfg -k lazy_gettext -k _l -k lazy_pgettext:1c,2 -k _lp:1c,2 -o locales/messages.pot \
		--project coordbot --no-location --sort-output -w 100 bot handlers
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete -w 100
