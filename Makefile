# drawgame: every task an operator or developer needs, one make target each.
# `make start` and `make test` set everything up on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
DB     ?= data/drawgame.sqlite3
ENVIRONMENT ?= development
URL    ?= http://$(HOST):$(PORT)

RUN_ENV = DRAWGAME_HOST=$(HOST) DRAWGAME_PORT=$(PORT) DRAWGAME_DB_PATH=$(DB)

.DEFAULT_GOAL := help
.PHONY: help start serve test check migrate migrate-dry-run health browser clean-venv

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 22

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,check]'
	@touch $@ $(VENV)/.installed-runtime

$(VENV)/.installed-check: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[check]'
	@touch $@ $(VENV)/.installed-runtime

start: $(VENV)/.installed-runtime ## set up, migrate and serve on $(HOST):$(PORT) (DB=$(DB))
	$(RUN_ENV) $(BIN)/python -m drawgame migrate
	@echo "drawgame: play at http://$(HOST):$(PORT)"
	$(RUN_ENV) DRAWGAME_ENVIRONMENT=$${DRAWGAME_ENVIRONMENT:-$(ENVIRONMENT)} exec $(BIN)/python -m drawgame serve

migrate: $(VENV)/.installed-runtime ## apply pending migrations to DB
	$(RUN_ENV) $(BIN)/python -m drawgame migrate

migrate-dry-run: $(VENV)/.installed-runtime ## list pending migrations, change nothing
	$(RUN_ENV) $(BIN)/python -m drawgame migrate --dry-run

health: $(VENV)/.installed-runtime ## print the running server's health (URL=...)
	@$(BIN)/python -m drawgame health --url $(URL)

browser: ## install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (browser tests need it)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed-test browser ## install what the tests need and run them all
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(VENV)/.installed-check ## ruff and mypy on drawgame/
	$(BIN)/ruff check drawgame tests
	$(BIN)/mypy drawgame

clean-venv: ## remove the virtual environment
	rm -rf $(VENV)
