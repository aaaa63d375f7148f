# Two commands for a fresh machine (see README.md):
#   make chat   - set up and talk to the skill in Swedish in the console (no cloud account)
#   make test   - set up (system packages too) and run the whole test suite
VENV ?= .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed

.PHONY: chat chat-en test lint system-deps serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[nlu,test,dynamodb]'
	touch $(STAMP)

chat: $(STAMP)
	$(VENV)/bin/halsporre chat --locale sv-SE

chat-en: $(STAMP)
	$(VENV)/bin/halsporre chat --locale en-US

serve: $(STAMP)
	$(VENV)/bin/halsporre serve --no-verify

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: system-deps $(STAMP) lint
	$(VENV)/bin/pytest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
