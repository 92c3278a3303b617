#!/usr/bin/env bash
# offline.sh CMD [ARGS...]: run CMD in a new network namespace that has only loopback (lo up,
# nothing else), so nothing it starts can reach another host. Needs root (or sudo). Exits with
# CMD's status. Servers CMD starts on 127.0.0.1 are reachable only from inside the namespace:
# start the model-API stand-in inside it too (e.g. run a wrapper script under offline.sh).
set -euo pipefail
if [ "$#" -eq 0 ]; then
  echo "usage: offline.sh CMD [ARGS...]" >&2
  exit 2
fi
if [ "${REFINE_OFFLINE_INNER:-}" = 1 ]; then
  unset REFINE_OFFLINE_INNER
  ip link set lo up
  exec "$@"
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo --preserve-env"
exec $sudo env REFINE_OFFLINE_INNER=1 unshare -n -- "$0" "$@"
