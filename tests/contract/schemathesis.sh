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
repo="$tmp/app"
mkdir -p "$repo"
git -C "$repo" init -q -b main
printf 'print("hello")\n' > "$repo/main.py"
git -C "$repo" add -A
git -C "$repo" -c user.name=t -c user.email=t@t.invalid commit -q -m initial
REFINE_LOG=warn "$bin" --serve --port 0 --data-dir "$tmp/data" > "$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$tmp/out" 2>/dev/null && break
  sleep 0.1
done
url="$(sed -n 's/.*listening on \(http:\/\/127.0.0.1:[0-9]*\).*/\1/p' "$tmp/out" | head -1)"
token="$(cat "$tmp/data/token")"
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
  --exclude-operation-id apps.remove \
  --exclude-operation-id agents.redetect \
  --max-examples "$examples" \
  --seed 1 \
  --request-timeout 20 \
  --workers 1 \
  --no-color 2>&1 | tee artifacts/contract/schemathesis.txt | tail -40
status=${PIPESTATUS[0]}
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
if ! kill -0 "$pid" 2>/dev/null && grep -q "panicked" "$tmp/err"; then
  echo "the daemon panicked:" >&2; cat "$tmp/err" >&2; exit 1
fi
exit "$status"
