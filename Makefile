# netgen developer entry points. `make demo` and `make test` work on a fresh machine
# (Python 3.11+ with venv); they create .venv and install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE := examples/acme

.PHONY: demo test lint typecheck unit e2e bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# The example's saved Cloudflare responses (fake ids and PSKs) are imported first, so the
# configs are complete; the PSK-bearing files are written 0600.
demo: $(VENV)/.installed
	$(BIN)/netgen validate $(EXAMPLE)/inventory.yaml
	$(BIN)/netgen plan $(EXAMPLE)/inventory.yaml
	$(BIN)/netgen import $(EXAMPLE)/inventory.yaml $(EXAMPLE)/responses/*.json
	$(BIN)/netgen secrets list $(EXAMPLE)/inventory.yaml
	$(BIN)/netgen render $(EXAMPLE)/inventory.yaml -o $(EXAMPLE)/out --reveal-secrets
	@echo "configs written to $(EXAMPLE)/out (see MANIFEST.json)"

lint: $(VENV)/.installed
	$(BIN)/ruff check netgen tests benchmarks
	$(BIN)/ruff format --check netgen tests benchmarks
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy netgen tests benchmarks

unit: $(VENV)/.installed
	$(BIN)/pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

test: lint typecheck unit

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/fleet.py --devices 10000

clean:
	rm -rf $(VENV) dist build $(EXAMPLE)/out
