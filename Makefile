# GenStudio — the two commands: `make run` (serve the site) and `make test` (the whole test suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
GENSTUDIO_INSTANCE ?= ./instance
export PORT GENSTUDIO_INSTANCE
PYTEST_ARGS ?=
DEBIAN_PACKAGES := postgresql redis-server chromium

.PHONY: run run-cluster test install install-dev system-deps lint db-upgrade translations screenshots clean

# ---- environment (re-installed only when the requirements change) ----
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q -e . --no-deps
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# ---- run ----
db-upgrade: install
	$(BIN)/genstudio db upgrade

run: install db-upgrade
	$(BIN)/genstudio serve --host 127.0.0.1 --port $(PORT)

# PostgreSQL, Redis, 2 gunicorn web processes and 2 `genstudio worker`s on this machine (README "Scaling out").
run-cluster: install system-deps
	WEB_PORT=$(PORT) scripts/cluster.sh run

# ---- test ----
# Debian packages the tests drive for real: PostgreSQL, Redis and chromium (Playwright never downloads browsers).
system-deps:
	@missing=""; \
	for pkg in $(DEBIAN_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi

test: install-dev system-deps
	scripts/with-test-servers.sh $(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) lint

lint: install-dev
	$(BIN)/ruff check genstudio tests bench scripts

# ---- maintenance ----
# Re-extract the UI strings, merge them into the Korean catalogue and recompile it (the compiled .mo is
# committed); it lists the strings still to translate (tests/platform/test_translations.py fails on any).
translations: install-dev
	$(BIN)/python scripts/translations.py

# Capture every page into docs/screenshots/ (serves the app on a temp instance with demo content).
screenshots: install-dev system-deps
	@dpkg -s fonts-noto-cjk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -q fonts-noto-cjk  # Korean glyphs
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf .pytest_cache .ruff_cache .test-servers .cluster
