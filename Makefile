# Reproducible entry points. `make test` and `make demo` install and build on their own.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_MODULES := node_modules/.package-lock.json
SOURCES := $(shell find singer tap-intercom target-duckdb fixtures schemas bench scripts test \( -name '*.ts' -o -name '*.json' \) -not -path '*/node_modules/*' 2>/dev/null) tsconfig.json package.json
BUILD_STAMP := dist/.build-stamp

.PHONY: help install build test lint types demo demo-incremental sync query readme meltano bench clean

help:
	@echo "make demo    run the tap into DuckDB against the bundled offline Intercom"
	@echo "make demo-incremental   full sync, change the offline data, incremental sync: only changes move"
	@echo "make sync CONFIG=tap.json [STATE=.sync/state.json] [TARGET_CONFIG=…] [CATALOG=…]   run against real Intercom"
	@echo "make query [DB=.sync/intercom.duckdb] [SQL=\"SELECT …\"]   print a query's result (no SQL: the tables)"
	@echo "make readme  regenerate the README's configuration reference from --about"
	@echo "make meltano regenerate the Meltano Hub definitions (meltano/) and lock files (plugins/) from --about"
	@echo "make test    install, build and run every test"
	@echo "make lint    type-check and lint"
	@echo "make types   regenerate TypeScript types from schemas/*.json"
	@echo "make bench   run the benchmarks"
	@echo "make clean   remove build output"

install: $(NODE_MODULES)

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(BUILD_STAMP)

$(BUILD_STAMP): $(NODE_MODULES) $(SOURCES)
	npx tsc -p tsconfig.json
	@touch $@

test: build
	npx mocha

lint: build
	npx tsc -p tsconfig.json --noEmit
	npx eslint .
	node dist/scripts/check-npm-scripts.js package.json

types: build
	node dist/scripts/generate-types.js
	$(MAKE) build

demo: build
	node dist/scripts/demo.js

demo-incremental: build
	node dist/scripts/demo.js --incremental

STATE ?= .sync/state.json
sync: build
	@if [ -z "$(CONFIG)" ]; then echo "usage: make sync CONFIG=tap-config.json [STATE=$(STATE)] [TARGET_CONFIG=target.json] [CATALOG=catalog.json]" >&2; exit 2; fi
	node dist/scripts/sync.js --config "$(CONFIG)" --state "$(STATE)" $(if $(TARGET_CONFIG),--target-config "$(TARGET_CONFIG)") $(if $(CATALOG),--catalog "$(CATALOG)")

DB ?= .sync/intercom.duckdb
# SQL reaches the program through the environment, so its quotes need no escaping.
query: export INTERCOM_QUERY_SQL = $(SQL)
query: build
	@node dist/target-duckdb/src/query-cli.js --db "$(DB)" $(if $(SQL),"$$INTERCOM_QUERY_SQL")

readme: build
	node dist/scripts/readme-settings.js

meltano: build
	node dist/scripts/meltano-settings.js

bench: build
	@if ls dist/bench/*.js >/dev/null 2>&1; then for b in dist/bench/*.js; do echo "== $$b"; node --expose-gc $$b || exit 1; done; else echo "no benchmarks yet"; fi

clean:
	rm -rf dist
