# drawgame: every task an operator or developer needs, one make target each.
# `make start` and `make test` set everything up on a fresh machine.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

# The server's address and database: HOST, PORT, DB and ENVIRONMENT given to make (on
# the command line, or as variables of the environment) win; else DRAWGAME_HOST,
# DRAWGAME_PORT, DRAWGAME_DB_PATH and DRAWGAME_ENVIRONMENT from the environment, then
# from .env, then the defaults (127.0.0.1, 8000, data/drawgame.sqlite3; development for
# make start). The server reads them in that order itself; make passes on only what it
# was given, so every target sees the same values.
given   = $(filter command line environment override,$(origin $(1)))
RUN_ENV = $(if $(call given,HOST),DRAWGAME_HOST='$(HOST)') \
          $(if $(call given,PORT),DRAWGAME_PORT='$(PORT)') \
          $(if $(call given,DB),DRAWGAME_DB_PATH='$(DB)') \
          $(if $(call given,WORKERS),DRAWGAME_WORKERS='$(WORKERS)')
START_ENV = $(if $(call given,ENVIRONMENT),DRAWGAME_ENVIRONMENT='$(ENVIRONMENT)')

# What `make help` shows for $(HOST), $(PORT) and $(DB): make's value, else the
# environment's, else the .env line, else the default.
env_line  = $(shell sed -n 's/^[[:space:]]*\(export[[:space:]]*\)\{0,1\}$(1)=//p' .env 2>/dev/null | tail -n 1 | tr -d "\"'")
shown     = $(or $(if $(call given,$(1)),$($(1))),$($(2)),$(call env_line,$(2)),$(3))
HELP_VARS = -e 's|$$(HOST)|$(call shown,HOST,DRAWGAME_HOST,127.0.0.1)|g' \
            -e 's|$$(PORT)|$(call shown,PORT,DRAWGAME_PORT,8000)|g' \
            -e 's|$$(DB)|$(call shown,DB,DRAWGAME_DB_PATH,data/drawgame.sqlite3)|g'

# Operations act on INSTANCE: production (the default), staging, or local (the
# database and address of `make start`: DB, HOST, PORT). Deploys take their
# settings from .env / DRAWGAME_* (docs/RUNBOOK.md).
INSTANCE ?= production
DRAWGAME  = $(BIN)/python -m drawgame
OPS       = $(if $(filter local,$(INSTANCE)),$(RUN_ENV)) $(DRAWGAME)
SKIP_FLAG = $(if $(filter-out 0,$(SKIP_TESTS)),--skip-tests) \
            $(if $(filter-out 0,$(FORCE_TESTS)),--force-tests)
WHEEL_FLAG = $(if $(WHEEL),--wheel '$(WHEEL)')

.DEFAULT_GOAL := help
.PHONY: help start serve test check migrate migrate-dry-run health browser proxy clean-venv \
	deploy deploy-dev deploy-dry-run dist rollback releases status restart stop-service \
	start-service logs smoke smoke-staging smoke-prod db-check backup backups restore \
	cleanup maintenance-on maintenance-off rotate-token bench pagespeed

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sed $(HELP_VARS) \
	  | expand -t 22

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
	$(BIN)/python -m pip install --quiet -e '.[check,ops]'
	@touch $@ $(VENV)/.installed-runtime

$(VENV)/.installed-ops: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[ops]'
	@touch $@ $(VENV)/.installed-runtime

start: $(VENV)/.installed-runtime proxy ## set up, migrate and serve on $(HOST):$(PORT) (DB=$(DB)); WORKERS=N: N processes behind HAProxy
	$(RUN_ENV) $(DRAWGAME) migrate
	@echo "drawgame: play at $$($(RUN_ENV) $(DRAWGAME) url --instance local)"
	$(RUN_ENV) $(START_ENV) exec $(DRAWGAME) --default-environment development serve

migrate: $(VENV)/.installed-runtime ## apply pending migrations to DB
	$(RUN_ENV) $(DRAWGAME) migrate

migrate-dry-run: $(VENV)/.installed-runtime ## list pending migrations, change nothing
	$(RUN_ENV) $(DRAWGAME) migrate --dry-run

health: $(VENV)/.installed-runtime ## print the running server's health (URL=...; default: the local server)
	@$(RUN_ENV) $(DRAWGAME) health $(if $(URL),--url '$(URL)')

proxy: ## install Debian's HAProxy when several workers need it and it is missing
	@workers=$$($(RUN_ENV) $(BIN)/python -c 'from drawgame.config import load_config; print(load_config().workers)' 2>/dev/null || echo 1); \
	if [ "$$workers" -gt 1 ] && ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then \
	  echo "installing haproxy (WORKERS=$$workers needs it)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq haproxy >/dev/null; fi

browser: ## install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (browser tests need it)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# A full pass of `make test` or `make check` is recorded for the commit (clean checkouts
# only), so that deploying that commit skips them: see drawgame/ops/passes.py.
test: $(VENV)/.installed-test browser ## install what the tests need and run them all
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@$(if $(PYTEST_ARGS),,$(DRAWGAME) record-pass test)

check: $(VENV)/.installed-check ## ruff and mypy on drawgame/ (and smoke/)
	$(BIN)/ruff check drawgame tests smoke
	$(BIN)/mypy drawgame smoke
	@$(DRAWGAME) record-pass check

# ------------------------------------------------------------------ deploys

