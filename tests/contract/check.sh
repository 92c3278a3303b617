#!/usr/bin/env bash
# The published contract, checked by tools nobody here wrote: the OpenAPI document validates,
# TypeScript and Python clients generate from it without a warning, and schemathesis finds no
# server error and no answer that breaks the document against a live daemon.
# Usage: tests/contract/check.sh PATH/TO/refine
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
cache="$(tests/contract/install.sh)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "openapi-spec-validator"
"$cache/venv/bin/openapi-spec-validator" openapi.json
echo "openapi-typescript"
"$cache/npm/node_modules/.bin/openapi-typescript" openapi.json -o "$out/api.d.ts" > "$out/ts.log" 2>&1 || { cat "$out/ts.log"; exit 1; }
if grep -qiE "warn|error|can't resolve" "$out/ts.log"; then cat "$out/ts.log"; exit 1; fi
grep -q '"/api/v1/work/goals"' "$out/api.d.ts"
echo "openapi-python-client"
printf 'post_hooks: []\n' > "$out/opc.yml"
"$cache/venv/bin/openapi-python-client" generate --path openapi.json --output-path "$out/py" --config "$out/opc.yml" > "$out/py.log" 2>&1 || { cat "$out/py.log"; exit 1; }
if grep -qiE "warning|unable to|will not be generated|could not" "$out/py.log"; then cat "$out/py.log"; exit 1; fi
test -d "$out/py/refine_daemon_api_client/api/goals"
echo "MCP (official Python SDK)"
tests/contract/mcp.sh "$bin"
echo "Prometheus (official Python client's OpenMetrics parser)"
tests/contract/metrics.sh "$bin"
echo "schemathesis"
tests/contract/schemathesis.sh "$bin" "${REFINE_CONTRACT_EXAMPLES:-20}"
