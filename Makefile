# netgen developer entry points. `make demo`, `make test` and `make docs` work on a fresh
# machine (Python 3.11+ with venv); they create .venv and install what they need:
#   demo: netgen alone (`pip install -e .`);  test: + the test tools and the Cloudflare SDK;
#   docs: + MkDocs Material.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE := examples/acme
TEST_EXTRAS := test,cloudflare,docs
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test lint typecheck unit e2e bench docs docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# One stamp per set of extras; each is redone when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$(TEST_EXTRAS)]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $@ $(VENV)/.installed

# The example's saved Cloudflare responses (fake ids and PSKs) are imported first, so the
# configs are complete; the PSK-bearing files are written 0600.
demo: $(VENV)/.installed
	$(BIN)/netgen validate $(EXAMPLE)/inventory.yaml
	$(BIN)/netgen plan $(EXAMPLE)/inventory.yaml
	$(BIN)/netgen import $(EXAMPLE)/inventory.yaml $(EXAMPLE)/responses/*.json
	$(BIN)/netgen secrets list $(EXAMPLE)/inventory.yaml
	$(BIN)/netgen render $(EXAMPLE)/inventory.yaml -o $(EXAMPLE)/out --reveal-secrets
	@echo "configs written to $(EXAMPLE)/out (see MANIFEST.json)"

lint: $(VENV)/.installed-test
	$(BIN)/ruff check netgen tests benchmarks scripts
	$(BIN)/ruff format --check netgen tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy netgen tests benchmarks scripts

unit: $(VENV)/.installed-test
	$(BIN)/pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test: lint typecheck unit

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/table.py --devices 10000

# The CLI reference is generated from the Typer app (tests/docs fails when it is stale).
docs: $(VENV)/.installed-docs
	$(BIN)/python scripts/cli_reference.py
	$(BIN)/mkdocs build --strict --site-dir site

# Preview on http://127.0.0.1:8000 while editing (Ctrl-C stops it).
docs-serve: $(VENV)/.installed-docs
	$(BIN)/python scripts/cli_reference.py
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

clean:
	rm -rf $(VENV) dist build site $(EXAMPLE)/out
