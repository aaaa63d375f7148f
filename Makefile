# Two commands for a fresh machine (see README.md):
#   make chat   - set up and talk to the skill in Swedish in the console (no cloud account)
#   make test   - set up (system packages too) and run the whole test suite
VENV ?= .venv
PYTHON ?= python3
BASE_STAMP := $(VENV)/.installed-base
TEST_STAMP := $(VENV)/.installed-test
# pip-compile's options for requirements.lock (the server install: `make lock` renews it)
LOCK_OPTS := --quiet --strip-extras --extra server --extra dynamodb --generate-hashes \
	--no-emit-index-url --no-emit-find-links --output-file requirements.lock

.PHONY: chat chat-en test lint system-deps serve lock clean

# chat needs only the package and its NLU for our own front ends
$(BASE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[nlu]'
	touch $(BASE_STAMP)

# the tests need everything: test tools, DynamoDB, the production server
$(TEST_STAMP): $(BASE_STAMP)
	$(VENV)/bin/pip install --quiet -e '.[nlu,test,dynamodb,server]'
	touch $(TEST_STAMP)

chat: $(BASE_STAMP)
	$(VENV)/bin/halsporre chat --locale sv-SE

chat-en: $(BASE_STAMP)
	$(VENV)/bin/halsporre chat --locale en-US

serve: $(BASE_STAMP)
	$(VENV)/bin/halsporre serve --no-verify

system-deps:
	bash scripts/system-deps.sh

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: system-deps $(TEST_STAMP) lint
	$(VENV)/bin/pytest

lock: $(BASE_STAMP)
	$(VENV)/bin/pip install --quiet pip-tools
	$(VENV)/bin/pip-compile $(LOCK_OPTS) pyproject.toml

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
