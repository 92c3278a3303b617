#!/usr/bin/env bash
# Schemathesis against a live daemon with the token: every operation of openapi.json, checked for
# server errors and conformance of status codes, content types and response bodies.
# Usage: tests/contract/schemathesis.sh PATH/TO/refine [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
examples="${2:-25}"
cache="$(tests/contract/install.sh)"
mkdir -p artifacts/contract
tmp="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
. tests/contract/daemon.sh
start_daemon "$bin" "$tmp"
curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"path\":\"$repo\"}" "$url/api/v1/apps" > "$tmp/app.json"
app_id="$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["id"])' "$tmp/app.json")"
curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"id\":\"$app_id\"}" "$url/api/v1/apps/select" > /dev/null
# Nothing that stops the daemon or ends what the run needs (its app, its sessions, its runner).
"$cache/venv/bin/schemathesis" run openapi.json \
  --url "$url" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-operation-id system.shutdown \
  --exclude-operation-id apps.delete \
  --exclude-operation-id agents.redetect \
  --max-examples "$examples" \
  --seed 1 \
  --request-timeout 20 \
  --workers 1 \
  --no-color 2>&1 | tee artifacts/contract/schemathesis.txt | tail -40
status=${PIPESTATUS[0]}
stop_daemon
exit "$status"
