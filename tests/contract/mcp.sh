#!/usr/bin/env bash
# /mcp driven by the official MCP Python SDK against a live daemon (tests/contract/mcp_sdk.py).
# Usage: tests/contract/mcp.sh PATH/TO/refine
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
cache="$(tests/contract/install.sh)"
tmp="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
. tests/contract/daemon.sh
start_daemon "$bin" "$tmp"
"$cache/venv/bin/python" tests/contract/mcp_sdk.py "$url" "$token" "$repo"
stop_daemon
