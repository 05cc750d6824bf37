# Two entry points for a fresh machine (see README): `make example` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: example test dev lint reformat bench clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)

# The tool alone (runtime dependencies only), for `make example`.
$(VENV)/.installed-run: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q --disable-pip-version-check -e .
	touch $@

# The tool with its test, lint and live-org dependencies.
$(VENV)/.installed: pyproject.toml $(VENV)/bin/python
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed-run

dev: $(VENV)/.installed

example: $(VENV)/.installed-run
	@$(BIN)/refreshguard scan examples/sfdx-project; code=$$?; \
	  echo "(exit code $$code: 1 means failing findings, which the example is built to show)"; \
	  test $$code -le 1

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

reformat: dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	sh scripts/ensure-chromium
	$(BIN)/pytest

bench: dev
	$(PY) bench/bench_scan.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
