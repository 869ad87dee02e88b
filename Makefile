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
	echo "==> tier 1: SQLite (all but browser tests)"
	$(PYTEST) -m "not browser and not postgres"
	echo "==> tier 2: PostgreSQL (all but browser tests)"
	TEST_DATABASE_URL="$$TEST_POSTGRES_URL" $(PYTEST) -m "not browser"
	echo "==> tier 3: browser (Chromium, axe)"
	$(PYTEST) -m browser tests/browser
	echo "==> all tiers passed in $$((SECONDS - start)) s"
