# SalesOps Board — every set-up step, so that a fresh machine needs one command.
#   make demo   set up, load demo data into the embedded database, serve http://127.0.0.1:8000
#   make test   set up, lint, type-check and run the whole suite on DuckDB and PostgreSQL

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

CHARTS := node_modules/salesops-assets/echarts.board.min.js

.PHONY: bootstrap demo test lint fmt system-deps bench screenshots clean

bootstrap: $(VENV)/.installed node_modules/.installed $(CHARTS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Front-end libraries (ECharts, esbuild) come from the npm registry, never from the repository.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The parts of ECharts the board uses, bundled by esbuild (smaller than the full build).
$(CHARTS): src/salesops/web/assets/echarts-board.js node_modules/.installed
	npm run --silent build

system-deps:
	bash scripts/system-deps.sh

demo: bootstrap
	$(BIN)/salesops demo --host $(HOST) --port $(PORT)

lint: bootstrap
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

fmt: bootstrap
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

# Two workers (the machines have two cores); a test file stays on one worker, whose fixtures
# (the migrated DuckDB template, the PostgreSQL schema) it shares.
test: bootstrap system-deps lint
	$(BIN)/pytest -n 2 --dist loadfile

bench: bootstrap
	$(BIN)/salesops bench --scale medium

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
