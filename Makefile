# One command each: `make run` serves the demo, `make test` runs every check.
# Both install what is missing first (see scripts/bootstrap.sh), so they work on a fresh
# Debian machine and take a second or two to get going on later runs.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never

VENV := .venv/bin
FLASK := $(VENV)/flask --app grants:create_app
PYTEST := $(VENV)/pytest
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: help setup run test test-deps lint

help:
	@echo "make run    set up, migrate, load the demo data and serve http://$(HOST):$(PORT)"
	@echo "make test   install what is missing, then lint, SQLite, PostgreSQL and browser tiers"

## Python packages (uv.lock), npm packages (package-lock.json) and the built assets.
setup:
	scripts/bootstrap.sh app

run: setup
	$(FLASK) db upgrade
	$(FLASK) demo load
	exec $(FLASK) run --host $(HOST) --port $(PORT)

## Everything the test tiers need: Debian packages only when a binary is missing, then setup.
test-deps:
	scripts/bootstrap.sh system
	scripts/bootstrap.sh app

lint:
	@echo "==> ruff check, ruff format --check, lint-imports"
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/lint-imports

# Stops at the first failing step. The throwaway PostgreSQL, Redis and SeaweedFS are stopped by PID when
# the recipe ends, whether it passed, failed or was interrupted. pytest's exit code 5 ("no
# tests collected") fails the run like any other non-zero code.
test: test-deps
	@start=$$SECONDS
	run_dir=$$(mktemp -d "$${TMPDIR:-/tmp}/grants-test.XXXXXX")
	trap 'scripts/test-services.sh stop "$$run_dir/env"; rm -rf "$$run_dir"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	$(MAKE) --no-print-directory lint
	scripts/test-services.sh start "$$run_dir/env"
	. "$$run_dir/env"
	unset TEST_DATABASE_URL
	# Tiers 1 and 2 share nothing but the services (each has its own database and temporary
	# folders), so they run side by side on the two cores; tier 1's output follows tier 2's.
	echo "==> tiers 1 and 2 side by side: SQLite and PostgreSQL (all but browser tests)"
	$(PYTEST) -m "not browser and not postgres" > "$$run_dir/tier1.log" 2>&1 & tier1=$$!
	TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(PYTEST) -m "not browser" && tier2=0 || tier2=$$?
	wait $$tier1 && tier1=0 || tier1=$$?
	echo "==> tier 1: SQLite (all but browser tests)"
	cat "$$run_dir/tier1.log"
	test $$tier1 -eq 0 -a $$tier2 -eq 0
	echo "==> tier 3: browser (Chromium, axe)"
	$(PYTEST) -m browser tests/browser
	echo "==> all tiers passed in $$((SECONDS - start)) s"
