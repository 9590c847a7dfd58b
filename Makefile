# The two commands: `make run` (the whole stack locally) and `make test` (the whole suite).
# Both install what they need first: the virtualenv, Python packages and Debian packages.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: install system-deps extension-deps dashboard-deps dashboard run test bench lint fmt openapi

# Says what it does: a first install downloads about a hundred packages (a minute or two).
$(STAMP): pyproject.toml
	@echo "==> $(VENV): creating the virtualenv"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@echo "==> $(VENV): installing StoFlow and its Python packages (pyproject.toml changed or first install)"
	@# One line per package (pip's errors go to stderr, unfiltered); pipefail keeps pip's status.
	bash -o pipefail -c "$(PY) -m pip install --progress-bar off -e '.[dev]' | grep -E --line-buffered '^(Collecting|Successfully installed)'"
	rm -f $(VENV)/.installed-*
	touch $@
	@echo "==> $(VENV): ready"

install: $(STAMP) system-deps

system-deps:
	@bash infra/install-system-deps.sh

# The local cloud needs only the Python packages (PgBouncer and Chromium are for the tests),
# and the dashboard's build, redone when its sources changed.
run: $(STAMP) dashboard
	$(PY) -m infra.local

# The browser extension's dev dependencies (node_modules, from its package-lock.json).
extension-deps:
	cd extension && npm ci --no-audit --no-fund --silent

# The dashboard (Vue + Vite): node_modules from package-lock.json, reinstalled when it changes;
# dist/ rebuilt when a source changed. `cd dashboard && npm run dev` for hot reload.
DASHBOARD_DEPS := dashboard/node_modules/.installed
DASHBOARD_SRC := $(shell find dashboard/src dashboard/public -type f 2>/dev/null) \
	dashboard/index.html dashboard/vite.config.ts dashboard/tsconfig.json dashboard/package-lock.json

$(DASHBOARD_DEPS): dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund --silent
	touch $@

dashboard-deps: $(DASHBOARD_DEPS)

dashboard/dist/index.html: $(DASHBOARD_DEPS) $(DASHBOARD_SRC)
	cd dashboard && npm run --silent build -- --logLevel warn
	touch $@

dashboard: dashboard/dist/index.html

test: install extension-deps dashboard
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	node --test extension/test/
	cd dashboard && npx vitest run
	$(PY) -m pytest

# The combined OpenAPI document of the whole HTTP API (the dashboard generates its types from it);
# a contract test fails when it is out of date.
openapi: $(STAMP)
	$(PY) -m infra.openapi

bench: $(STAMP) dashboard
	$(PY) bench/run.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

fmt: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .
