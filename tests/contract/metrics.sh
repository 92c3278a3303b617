#!/usr/bin/env bash
# GET /metrics parsed by the official Prometheus Python client (tests/contract/metrics.py).
# Usage: tests/contract/metrics.sh PATH/TO/refine
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
cache="$(tests/contract/install.sh)"
tmp="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
. tests/contract/daemon.sh
start_daemon "$bin" "$tmp"
"$cache/venv/bin/python" tests/contract/metrics.py "$url" "$token"
stop_daemon
