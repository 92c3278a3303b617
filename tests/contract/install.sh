#!/usr/bin/env bash
# The contract checkers, pinned, cached under ~/.cache (PyPI: a venv; npm: a prefix).
set -euo pipefail
cache="${REFINE_CONTRACT_CACHE:-$HOME/.cache/refine-contract}"
venv="$cache/venv"
stamp="$cache/.installed-v3"
if [ ! -f "$stamp" ]; then
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "openapi-spec-validator==0.7.1" "schemathesis==4.32.5" "openapi-python-client==0.24.3" "mcp==1.23.3" "prometheus-client==0.21.1" >/dev/null
  npm install --prefix "$cache/npm" --no-audit --no-fund --loglevel=error "openapi-typescript@7.10.1" >/dev/null
  touch "$stamp"
fi
echo "$cache"
