# Dangjian: `make run` sets up and serves the Huichang demo; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test bench lint format messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

run: $(STAMP)
	$(BIN)/dangjian migrate --no-input
	$(BIN)/dangjian demo
	$(BIN)/dangjian serve $(HOST) --with-worker --with-scheduler

test: $(TEST_STAMP)
	DANGJIAN_ENV=test $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(TEST_STAMP)
	DANGJIAN_ENV=test QUICK=$(QUICK) $(BIN)/python -m bench $(BENCH)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Each app keeps its own catalogue in <app>/locale; translate the new zh_Hans entries, then compile.
messages: $(TEST_STAMP)
	for d in $$(find dangjian -type d -name locale -not -path '*/.venv/*'); do \
	  (cd $$d/.. && $(CURDIR)/$(BIN)/dangjian makemessages -l zh_Hans -l en --no-obsolete --no-location && \
	   $(CURDIR)/$(BIN)/dangjian compilemessages) || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
