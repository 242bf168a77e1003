# Reproducible entry points. `make test` and `make demo` install and build on their own.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_MODULES := node_modules/.package-lock.json
SOURCES := $(shell find singer tap-intercom target-duckdb fixtures schemas bench scripts test -name '*.ts' -not -path '*/node_modules/*' 2>/dev/null) tsconfig.json package.json
BUILD_STAMP := dist/.build-stamp

.PHONY: help install build test lint types demo bench clean

help:
	@echo "make demo    run the tap into DuckDB against the bundled offline Intercom"
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

lint: $(NODE_MODULES)
	npx tsc -p tsconfig.json --noEmit
	npx eslint .

types: build
	node dist/scripts/generate-types.js
	$(MAKE) build

demo: build
	@if [ -f dist/scripts/demo.js ]; then node dist/scripts/demo.js; else echo "no streams yet: the demo runs once the tap and the fixture server exist"; fi

bench: build
	@if ls dist/bench/*.js >/dev/null 2>&1; then for b in dist/bench/*.js; do echo "== $$b"; node --expose-gc $$b || exit 1; done; else echo "no benchmarks yet"; fi

clean:
	rm -rf dist
