# Refine: `make run` and `make test` do all set-up on a fresh Debian machine (root or sudo).
SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/refine-target
export CARGO_TERM_COLOR ?= never
BIN := $(CARGO_TARGET_DIR)/debug
PORT ?= 7878

.PHONY: run test deps ui build desktop bindings lint test-rust test-browser test-desktop test-real test-contract test-package package bench order clean

deps:
	@scripts/deps.sh

ui: deps
	npm --prefix ui run build --silent

build: ui
	cargo build -p refine-cli

desktop: ui
	cargo build -p refine-desktop

## Start Refine: the desktop window when a display is available, else the headless daemon.
run: ui
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  cargo build -p refine-desktop && exec $(BIN)/refine-desktop; \
	else \
	  cargo build -p refine-cli && echo "No display: starting the headless daemon (open the printed URL in a browser)" && \
	  exec $(BIN)/refine --serve --port $(PORT); \
	fi

## Regenerate ui/src/gen/bindings.ts and openapi.json from the operation registry.
bindings:
	cargo test -p refine-api --lib -- --quiet

lint: deps
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	"$$(scripts/lint-tools.sh)/cargo-machete"
	npm --prefix ui run typecheck --silent
	npm --prefix ui run lint --silent

test-rust: build
	REFINE_CHECK_BINDINGS=1 REFINE_BIN=$(BIN)/refine cargo test

test-browser: build
	REFINE_BIN=$(BIN)/refine node --test tests/browser/

test-desktop: desktop
	cargo clippy -p refine-desktop -- -D warnings
	tests/desktop/smoke.sh $(BIN)/refine-desktop $(BIN)/refine
	tests/desktop/notify.sh $(BIN)/refine-desktop $(BIN)/refine

## A .deb of the desktop app with the `refine` CLI on PATH (release build; Tauri's bundler).
package: ui
	@scripts/package.sh release

## The .deb (a debug build, to keep CI short) installed with dpkg, its CLI, daemon and window
## tried from the installed paths, then removed.
test-package: ui
	tests/package/deb.sh "$$(scripts/package.sh debug)"

## The real agent CLIs (Claude Code, Codex, opencode; pinned, installed into a cache) against the
## model-API stand-in, offline: built here, run inside a loopback-only network namespace.
test-real: build
	tests/agents/install.sh
	@set -o pipefail; exe="$$(cargo test --no-run -p refine-e2e --test real --message-format=json-render-diagnostics \
	  | python3 -c 'import json, sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "real" and m.get("executable")][-1])')" && \
	  echo "Running $$exe offline" && \
	  tests/agents/offline.sh env REFINE_BIN=$(BIN)/refine "$$exe" --test-threads=3
	tests/agents/offline.sh env REFINE_BIN=$(BIN)/refine node --test --test-concurrency=1 tests/real-browser/

## The published contract, checked by tools nobody here wrote (PyPI and npm, pinned, cached):
## openapi-spec-validator, openapi-typescript, openapi-python-client, schemathesis against a
## live daemon.
test-contract: build
	tests/contract/check.sh $(BIN)/refine

## Every test: lint, Rust (unit, integration, CLI end-to-end, crash), browser, desktop window,
## the real agent CLIs, the contract.
test: lint test-rust test-browser test-desktop test-package test-real test-contract
	@echo "All Refine tests passed."

## Benchmarks (release build; prints figures, asserts nothing).
bench: ui
	@if [ ! -f tests/bench/term/node_modules/.package-lock.json ] || [ tests/bench/term/package-lock.json -nt tests/bench/term/node_modules/.package-lock.json ]; then \
	  for t in python3 make g++; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	  if [ -n "$$missing" ]; then \
	    sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	    echo "Installing what node-pty builds with:$$missing"; \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null; \
	  fi; \
	  echo "Installing the terminal benchmark's peer (node-pty + ws; npm ci)"; \
	  npm ci --prefix tests/bench/term --no-audit --no-fund --loglevel=error; \
	fi
	cargo build --release -p refine-cli -p refine-e2e --bin refine --bin refine-bench
	$(CARGO_TARGET_DIR)/release/refine-bench $(CARGO_TARGET_DIR)/release/refine
	REFINE_BIN=$(CARGO_TARGET_DIR)/release/refine node tests/bench/ui-requests.mjs
	REFINE_BIN=$(CARGO_TARGET_DIR)/release/refine node tests/bench/ui-paint.mjs

## Re-list the functions an idle release daemon runs (crates/refine-cli/startup-order.txt, from a
## run under valgrind); release links place them together. Run it after large changes, then
## `make bench` to see the idle RSS.
order: ui
	@command -v valgrind >/dev/null || { sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends valgrind >/dev/null; }
	cargo build --release -p refine-cli --bin refine
	scripts/startup-order.sh $(CARGO_TARGET_DIR)/release/refine

clean:
	rm -rf $(CARGO_TARGET_DIR) ui/dist ui/node_modules artifacts
