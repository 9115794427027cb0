# The two commands that matter: `make run` (the embedded default) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
GRAPHIQL := shared/graphiql_assets
GRAPHIQL_BUILT := $(GRAPHIQL)/dist/.built
WEB := web
WEB_INSTALLED := $(WEB)/node_modules/.installed
WEB_BUILT := $(WEB)/dist/.built
WEB_SOURCES := $(shell find $(WEB)/src -type f -not -path '$(WEB)/src/gql/*' 2>/dev/null) \
	$(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/codegen.ts $(WEB)/tsconfig.json $(WEB)/scripts/manifest.mjs $(WEB)/scripts/compress.mjs \
	gateway/schema.graphql

.PHONY: install run test lint web-test bench bench-framework bench-emails bench-logins eval-checks fuzz fuzz-postgresql soak compose-tool chromium stack-up stack-down clean

$(STAMP): pyproject.toml | $(GRAPHIQL_BUILT) $(WEB_BUILT)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## GraphiQL's browser files, from the npm packages pinned in $(GRAPHIQL)/package-lock.json (served offline).
$(GRAPHIQL_BUILT): $(GRAPHIQL)/package.json $(GRAPHIQL)/package-lock.json $(GRAPHIQL)/build.mjs $(GRAPHIQL)/README.md
	@command -v npm >/dev/null || { echo "Node 20 and npm are needed to build GraphiQL's files ($(GRAPHIQL))"; exit 1; }
	cd $(GRAPHIQL) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	@touch $@

## The espace professionnel (web/): its npm packages from the committed lock file, then its build (web/dist,
## served by the gateway at /). Operations are typed from gateway/schema.graphql, so a schema change rebuilds it.
$(WEB_INSTALLED): $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "Node 20 and npm are needed to build the espace professionnel ($(WEB))"; exit 1; }
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_BUILT): $(WEB_INSTALLED) $(WEB_SOURCES)
	cd $(WEB) && npm run --silent build
	@touch $@

## Its unit tests (Vitest), part of `make test`.
web-test: $(WEB_INSTALLED)
	cd $(WEB) && npm test --silent

## The embedded default: three services in one process, SQLite, in-process bus, e-mails to .data/mail.
run: $(STAMP)
	$(BIN)/structures dev

## Lint, type-check, architecture contracts, then every test against the local real stack.
## The stack is started for the run and stopped afterwards (unless it was already running).
test: $(STAMP) compose-tool chromium
	@was_up=0; $(BIN)/structures stack status >/dev/null 2>&1 && was_up=1; \
	$(BIN)/structures stack up || exit 1; \
	if [ $$was_up = 0 ]; then trap '$(BIN)/structures stack down' EXIT; fi; \
	$(MAKE) --no-print-directory lint && $(MAKE) --no-print-directory web-test && $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

## The docker client alone cannot check docker-compose.yml: bring Debian's docker-compose when the plugin is missing.
compose-tool:
	@if command -v docker >/dev/null && ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null; then \
		echo "installing docker-compose (Debian) to check docker-compose.yml"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose) >/dev/null; \
	fi

## The browser tests drive Debian's headless Chromium (Playwright's own browser download is not reachable).
## chromium-l10n brings the French interface (date fields read « jj/mm/aaaa » as a French browser shows them).
chromium:
	@if ! command -v chromium >/dev/null || [ ! -f /usr/lib/chromium/locales/fr.pak ]; then \
		echo "installing chromium and its French interface (Debian) for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n) >/dev/null; \
	fi

## P1: Q1-Q3 against PostGraphile 4 and 5 on the national dataset; P2 with BENCH_ARGS=--p2; results in
## bench/results/ (see bench/README.md).
bench: $(STAMP)
	$(BIN)/structures stack up
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)

## P4: the gateway's normal path vs a bare graphql-core app on the same SQL (needs `make bench` once; ~3 min).
bench-framework: $(STAMP)
	$(BIN)/python bench/run_framework_bench.py

## L3: event → e-mail accepted by SMTP (notifier vs aiokafka → aiosmtplib peer; ~3 min).
bench-emails: $(STAMP)
	$(BIN)/python bench/run_email_bench.py $(BENCH_ARGS)

## H1: logins and the public API during a login storm (needs `make bench` once; ~1.5 min).
bench-logins: $(STAMP)
	$(BIN)/python bench/run_login_bench.py

## C1: the art. 2 pre-screening on the labelled corpus (bench/checks/corpus.tsv); bench/results/checks.md.
eval-checks: $(STAMP)
	$(BIN)/python bench/run_checks_eval.py $(CHECKS_ARGS)

## S18: schemathesis over both GraphQL services, 100 cases per operation, mode and role (~9 min); bench/results/fuzz.md.
fuzz: $(STAMP)
	$(BIN)/python bench/run_fuzz.py $(FUZZ_ARGS)

## The same on PostgreSQL (the local real stack); bench/results/fuzz-postgresql.md.
fuzz-postgresql: $(STAMP)
	$(BIN)/structures stack up
	$(BIN)/python bench/run_fuzz.py $(FUZZ_ARGS) --postgresql

## R8: the three services for SOAK_MINUTES (30) at half the saturated load; results in bench/results/soak.md.
SOAK_MINUTES ?= 30
soak: $(STAMP)
	$(BIN)/structures stack up
	$(BIN)/python bench/run_soak.py $(SOAK_MINUTES)

stack-up: $(STAMP)
	$(BIN)/structures stack up

stack-down: $(STAMP)
	$(BIN)/structures stack down

clean:
	rm -rf .data .mypy_cache .ruff_cache .pytest_cache $(GRAPHIQL)/dist $(GRAPHIQL)/node_modules \
		$(WEB)/dist $(WEB)/node_modules $(WEB)/src/gql $(WEB)/public/dsfr