deploy: $(VENV)/.installed-ops ## check, test, build and deploy to production (SKIP_TESTS=1: emergency; WHEEL=...)
	$(DRAWGAME) deploy --instance production $(SKIP_FLAG) $(WHEEL_FLAG)

deploy-dev: $(VENV)/.installed-ops ## the same, to staging
	$(DRAWGAME) deploy --instance staging $(SKIP_FLAG) $(WHEEL_FLAG)

deploy-dry-run: $(VENV)/.installed-ops ## build and check a release for INSTANCE, change nothing
	$(DRAWGAME) deploy --instance $(INSTANCE) --dry-run $(SKIP_FLAG) $(WHEEL_FLAG)

dist: $(VENV)/.installed-ops ## build a wheel in dist/ to deploy on another box (after check and test)
	$(DRAWGAME) dist $(filter --skip-tests --force-tests,$(SKIP_FLAG))

rollback: $(VENV)/.installed-runtime ## INSTANCE back to its previous release, restart, health wait
	$(DRAWGAME) rollback --instance $(INSTANCE)

releases: $(VENV)/.installed-runtime ## list INSTANCE's releases (* is current)
	@$(DRAWGAME) releases --instance $(INSTANCE)

status: $(VENV)/.installed-runtime ## INSTANCE's service and health
	@$(DRAWGAME) service status --instance $(INSTANCE)

restart: $(VENV)/.installed-runtime ## restart INSTANCE's service (graceful: games resume)
	$(DRAWGAME) service restart --instance $(INSTANCE)

stop-service: $(VENV)/.installed-runtime ## stop INSTANCE's service (graceful)
	$(DRAWGAME) service stop --instance $(INSTANCE)

start-service: $(VENV)/.installed-runtime ## start INSTANCE's service
	$(DRAWGAME) service start --instance $(INSTANCE)

logs: $(VENV)/.installed-runtime ## follow INSTANCE's service log (Ctrl+C stops)
	@$(OPS) logs --instance $(INSTANCE)

# ------------------------------------------------------------------ smoke tests

smoke: $(VENV)/.installed-ops ## smoke tests against URL (default: the local server)
	@url='$(URL)'; [ -n "$$url" ] || url=$$($(RUN_ENV) $(DRAWGAME) url --instance local) \
	  && $(BIN)/python -m smoke "$$url"

smoke-staging: $(VENV)/.installed-ops ## smoke tests against staging (DRAWGAME_STAGING_URL)
	@url=$$($(DRAWGAME) url --instance staging) && $(BIN)/python -m smoke "$$url"

smoke-prod: $(VENV)/.installed-ops ## smoke tests against production (DRAWGAME_PROD_URL)
	@url=$$($(DRAWGAME) url --instance production) && $(BIN)/python -m smoke "$$url"

# ------------------------------------------------------------------ data

db-check: $(VENV)/.installed-runtime ## SELECT 1 and integrity check of INSTANCE's database
	@$(OPS) db-check --instance $(INSTANCE)

backup: $(VENV)/.installed-runtime ## online backup of INSTANCE's database, old ones pruned
	$(OPS) backup --instance $(INSTANCE)

backups: $(VENV)/.installed-runtime ## list INSTANCE's backups
	@$(OPS) backups --instance $(INSTANCE)

restore: $(VENV)/.installed-runtime ## restore FILE=... into INSTANCE (stops and starts it)
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/backup.sqlite3"; exit 2; }
	$(OPS) restore --instance $(INSTANCE) "$(FILE)"

cleanup: $(VENV)/.installed-runtime ## remove INSTANCE's closed rooms and games past retention
	$(OPS) cleanup --instance $(INSTANCE)

# ------------------------------------------------------------------ control

maintenance-on: $(VENV)/.installed-runtime ## maintenance mode on for INSTANCE (MESSAGE=...)
	$(OPS) maintenance on --instance $(INSTANCE) --message "$(MESSAGE)"

maintenance-off: $(VENV)/.installed-runtime ## maintenance mode off for INSTANCE
	$(OPS) maintenance off --instance $(INSTANCE)

rotate-token: $(VENV)/.installed-runtime ## print a new admin token for INSTANCE (the old one stops working)
	@$(OPS) token rotate --instance $(INSTANCE)

clean-venv: ## remove the virtual environment
	rm -rf $(VENV)

# ------------------------------------------------------------------ benchmarks

bench/node_modules/.installed: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --silent
	@touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@ $(VENV)/.installed-runtime

bench: $(VENV)/.installed-bench bench/node_modules/.installed ## fan-out and memory benchmarks against a websockets relay (BENCH_ARGS=...)
	$(BIN)/python bench/fanout.py $(BENCH_ARGS)

# Lighthouse and its Chromium run on core 1 (the server on core 0). Chromium on one
# core reads a Lighthouse benchmark index of about 700-1200 here, below the machine
# the preset's 4x CPU slowdown assumes, and blocking time reads 2-4x higher
# than with both cores (PAGESPEED_CORES=0,1; the server, idle between requests,
# stays on core 0): quote which.
PAGESPEED_CORES ?= 1
pagespeed: $(VENV)/.installed-runtime bench/node_modules/.installed browser ## Lighthouse (mobile) and repeat-visit bytes for the lobby and a room (BEFORE=<another checkout> compares)
	cd bench && CHROME_PATH=/usr/bin/chromium taskset -c $(PAGESPEED_CORES) node pagespeed.mjs \
	  $(if $(BEFORE),--checkout 'before=$(BEFORE)') --checkout this=.. $(PAGESPEED_ARGS)
