# Quick start: `make run` serves the embedded demo, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Browser assets (Swagger UI, ReDoc, GraphiQL) from npm, pinned by web/package-lock.json.
WEB_STAMP := web/node_modules/.installed

.PHONY: run test lint typecheck pytest install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Optional on a machine with only python3 and make: without npm the service still serves the
# API and the console, and /docs, /redoc and GraphiQL say that their assets are not installed.
$(WEB_STAMP): web/package.json web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd web && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch .installed-ok; \
	else \
	  echo "npm not found: skipping the browser assets of /docs, /redoc and GraphiQL" >&2; \
	fi
	@if [ -f web/.installed-ok ]; then mkdir -p web/node_modules && mv web/.installed-ok $(WEB_STAMP); fi

install: $(STAMP) $(WEB_STAMP)

run: install
	$(BIN)/inventory-service migrate
	$(BIN)/inventory-service seed
	$(BIN)/inventory-service token demo
	$(BIN)/inventory-service serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) web/node_modules *.db *.db-wal *.db-shm
